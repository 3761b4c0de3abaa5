"""What the root command's global options leave for every subcommand."""

from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..db import Database


@dataclass
class State:
    db: str | None = None
    actor: str | None = None
    debug: bool = False
    no_color: bool = False
    no_pager: bool = False
    _database: Database | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        from ..db import resolve_url

        return resolve_url(self.db)

    @property
    def who(self) -> str:
        from ..db import ENV_ACTOR, default_actor

        return self.actor or os.environ.get(ENV_ACTOR) or default_actor()

    def database(self, *, create: bool = False, check: bool = True) -> Database:
        from ..db import open_database

        if self._database is None:
            self._database = open_database(self.db, create=create, check=check)
            if not gc.isenabled():
                # main() starts a command without the cyclic collector; what start-up made
                # (the modules) lives to the end: the collector's passes leave it out.
                gc.freeze()
                gc.enable()
        return self._database

    @contextmanager
    def reading(self):
        """A read-only session on the current-schema database."""
        database = self.database()
        try:
            with database.session() as session:
                yield session
        finally:
            database.dispose()

    @contextmanager
    def writing(self):
        """One write transaction: everything the command does lands, or nothing does."""
        database = self.database()
        try:
            with database.session(write=True, actor=self.who) as session:
                yield session
        finally:
            database.dispose()

    @contextmanager
    def rehearsal(self):
        """A write transaction that is always rolled back: what --dry-run shows, and the
        preview a destructive command asks about, computed by the very code that would run."""
        try:
            with self.writing() as session:
                yield session
                raise _RolledBack
        except _RolledBack:
            pass


class _RolledBack(Exception):
    pass
