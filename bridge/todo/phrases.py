"""The phrase tables of everyday todo requests: how people open and close a message, and the
patterns of each request (add, list, complete, reopen, reschedule, rename, delete, chat).
`request_parser` reads a message with them."""

from __future__ import annotations

import re
from typing import Literal

_I = re.IGNORECASE

VERBS = frozenset(
    {"add", "create", "delete", "remove", "complete", "finish", "rename", "change", "move"}
    | {"reschedule", "postpone", "show", "list", "mark", "clear", "reopen", "uncheck"}
    | {"update", "display", "cancel", "forget", "erase"}
)
VERB_ALIASES = {"ad": "add", "del": "delete", "rm": "remove", "rem": "remove", "ls": "list"}

OPENING = re.compile(
    r"^(?:(?:please|pls|plz|ok|okay|k|hey|hi|hello|so|now|and|then|also|oh|um|uh|just|"
    r"alright|right|great|cool|thanks|thx|yo|actually|wait|oh wait|no wait|sorry|oops)\b[,!.\s]*"
    r"|(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+|pls\s+)?"
    r"|i\s+(?:want|wanna|would like|'d like|d like)\s+(?:you\s+)?to\s+"
    r"|(?:let'?s|lets)\s+)+",
    _I,
)
CLOSING = re.compile(
    r"(?:[\s,]+(?:please|pls|plz|thanks|thank you|thx|ty|for me|now|asap))+$|[\s.!?]+$", _I
)


# ---- the requests ---------------------------------------------------------------------------

HELP = re.compile(
    r"^(?:help|\?|what can you do|what do you do|how does this work|how do i use (?:this|you)"
    r"|commands|what can i (?:say|do|ask))$",
    _I,
)
CHAT: list[tuple[re.Pattern[str], Literal["hello", "thanks", "ok", "bye", "how", "who"]]] = [
    (
        re.compile(
            r"^(?:hi+|hello+|hey+|yo|hiya|howdy|good (?:morning|afternoon|evening)|sup)"
            r"(?: there)?$",
            _I,
        ),
        "hello",
    ),
    (
        re.compile(
            r"^(?:thanks?(?: you)?(?: so much| a lot)?|thx|ty|cheers|much appreciated)$", _I
        ),
        "thanks",
    ),
    (
        re.compile(
            r"^(?:ok(?:ay)?|k|kk|cool|great|nice|awesome|perfect|got it|lol|haha|sounds good"
            r"|alright|all done|i'?m done|im done|done|that'?s all|that'?s it)$",
            _I,
        ),
        "ok",
    ),
    (re.compile(r"^(?:bye|goodbye|see ya|see you|good night|night|later)$", _I), "bye"),
    (
        re.compile(
            r"^(?:how are (?:you|u)|how's it going|hows it going|what's up|whats up"
            r"|how are things)$",
            _I,
        ),
        "how",
    ),
    (re.compile(r"^(?:who are you|what are you|are you (?:a bot|real|human|an ai))$", _I), "who"),
]
YES = re.compile(
    r"^(?:y|yes|yeah|yea|yep|yup|ya|sure|ok(?:ay)? do it|do it|go ahead|confirm|confirmed|"
    r"correct|absolutely|definitely|please do|yes please|yes do it|yes delete (?:it|them)|"
    r"affirmative)$",
    _I,
)
NO = re.compile(
    r"^(?:n|no|nope|nah|no thanks|no wait|wait|don'?t|do not|cancel|stop|never ?mind|nvm|forget it|"
    r"leave it|keep (?:it|them)|no don'?t|not now|abort)$",
    _I,
)

