"""Look-alike characters: the skeleton of a text (Unicode Technical Standard #39), so that
"Dаily NK" with a Cyrillic "а", or with a Cherokee "Ꭰ", compares equal to "Daily NK".

The prototypes come from Unicode's confusables data (claimtrack/data/confusables.txt, read on
first use). Characters of ASCII keep their own form: "l" against "1", or "rn" against "m", are
typing slips between two Latin spellings rather than one script passing for another, and
folding them would make "Radio 1" and "Radio l" one source.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources


@cache
def _prototypes() -> dict[int, str]:
    table: dict[int, str] = {}
    text = resources.files("claimtrack").joinpath("data/confusables.txt").read_text("utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            source, *target = line.split()
            table[int(source, 16)] = "".join(chr(int(code, 16)) for code in target)
    return table


def skeleton(text: str) -> str:
    """`text` with every non-ASCII character replaced by the character it is confusable
    with (decomposed before and after, as UTS #39 defines it): for comparing, not showing."""
    decomposed = unicodedata.normalize("NFD", text)
    if decomposed.isascii():
        return decomposed
    return unicodedata.normalize("NFD", decomposed.translate(_prototypes()))


_WORD = re.compile(r"[^\W_]+")


def normalise_name(name: str) -> str:
    """What a name looks like: look-alike characters of other scripts mapped to the letter
    they pass for (`skeleton`), compatibility forms unified (NFKD: fullwidth and styled
    letters), case and diacritics folded, a leading "the" dropped, and everything that is not
    a letter or digit — spaces, punctuation, zero-width and other invisible characters — left
    out. Two source names with the same form are one source to a reader."""
    decomposed = unicodedata.normalize("NFKD", skeleton(name))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = _WORD.findall(folded)
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return "".join(words)
