"""Media types a client declares for an attachment, parsed by the grammar, and raster sniffing.

The grammar is RFC 9110 §8.3.1 (`type "/" subtype *( OWS ";" OWS parameter )`) with RFC 6838
§4.2's restricted names for the type and subtype, and a registered top-level type. Anything
else (`image/png,text/html`, CR/LF, NUL, non-ASCII, a bare `png`) is refused, so what the bridge
stores and later sends back as a `Content-Type` is always one well-formed header value.

No well-kept library validates a media type against the grammar (python-mimeparse splits on
`/` and `;` and keeps the rest; `email.message` repairs what it reads), so the grammar is here;
the bytes of raster images are recognised by `filetype`'s magic numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import filetype

# RFC 6838 §4.2: restricted-name = 1*127 of ALPHA DIGIT ! # $ & - ^ _ . +, first ALPHA/DIGIT.
_NAME = r"[A-Za-z0-9][A-Za-z0-9!#$&\-^_.+]{0,126}"
# RFC 9110 §5.6.2 token and §5.6.4 quoted-string (obs-text refused: ASCII only).
_TOKEN = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_QUOTED = r'"(?:[\t !#-\[\]-~]|\\[\t -~])*"'
_PARAM = rf"[ \t]*;[ \t]*(?:({_TOKEN})=({_TOKEN}|{_QUOTED}))?"
_MEDIA_TYPE = re.compile(rf"({_NAME})/({_NAME})((?:{_PARAM})*)")
_ONE_PARAM = re.compile(_PARAM)

# The IANA registry's top-level types (RFC 6838 §4.2.1-4.2.7, RFC 8081 font, RFC 9695 haptics).
TOP_LEVEL_TYPES = frozenset(
    {"application", "audio", "font", "haptics", "image", "message", "model", "multipart",
     "text", "video"}
)  # fmt: skip

# Raster images a browser may show inline: their bytes cannot run script.
RASTER_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

MAX_LENGTH = 255


class InvalidMediaType(ValueError):
    """The text is not one media type (the message says why)."""


@dataclass(frozen=True)
class MediaType:
    """A parsed media type: lower-case type and subtype, parameters in order."""

    type: str
    subtype: str
    parameters: tuple[tuple[str, str], ...] = ()

    @property
    def essence(self) -> str:
        """`type/subtype` without parameters."""
        return f"{self.type}/{self.subtype}"

    def __str__(self) -> str:
        return self.essence + "".join(f";{name}={value}" for name, value in self.parameters)


def parse_media_type(text: str) -> MediaType:
    """The media type `text` declares, or InvalidMediaType."""
    if len(text) > MAX_LENGTH:
        raise InvalidMediaType(f"a media type is at most {MAX_LENGTH} characters")
    match = _MEDIA_TYPE.fullmatch(text.strip(" \t"))
    if match is None:
        raise InvalidMediaType(f"{text[:80]!r} is not a media type like 'image/png'")
    kind, subtype, rest = match.group(1).lower(), match.group(2).lower(), match.group(3)
    if kind not in TOP_LEVEL_TYPES:
        raise InvalidMediaType(f"{kind!r} is not a registered top-level media type")
    parameters = tuple(
        (m.group(1).lower(), m.group(2)) for m in _ONE_PARAM.finditer(rest) if m.group(1)
    )
    return MediaType(kind, subtype, parameters)


def sniff_raster(content: bytes) -> str | None:
    """The raster image type the bytes' magic number names (`image/png`...), else None."""
    guessed = filetype.guess_mime(content[:262])
    return guessed if guessed in RASTER_TYPES else None