SPLIT = re.compile(
    r"\s*(?:;|\n|\.\s+(?=add\b)|,?\s+(?:and\s+)?(?:then|also)\s+(?=add\b)"
    r"|,?\s+and\s+(?=add\b)|,\s*(?=add\b))\s*",
    _I,
)
ADD = re.compile(
    r"^(?:(?:add|create|make|put|new|insert|jot down|write down)(?:\s*:\s*|\s+)"
    r"(?:a\s+|an\s+)?(?:new\s+)?(?:(?:task|todo|to-do|item|reminder|entry)s?\b\s*)?"
    r"(?:to\s+(?=\w+\s)|called\s+|named\s+|for\s+|:\s*|-\s*)?"
    r"|(?:task|reminder|note to self|note)\s*[:\-]\s*|(?:to-?do|new task|new todo)\s*[:\-]?\s*"
    r"|(?:remind me to|remind me|remember to|don'?t (?:let me )?forget to|dont forget to|"
    r"don'?t let me forget to)\s+"
    r"|(?:i\s+(?:really\s+|still\s+|also\s+)?(?:need to|have to|gotta|got to|'ve got to|ve got to|"
    r"must|should|ought to)|need to|have to|gotta|got to)\s+"
    r")(?P<rest>.+)$",
    _I,
)
TO_LIST = re.compile(
    r"\s+(?:to|on|onto|in|into)\s+(?:my|the)\s+(?:to-?do\s+|todo\s+|task\s+|shopping\s+)?"
    r"(?:list|tasks|todos)\b",
    _I,
)

LIST_NOUN = (
    r"(?:list|lists|tasks?|todos?|to-?dos?|to do|left|remaining|pending|due|overdue|late|done|"
    r"completed|finished|everything|plate|agenda|open|outstanding|unfinished|next)"
)
LIST = [
    re.compile(
        r"^(?:what(?:'s|s| is| are| do i have| have i got)?|show|shw|display|see|view|give|"
        r"tell|which|any|anything|do i have|have i|read|print|pull up|open|list|"
        r"remaining|outstanding|pending)\b.*\b" + LIST_NOUN + r"\b",
        _I,
    ),
    re.compile(
        r"^(?:my\s+|the\s+)?(?:(?:open|completed|done|finished|all|pending|remaining|overdue|"
        r"todays?|today's)\s+)?(?:tasks|todos|to-?dos|list|todo list|to-?do list|stuff)$",
        _I,
    ),
    re.compile(
        r"^(?:list|show|display)(?:\s+(?:all|everything|them|it|open|done|completed))?$", _I
    ),
    re.compile(r"^what (?:do|should|must) i (?:have|need|got) to do\b", _I),
    re.compile(r"^how many\b", _I),
    re.compile(
        r"^what (?:did i|have i|i) (?:do|done|did|finish|finished|complete|completed|get done|"
        r"got done|check off|tick off)\b",
        _I,
    ),
    re.compile(r"^(?:anything|what(?:'s|s| is)?) (?:due|overdue|late|coming up|upcoming)\b", _I),
    re.compile(r"^what(?:'s|s| is)? on (?:for )?(?:today|tonight|tomorrow|this week)$", _I),
    re.compile(r"^(?:due|overdue) (?:today|tomorrow|this week|tasks)$", _I),
    re.compile(r"^(?:overdue|late|upcoming|due soon)$", _I),
]
NEXT = re.compile(
    r"^(?:what(?:'s|s| is)? (?:next|first|up next|my next task|the next task)|next task|"
    r"what should i (?:do|start with|work on)(?: next| first| now)?|where do i start|"
    r"what(?:'s|s| is)? (?:most urgent|the most urgent)(?: task)?)$",
    _I,
)

