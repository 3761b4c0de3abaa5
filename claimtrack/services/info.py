"""`claimtrack info`: where the database is, its revision, and row counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..db import SCHEMA_REVISION, Database, default_actor, mask_url, resolve_url
from ..errors import DatabaseError
from ..models import Claim, ClaimLink, Evidence, HistoryEvent, Source, Tag


def database_info(db: str | None) -> dict[str, Any]:
    url = resolve_url(db)
    data: dict[str, Any] = {
        "database": mask_url(url),
        "engine": url.split(":", 1)[0].split("+", 1)[0],
        "head": SCHEMA_REVISION,
        "actor_default": default_actor(),
    }
    try:
        database = Database(url)
    except DatabaseError as exc:
        data.update(revision=None, counts={}, problem=str(exc))
        return data
    try:
        data["path"] = str(database.path) if database.path else None
        data["revision"] = database.schema_revision()
        if data["revision"] == SCHEMA_REVISION:
            with database.session() as session:
                counts = {}
                for name, model in (
                    ("sources", Source),
                    ("claims", Claim),
                    ("evidence", Evidence),
                    ("claim_links", ClaimLink),
                    ("tags", Tag),
                    ("history", HistoryEvent),
                ):
                    counts[name] = session.scalar(select(func.count()).select_from(model))
                data["counts"] = counts
        else:
            data["counts"] = {}
    finally:
        database.dispose()
    return data
