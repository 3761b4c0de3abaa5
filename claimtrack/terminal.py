"""Stored text shown to people can never act on their terminal.

Imported text may hold control characters: C0 (ESC starts the sequences that erase lines,
move the cursor, set colours, or write the clipboard with OSC 52), DEL, C1 (U+0080-U+009F,
which some terminals obey as 8-bit ESC sequences), bidirectional overrides and isolates
(U+202A-U+202E, U+2066-U+2069: "Trojan Source" reordering), and the Unicode line and paragraph
separators. Every text format (tables, fields, history, markdown, explain, search) shows them
escaped, as Python writes them (`\\x1b`, `\\u202e`), via `shown()`. JSON keeps the exact text
with the same characters as `\\uXXXX` escapes (`json_safe()`), so a script reads back exactly
what was stored while the JSON itself holds no raw control character. Zero-width joiners and
the left-to-right/right-to-left marks are ordinary text in many scripts and are left alone.
"""

from __future__ import annotations

import re
import textwrap
import unicodedata
from functools import cache

_CONTROLS = [
    *range(0x00, 0x20),
    0x7F,
    *range(0x80, 0xA0),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0x2028,
    0x2029,
]


def _python_escape(code: int) -> str:
    return repr(chr(code))[1:-1] if code < 0x100 else f"\\u{code:04x}"


_SHOWN = str.maketrans({code: _python_escape(code) for code in _CONTROLS})
_SHOWN_LINES = str.maketrans(
    {code: _python_escape(code) for code in _CONTROLS if code not in (0x0A,)}
)
# In JSON text C0 characters are already escaped by the encoder; the others are not.
_JSON = str.maketrans({code: f"\\u{code:04x}" for code in _CONTROLS if code >= 0x7F})


# str.translate looks every character up in its table (~70 ms a megabyte); one regular
# expression search finds out first whether there is anything to escape (~1 ms a megabyte).
_ANY_SHOWN = re.compile("[" + "".join(f"\\u{code:04x}" for code in _CONTROLS) + "]")
_ANY_SHOWN_LINES = re.compile(
    "[" + "".join(f"\\u{code:04x}" for code in _CONTROLS if code != 0x0A) + "]"
)
_ANY_JSON = re.compile("[" + "".join(f"\\u{code:04x}" for code in _CONTROLS if code >= 0x7F) + "]")


def shown(text: str, *, lines: bool = False) -> str:
    """`text` with every control character escaped; `lines` keeps line breaks (for text
    that is several lines by design, such as a whole rendered table)."""
    if not (_ANY_SHOWN_LINES if lines else _ANY_SHOWN).search(text):
        return text
    return text.translate(_SHOWN_LINES if lines else _SHOWN)


def json_safe(encoded: str) -> str:
    """JSON text (from json.dumps, ensure_ascii=False) with DEL, C1, bidi and line-separator
    characters written as \\uXXXX: the same JSON value, safe to print."""
    if not _ANY_JSON.search(encoded):
        return encoded
    return encoded.translate(_JSON)


# --- display width ----------------------------------------------------------------------------
# A terminal gives East Asian wide and fullwidth characters (Hangul, CJK ideographs, kana,
# fullwidth forms, most emoji) two columns and combining marks, zero-width characters and
# Hangul's conjoining medial and final jamo none. Tables line their columns up by this width,
# not by len(): a Korean claim's text is twice as wide as its length.


@cache
def _char_width(char: str) -> int:
    code = ord(char)
    if 0x1160 <= code <= 0x11FF or 0xD7B0 <= code <= 0xD7FF:  # conjoining jamo after the lead
        return 0
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf", "Cc"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """How many terminal columns `text` (one line) takes; a control character (shown text
    has them escaped; callers may use them as markers) takes none."""
    if text.isascii() and text.isprintable():
        return len(text)
    return sum(map(_char_width, text))


def display_ljust(text: str, width: int) -> str:
    """`text` padded with spaces to `width` terminal columns."""
    return text + " " * (width - display_width(text))


def display_wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` terminal columns, broken at spaces; a word wider
    than a line (a URL, or CJK written without spaces) is broken where it reaches the edge."""
    if text.isascii() and text.isprintable():
        return textwrap.wrap(text, width, break_on_hyphens=False)
    lines: list[str] = []
    line, used = "", 0
    for word in text.split():
        size = display_width(word)
        if line and used + 1 + size <= width:
            line, used = f"{line} {word}", used + 1 + size
            continue
        if line:
            lines.append(line)
            line, used = "", 0
        while size > width:
            head, head_size = "", 0
            for char in word:
                char_size = _char_width(char)
                if head_size + char_size > width and head:
                    break
                head, head_size = head + char, head_size + char_size
            lines.append(head)
            word = word[len(head) :]
            size -= head_size
        line, used = word, size
    if line:
        lines.append(line)
    return lines