TASK = r"(?P<t>.+?)"
"""The words that name the task(s) a request is about."""
DONE_WORD = r"(?:done|complete|completed|finished|checked(?: off)?|ticked(?: off)?|crossed off|off)"
COMPLETE = [
    re.compile(rf"^(?:mark|set|make|flag|put)\s+{TASK}\s+(?:as\s+)?{DONE_WORD}$", _I),
    re.compile(rf"^(?:mark|check|tick|cross)\s+off\s+{TASK}$", _I),
    re.compile(rf"^(?:mark|check|tick|cross)\s+{TASK}\s+off(?:\s+(?:my|the)\s+list)?$", _I),
    re.compile(rf"^(?:i'?m\s+|im\s+|i am\s+)?(?:done|finished)\s+with\s+{TASK}$", _I),
    re.compile(
        rf"^(?:complete|finish|finished|completed|check|tick|close|done|did)\s*:?\s+{TASK}$", _I
    ),
    re.compile(
        rf"^{TASK}\s*(?:is|are|'s|s|was|-|:)?\s+(?:all\s+)?"
        r"(?:done|finished|complete|completed|sorted|taken care of|checked off|handled)$",
        _I,
    ),
    re.compile(
        r"^i(?:\s+have|'ve|ve)?(?:\s+just|\s+already)*\s+"
        rf"(?:finished|completed|did|done|took care of)\s+{TASK}$",
        _I,
    ),
    re.compile(rf"^(?:got|get)\s+{TASK}\s+done$", _I),
]
REOPEN = [
    re.compile(
        rf"^(?:reopen|re-open|uncheck|untick|unmark|undo|restore|unfinish|uncomplete)\s+{TASK}$",
        _I,
    ),
    re.compile(
        rf"^(?:mark|set|make|put)\s+{TASK}\s+(?:as\s+)?(?:not done|not finished|not complete|open|"
        r"incomplete|undone|unfinished|to ?do|pending|active|not completed)$",
        _I,
    ),
    re.compile(
        rf"^{TASK}\s+(?:isn'?t|wasn'?t|is not|was not|aren'?t|are not)\s+(?:done|finished)"
        r"(?: after all| yet)?$",
        _I,
    ),
]
DUE_CHANGE = re.compile(
    r"^(?:move|reschedule|postpone|push|delay|shift|bump|set|change|put|make)\s+"
    r"(?:the\s+)?(?:due\s+date|deadline|date)\s+(?:of|for|on)\s+(?P<t>.+?)"
    r"\s+(?:to|for|as|on)\s+(?P<when>.+)$",
    _I,
)
RESCHEDULE = [
    re.compile(
        r"^(?:move|reschedule|postpone|push back|push|delay|shift|bump|set|change|put|make)\s+"
        r"(?P<rest>.+)$",
        _I,
    ),
    re.compile(r"^(?P<rest>.+?\s+(?:is\s+|should be\s+)?(?:now\s+)?due\s+.+)$", _I),
]
RESCHEDULE_GLUE = re.compile(
    r"\s+(?:(?:is\s+|should be\s+)?(?:now\s+)?(?:to\s+be\s+)?due|to|for|on|until|till|til|by|"
    r"back to|back|off to|off until|is|are|should be|now)$",
    _I,
)
RENAME = [
    re.compile(
        r"^(?:change|update|edit|set)\s+the\s+(?:title|name|text|wording)\s+of\s+"
        rf"{TASK}\s+to\s+(?P<title>.+)$",
        _I,
    ),
    re.compile(
        r"^(?:rename|retitle|reword|change|edit|update|fix|correct|modify)\s+"
        rf"{TASK}\s+(?:to|as|into|->|=>)\s+(?P<title>.+)$",
        _I,
    ),
    re.compile(rf"^replace\s+{TASK}\s+with\s+(?P<title>.+)$", _I),
    re.compile(rf"^{TASK}\s+should\s+(?:say|read|be called)\s+(?P<title>.+)$", _I),
]
DELETE = [
    re.compile(
        rf"^(?:delete|remove|drop|erase|get rid of|cancel|forget|forget about|scrap|trash|bin|"
        r"nuke|ditch|kill|clear|wipe|wipe out|clean out|clean up|purge|discard|del|rm|scratch|"
        rf"strike|take)\s+{TASK}(?:\s+(?:off|out))?$",
        _I,
    ),
    re.compile(
        rf"^(?:i\s+)?(?:don'?t|do not|no longer)\s+need\s+(?:to\s+)?{TASK}(?:\s+any\s?more)?$", _I
    ),
    re.compile(
        rf"^{TASK}\s+(?:can go|is not needed|isn'?t needed|is cancelled|is canceled|not needed)"
        r"(?: any\s?more)?$",
        _I,
    ),
    re.compile(rf"^never ?mind\s+(?:about\s+)?{TASK}$", _I),
]
CLEAR = re.compile(
    r"^(?:clear|delete|remove|clean up|clean out|purge|archive|wipe|get rid of|drop|trash)\s+"
    r"(?:all\s+|out\s+|the\s+|my\s+|of\s+|everything\s+|every\s+)*"
    r"(?:done|completed|finished|checked|ticked)"
    r"(?:\s+(?:ones|tasks?|todos?|items?|stuff))?$"
    r"|^(?:clear|clean up|purge)\s+(?:the\s+)?(?:done|completed|finished)$",
    _I,
)
