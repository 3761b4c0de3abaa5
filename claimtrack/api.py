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
a message that says what to fix. Writes record history under the session's actor.
"""

from __future__ import annotations

from .db import Database, open_database, run_migration
from .errors import ClaimtrackError, Conflict, DatabaseError, InvalidValue, NotFound
from .exporters import claimreview_problems
from .importers import ImportRefused, ImportResult
from .services.claims import (
    add_claim,
    edit_claim,
    link_claims,
    list_claims,
    set_verdict,
    show_claim,
)
from .services.evidence import add_evidence, list_evidence, remove_evidence
from .services.history import history_of
from .services.sources import add_source, edit_source, list_sources, show_source
from .services.transfer import export, export_file, import_files, import_records


def init_database(database: Database) -> None:
    """Create the schema, or upgrade it to the newest revision (what `claimtrack init` does)."""
    run_migration(database, "upgrade", "head")


__all__ = [
    "ClaimtrackError",
    "Conflict",
    "Database",
    "DatabaseError",
    "ImportRefused",
    "ImportResult",
    "InvalidValue",
    "NotFound",
    "add_claim",
    "add_evidence",
    "add_source",
    "claimreview_problems",
    "edit_claim",
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
    "list_sources",
    "open_database",
    "remove_evidence",
    "set_verdict",
    "show_claim",
    "show_source",
]
