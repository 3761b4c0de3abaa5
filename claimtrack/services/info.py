"""`claimtrack info`: where the database is, its revision, row counts, and the effective
settings with where each came from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..db import (
    SCHEMA_REVISION,
    Database,
    default_actor,
    default_db_path,
    mask_url,
    resolve_url,
)
from ..errors import DatabaseError, NextStep
from ..models import Claim, ClaimLink, Evidence, HistoryEvent, Source, Tag
from ..settings import loaded_settings


def database_info(db: str | None, *, actor: str | None = None) -> dict[str, Any]:
    """What `info` shows; `problem` is set, to the error, when the database cannot be used as
    it is."""
    url = resolve_url(db)
    data: dict[str, Any] = {
        "database": mask_url(url),
        "engine": url.split(":", 1)[0].split("+", 1)[0],
        "head": SCHEMA_REVISION,
        "default_database": str(default_db_path()),
        "actor": actor or default_actor(),
        "actor_default": default_actor(),
    }
    loaded = loaded_settings()
    data["settings_file"] = str(loaded.path)
    data["settings"] = loaded.as_dict()
    try:
        database = Database(url)
    except DatabaseError as exc:
        data.update(revision=None, counts={}, problem=exc)
        return data
    try:
        data["path"] = str(database.path) if database.path else None
        try:
            data["revision"] = database.schema_revision()
        except DatabaseError as exc:
            data.update(revision=None, counts={}, problem=exc)
            return data
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
            data["problem"] = (
                DatabaseError("the database is empty", next_step=NextStep("create"))
                if data["revision"] is None
                else DatabaseError(
                    f"the database is at schema {data['revision']}, this claimtrack needs "
                    f"{SCHEMA_REVISION}",
                    next_step=NextStep("upgrade"),
                )
            )
    finally:
        database.dispose()
    return data
