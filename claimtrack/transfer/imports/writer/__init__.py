"""The one writer every import goes through: records in batches, keys resolved through maps
loaded in bulk, rows written with executemany (SQLite) or COPY (PostgreSQL), never one
statement per row, all inside the caller's transaction.

It keeps the invariants the services keep: each source's materialised origin, tags through
tags/claim_tags, history through claimtrack.history_log (as the services write theirs): one
event per changed record, with its before and after, and one event for everything the import
created (`finish`: the files, the counts, the new ids as ranges), UTC timestamps. With
`write=False` (a dry run, or after the first bad row of an all-or-nothing import) it does the
same matching and counting without writing: new rows get negative ids that are never stored.

One module per entity, each a class over the shared core; Writer is all of them in one:

    core.py               ids, bulk INSERT / UPDATE, history, counts, key lookups
    sources.py            sources and their derived-from chains and origins
    claims.py             claims and their tags
    evidence.py           evidence items and their via chains, a batch at a time
    evidence_matching.py  which stored item an incoming one is, and what changes
    staged_evidence.py    evidence staged in a temporary table in pass 1, then resolved,
                          compared and inserted set-based (the rest through evidence.py)
    links.py, aliases.py, verdicts.py
"""

from __future__ import annotations

from .aliases import AliasWriter
from .claims import ClaimWriter
from .links import LinkWriter
from .sources import SourceWriter
from .staged_evidence import StagedEvidenceWriter
from .verdicts import VerdictWriter


class Writer(
    SourceWriter, ClaimWriter, StagedEvidenceWriter, LinkWriter, AliasWriter, VerdictWriter
):
    """Writer(conn, actor=, reason=, write=, reject=, join_look_alike_sources=):
    stage_evidence for each batch of pass 1; write_sources, write_claims and
    write_staged_evidence once, after it; write_links, write_verdicts and write_aliases for
    each batch of pass 2; finish at the end."""
