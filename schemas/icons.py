"""Icon names: the widget's built-in icons, and `vendor:`/`lucide:` names it resolves itself."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

BuiltinIconName = Literal[
    "agent",
    "analytics",
    "atom",
    "batch",
    "bolt",
    "book-open",
    "book-closed",
    "book-clock",
    "bug",
    "calendar",
    "chart",
    "check",
    "check-circle",
    "check-circle-filled",
    "chevron-left",
    "chevron-right",
    "circle-question",
    "clock",
    "compass",
    "confetti",
    "cube",
    "desktop",
    "document",
    "dot",
    "dots-horizontal",
    "dots-vertical",
    "empty-circle",
    "external-link",
    "globe",
    "keys",
    "lab",
    "images",
    "info",
    "lifesaver",
    "lightbulb",
    "mail",
    "map-pin",
    "maps",
    "mobile",
    "name",
    "notebook",
    "notebook-pencil",
    "page-blank",
    "phone",
    "play",
    "plus",
    "profile",
    "profile-card",
    "reload",
    "star",
    "star-filled",
    "search",
    "sparkle",
    "sparkle-double",
    "square-code",
    "square-image",
    "square-text",
    "suitcase",
    "settings-slider",
    "user",
    "wreath",
    "write",
    "write-alt",
    "write-alt2",
]
VendorIconName = Annotated[str, StringConstraints(pattern=r"^vendor:")]
LucideIconName = Annotated[str, StringConstraints(pattern=r"^lucide:")]

IconName = BuiltinIconName | VendorIconName | LucideIconName
"""An icon the widget can draw: a built-in name, or `vendor:…` / `lucide:…`."""
