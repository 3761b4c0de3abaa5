"""The Python API: the service functions the command line uses, in one place for scripts.

    from claimtrack import api

    db = api.open_database("research.db", create=True)   # a path (SQLite) or a URL
    api.init_database(db)
    with db.session(write=True, actor="me") as session:    # one transaction
        api.add_source(session, name="Daily NK", key="dnk", kind="outlet", reliability="C")
        result = api.import_records(session, ({"type": "claim", "text": t} for t in texts))
    with db.session() as session:
        claims = api.list_claims(session, statuses=["corroborated"])

Every function takes the Session first and keyword arguments; errors are the exceptions of
claimtrack.errors (NotFound, InvalidValue, Conflict, DatabaseError, ImportRefused), each with
a message that says what to fix. These are the very functions the command line calls, so a
script and `claimtrack` write the same rows and the same history (under the session's actor).
An edit returns an `Edit` (row, before, after, status_changes), `remove_evidence` a `Removal`
(evidence, status_changes): `status_changes` lists the claims whose status the write moved,
each also recorded as a `claim.status` history event. `UNSET` leaves an edited field as it is.
"""

from __future__ import annotations

from .db import Database, open_database
from .db import run_migration as _run_migration
from .errors import ClaimtrackError, Conflict, DatabaseError, InvalidValue, NotFound
from .services.claims import (
    add_claim,
    edit_claim,
    link_claims,
    list_claims,
    list_links,
    set_verdict,
    show_claim,
    unlink_claims,
)
from .services.common import UNSET, Edit, Removal
from .services.evidence import add_evidence, edit_evidence, list_evidence, remove_evidence
from .services.history import history_of
from .services.sources import add_source, edit_source, list_sources, show_source
from .services.status_changes import StatusChange
from .transfer import export, export_file, import_files, import_records
from .transfer.exports import claimreview_problems
from .transfer.imports import ImportRefused, ImportResult


def init_database(database: Database) -> None:
    """Create the schema, or upgrade it to the newest revision (what `claimtrack init` does)."""
    _run_migration(database, "upgrade", "head")


__all__ = [
    "ClaimtrackError",
    "Conflict",
    "Database",
    "DatabaseError",
    "Edit",
    "ImportRefused",
    "ImportResult",
    "InvalidValue",
    "NotFound",
    "Removal",
    "StatusChange",
    "UNSET",
    "add_claim",
    "add_evidence",
    "add_source",
    "claimreview_problems",
    "edit_claim",
    "edit_evidence",
    "edit_source",
    "export",
    "export_file",
    "history_of",
    "import_files",
    "import_records",
    "init_database",
    "link_claims",
    "list_claims",
    "list_evidence",
    "list_links",
    "list_sources",
    "open_database",
    "remove_evidence",
    "set_verdict",
    "show_claim",
    "show_source",
    "unlink_claims",
]
