"""Representative data for each schema revision, to prove upgrades lose nothing.

One module per revision, `rev_NNNN.py`, with `fill(conn, *, scale=1)`: it writes rows the way
that revision's schema holds them, through plain SQL on the tables as they were then (never the
current models, which move on). tests/test_migration_contract.py migrates a blank database to
each revision here, fills it, upgrades to head and checks every row is still there.

When you add a migration:
- if it adds or changes tables, add `rev_<your revision>.py` filling them too (copy the
  previous one and extend it), and register it in GENERATORS;
- if it deliberately transforms existing rows (renames a column, moves data), say so in
  TRANSFORMED below, so the comparison knows which columns changed and how to check them.
"""

from __future__ import annotations

from collections.abc import Callable

from . import rev_0001

GENERATORS: dict[str, Callable] = {
    "0001": rev_0001.fill,
}

# (table, column) -> function(old_value) -> expected value at head, for columns a later
# migration rewrites on purpose. Empty: no migration so far transforms existing data.
TRANSFORMED: dict[tuple[str, str], Callable] = {}
