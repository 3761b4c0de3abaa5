"""The CSV evidence sheet: its columns and how a list is written in one cell, the same for
the export that writes the sheet and the import that reads it back."""

from __future__ import annotations

SHEET_FIELDS = (
    "claim_key",
    "claim_text",
    "source_key",
    "source_name",
    "stance",
    "credibility",
    "reliability",
    "quote",
    "url",
    "via",
    "observed",
    "tags",
    "key",
    "notes",
    "verdict",
    "verdict_reason",
)
# The reason a sheet's verdict is recorded with when no verdict_reason column gives one.
SHEET_VERDICT_REASON = "from the verdict column of an imported sheet"


def escape_list_item(item: str) -> str:
    """One tag in a `;`-separated cell: a `;` or `\\` inside it is escaped with `\\`."""
    if "\\" in item or ";" in item:
        return item.replace("\\", "\\\\").replace(";", "\\;")
    return item


def split_list(text: str) -> list[str]:
    """A `;`-separated cell (tags) into its items; `\\;` is a `;` inside an item and `\\\\`
    a backslash, as the CSV export writes them."""
    if "\\" not in text:
        return text.split(";")
    items, current, chars = [], [], iter(text)
    for char in chars:
        if char == "\\":
            current.append(next(chars, "\\"))
        elif char == ";":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return items
