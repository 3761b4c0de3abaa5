"""Full-text search over claims (text, place, tags, notes), evidence quotes and source names.

The index itself lives in the database and is kept current by triggers (migrations 0002,
0007): SQLite's external-content FTS5 table `search_index` over the view `search_content`;
PostgreSQL's GIN indexes on evidence and sources by expression and on claims' tsvectors in
`search_claims`, read together through the view `search_documents`. The index holds no copy
of the text: snippets are made from the rows. This module parses the user's query into a safe engine query and reads results.

Query syntax (everything else is taken literally, and no input raises an engine error):

    word word        both words (AND)
    "a phrase"       the words next to each other, in this order
    word*            words starting with "word"
    a OR b           either (OR binds tighter than the implicit AND)
    -word, -"a b"    leave out documents containing it

Case and diacritics do not matter. Terms in Korean, Chinese or Japanese script match as
prefixes, because those languages attach particles to the word ("량강도" finds "량강도에서").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Integer, Select, String, bindparam, case, or_, select, sql, text
from sqlalchemy.orm import Session

from .. import values
from ..errors import InvalidValue
from ..models import Claim, Evidence, EvidenceRelay, Source
from ..terminal import shown
from .assessments import assess_claims
from .claim_filter import ClaimFilter
from .common import get_source

KINDS = ("claim", "evidence", "source")
DEFAULT_LIMIT = 20


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One searchable unit: a word or a phrase (its words in order), maybe a prefix."""

    text: str
    prefix: bool = False

    @property
    def words(self) -> list[str]:
        return _WORD.findall(fold(self.text))


@dataclass
class ParsedQuery:
    """All `groups` must match (each group: any of its terms); no term of `excluded` may."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups

    def terms(self) -> list[Term]:
        return [term for group in self.groups for term in group]


_WORD = re.compile(r"[^\W_]+")
_TOKEN = re.compile(r'(-?)"([^"]*)("?)(\*?)|(\S+)')
_CJK = re.compile(
    "[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]"
)


def fold(value: str) -> str:
    """Lower case without diacritics: how both engines compare words."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _searchable(value: str) -> bool:
    return bool(_WORD.search(value))


def parse_query(query: str) -> ParsedQuery:
    """Split the user's query into terms; anything that is not syntax is a literal word."""
    items: list[tuple[str, Term | None]] = []  # ("+", term) | ("-", term) | ("or", None)
    for match in _TOKEN.finditer(query or ""):
        negate, phrase, _closing, star, bare = match.groups()
        if bare is not None:
            if bare == "OR":
                items.append(("or", None))
                continue
            negate = "-" if bare.startswith("-") and len(bare) > 1 else ""
            word = bare[1:] if negate else bare
            prefix = word.endswith("*")
            word = word.rstrip("*")
            if not _searchable(word):
                continue
            if _CJK.search(word):
                prefix = True
            items.append(("-" if negate else "+", Term(word, prefix)))
        else:
            if not _searchable(phrase):
                continue
            items.append(("-" if negate else "+", Term(" ".join(phrase.split()), bool(star))))
    parsed = ParsedQuery()
    joining = False
    for index, (kind, term) in enumerate(items):
        if kind == "or":
            previous_positive = index > 0 and items[index - 1][0] == "+"
            next_positive = index + 1 < len(items) and items[index + 1][0] == "+"
            if previous_positive and next_positive:
                joining = True
            else:
                # An OR with nothing to join is just the word "or".
                parsed.groups.append([Term("OR")])
            continue
        if kind == "-":
            parsed.excluded.append(term)
        elif joining and parsed.groups:
            parsed.groups[-1].append(term)
        else:
            parsed.groups.append([term])
        joining = False
    return parsed


def _fts5_term(term: Term) -> str:
    return '"' + term.text.replace('"', '""') + '"' + ("*" if term.prefix else "")


def _expression(parsed: ParsedQuery, term, any_of: str, all_of: str, but_not: str) -> str:
    """The query as an engine's expression: every group (any of its terms), but none of the
    excluded terms."""
    groups = ["(" + any_of.join(term(t) for t in group) + ")" for group in parsed.groups]
    expression = all_of.join(groups)
    if parsed.excluded:
        excluded = any_of.join(term(t) for t in parsed.excluded)
        expression = f"({expression}){but_not}({excluded})"
    return expression


def fts5_query(parsed: ParsedQuery) -> str:
    """The MATCH string for SQLite FTS5: every term a quoted string, so no syntax leaks in."""
    return _expression(parsed, _fts5_term, " OR ", " AND ", " NOT ")


def _tsquery_term(term: Term) -> str:
    # A quoted operand of to_tsquery is parsed by the text-search parser, the same one that
    # built the index, and several words in it become a phrase (<->).
    quoted = "'" + term.text.replace("\\", "\\\\").replace("'", "''") + "'"
    return quoted + (":*" if term.prefix else "")


def tsquery_text(parsed: ParsedQuery) -> str:
    """The argument for to_tsquery('simple', search_fold(:q)) on PostgreSQL."""
    return _expression(parsed, _tsquery_term, " | ", " & ", " & !")


# --- searching -------------------------------------------------------------------------------

_SQLITE_MATCHES = """
    SELECT CASE rowid % 4 WHEN 1 THEN 'claim' WHEN 2 THEN 'evidence' ELSE 'source' END AS kind,
           rowid / 4 AS ref_id, -bm25(search_index, 0, 0, 4.0, 2.0, 2.0, 1.0) AS score
    FROM search_index WHERE search_index MATCH :query {kind_filter}
"""
_SQLITE_KIND_CODES = {"claim": 1, "evidence": 2, "source": 3}
_PG_MATCHES = """
    SELECT d.kind, d.ref_id, ts_rank(d.document, q.query) AS score
    FROM search_documents AS d, to_tsquery('simple', search_fold(:query)) AS q(query)
    WHERE d.document @@ q.query {kind_filter}
"""


def search(
    session: Session,
    query: str,
    *,
    kinds: Sequence[str] = (),
    statuses: Sequence[str] = (),
    tags: Sequence[str] = (),
    source: str | None = None,
    since: str | datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[dict[str, Any]]:
    """Results best first, each with its type, key, text, snippet and the claim's status.

    Filters: `kinds` (claim, evidence, source; any of); the claim filter (`statuses`, `tags`,
    `source`, `since`: services/claim_filter.py, as `claim list` keeps claims) keeps claims
    and the evidence items of the claims it keeps. With `source`, an evidence item must also
    come from, via or (through derived-from) from an origin at that source, and the source
    itself is a result.
    """
    for kind in kinds:
        values.one_of(kind, KINDS, field="type")
    claims = ClaimFilter.parse(statuses=statuses, tags=tags, source=source, since=since)
    if limit < 1:
        raise InvalidValue("limit", limit, "a whole number of 1 or more")
    parsed = parse_query(query)
    if parsed.empty:
        return []
    wanted_kinds = list(dict.fromkeys(kinds)) or list(KINDS)
    if claims.tags or claims.statuses or claims.since:
        wanted_kinds = [k for k in wanted_kinds if k != "source"]
        if not wanted_kinds:
            return []
    params: dict[str, Any] = {}
    filter_kinds = set(wanted_kinds) != set(KINDS)
    if filter_kinds:
        params["kinds"] = wanted_kinds
    if session.get_bind().dialect.name == "postgresql":
        matches = _PG_MATCHES.format(kind_filter=" AND d.kind IN :kinds" if filter_kinds else "")
        params["query"] = tsquery_text(parsed)
    else:
        matches = _SQLITE_MATCHES.format(
            kind_filter=" AND rowid % 4 IN :kinds" if filter_kinds else ""
        )
        params["query"] = fts5_query(parsed)
        if filter_kinds:
            params["kinds"] = [_SQLITE_KIND_CODES[kind] for kind in wanted_kinds]
    ranked = matches
    if not claims.selects_ids:
        # Nothing to join on: rank inside the index and join only the page shown.
        ranked += " ORDER BY score DESC, ref_id, kind LIMIT :limit + :offset"
    statement = _results(session, ranked, claims)

    results: list[dict[str, Any]] = []
    page = limit if not claims.statuses else max(limit * 4, 200)
    offset = 0
    while len(results) < limit:
        rows = session.execute(statement, {**params, "limit": page, "offset": offset}).all()
        views = _views(session, rows, parsed)
        results.extend(v for v in views if claims.keeps(v["status"]))
        if len(rows) < page:
            break
        offset += page
    return results[:limit]


_MATCH_COLUMNS = (
    sql.column("kind", String),
    sql.column("ref_id", Integer),
    sql.column("score", Float),
)


def _results(session: Session, matches: str, claims: ClaimFilter) -> Select:
    """The page of results: the matches (kind, ref_id, score) joined to their claim and
    source, removed ones left out, kept by the claim filter. Only ids and scores travel
    through the sort: the text of a document is read for the page shown (carrying it for
    every match makes a common word several times slower)."""
    statement = text(matches)
    if ":kinds" in matches:
        statement = statement.bindparams(bindparam("kinds", expanding=True))
    m = statement.columns(*_MATCH_COLUMNS).subquery("m")
    e, c, s = Evidence.__table__.alias("e"), Claim.__table__.alias("c"), Source.__table__.alias("s")
    claim_id = case((m.c.kind == "claim", m.c.ref_id), (m.c.kind == "evidence", e.c.claim_id))
    source_id = case((m.c.kind == "source", m.c.ref_id), (m.c.kind == "evidence", e.c.source_id))
    query = (
        select(
            m.c.kind,
            m.c.ref_id,
            m.c.score,
            c.c.id.label("claim_id"),
            c.c.key.label("claim_key"),
            c.c.text.label("claim_text"),
            s.c.key.label("source_key"),
            s.c.name.label("source_name"),
            e.c.id.label("evidence_id"),
        )
        .select_from(m)
        .outerjoin(e, (m.c.kind == "evidence") & (e.c.id == m.c.ref_id))
        .outerjoin(c, c.c.id == claim_id)
        .outerjoin(s, s.c.id == source_id)
        .where(
            or_(c.c.id.is_(None), c.c.removed_at.is_(None)),
            or_(s.c.id.is_(None), s.c.removed_at.is_(None)),
        )
        .order_by(m.c.score.desc(), m.c.kind, m.c.ref_id)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    kept = claims.claim_ids(session)
    if claims.source:
        source_row = get_source(session, claims.source)
        relayed = select(EvidenceRelay.evidence_id).where(EvidenceRelay.source_id == source_row.id)
        cites = or_(
            e.c.source_id == source_row.id,
            e.c.via_id == source_row.id,
            e.c.id.in_(relayed),
            s.c.origin_id == source_row.id,
        )
        query = query.where(
            or_(
                (m.c.kind == "claim") & c.c.id.in_(kept),
                (m.c.kind == "evidence") & c.c.id.in_(kept) & cites,
                (m.c.kind == "source") & (m.c.ref_id == source_row.id),
            )
        )
    elif kept is not None:
        query = query.where(c.c.id.in_(kept))
    return query


def match_claim_ids(session: Session, parsed: ParsedQuery, *, limit: int) -> list[int]:
    """Ids of the best-matching claims (for duplicate candidates), best first."""
    if parsed.empty:
        return []
    if session.get_bind().dialect.name == "postgresql":
        statement = text(
            "SELECT d.ref_id FROM search_claims AS d, "
            "to_tsquery('simple', search_fold(:query)) AS q(query) "
            "WHERE d.document @@ q.query "
            "ORDER BY ts_rank(d.document, q.query) DESC, d.ref_id LIMIT :limit"
        )
        query = tsquery_text(parsed)
    else:
        statement = text(
            "SELECT rowid / 4 FROM search_index WHERE search_index MATCH :query "
            "AND rowid % 4 = 1 ORDER BY bm25(search_index, 0, 0, 1.0, 0, 0, 0), rowid "
            "LIMIT :limit"
        )
        query = fts5_query(parsed)
    return [int(i) for i in session.scalars(statement, {"query": query, "limit": limit})]


def count_claims(session: Session, parsed: ParsedQuery, *, cap: int = 2000) -> int:
    """How many claims match, counting no further than `cap` (cheap for common words)."""
    if parsed.empty:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        inner = (
            "SELECT 1 FROM search_claims AS d "
            "WHERE d.document @@ to_tsquery('simple', search_fold(:query)) LIMIT :cap"
        )
        query = tsquery_text(parsed)
    else:
        inner = (
            "SELECT 1 FROM search_index WHERE search_index MATCH :query AND rowid % 4 = 1 "
            "LIMIT :cap"
        )
        query = fts5_query(parsed)
    statement = text(f"SELECT count(*) FROM ({inner}) AS capped")  # noqa: S608
    return int(session.scalar(statement, {"query": query, "cap": cap}) or 0)


_TAGS = {
    "sqlite": "(SELECT group_concat(name, ' ') FROM (SELECT t.name FROM claim_tags AS ct "
    "JOIN tags AS t ON t.id = ct.tag_id WHERE ct.claim_id = c.id ORDER BY t.name))",
    "postgresql": "(SELECT string_agg(t.name, ' ' ORDER BY t.name) FROM claim_tags AS ct "
    "JOIN tags AS t ON t.id = ct.tag_id WHERE ct.claim_id = c.id)",
}
_TEXTS = {
    dialect: "SELECT 'claim', c.id, c.text, c.place, "  # noqa: S608 -- constants here
    + tags
    + ", c.notes FROM claims AS c WHERE c.id IN :claims "
    "UNION ALL SELECT 'evidence', e.id, e.quote, NULL, NULL, NULL FROM evidence AS e "
    "WHERE e.id IN :evidence "
    "UNION ALL SELECT 'source', s.id, s.name, NULL, NULL, NULL FROM sources AS s "
    "WHERE s.id IN :sources"
    for dialect, tags in _TAGS.items()
}


def _document_texts(
    session: Session, documents: list[tuple[str, int]]
) -> dict[tuple[str, int], dict[str, str | None]]:
    """The indexed text columns of these documents, read from their rows in one query (the
    index references the rows and holds no text)."""
    if not documents:
        return {}
    dialect = session.get_bind().dialect.name
    ids = {kind: [i for k, i in documents if k == kind] or [0] for kind in KINDS}
    statement = text(_TEXTS[dialect]).bindparams(
        *(bindparam(name, expanding=True) for name in ("claims", "evidence", "sources"))
    )
    rows = session.execute(
        statement,
        {"claims": ids["claim"], "evidence": ids["evidence"], "sources": ids["source"]},
    )
    return {
        (kind, int(ref)): {"text": body, "place": place, "tags": tags, "notes": notes}
        for kind, ref, body, place, tags, notes in rows
    }


def _views(session: Session, rows: Sequence[Any], parsed: ParsedQuery) -> list[dict[str, Any]]:
    claim_ids = {row.claim_id for row in rows if row.claim_id is not None}
    assessments = assess_claims(session, claim_ids) if claim_ids else {}
    texts = _document_texts(session, [(row.kind, int(row.ref_id)) for row in rows])
    views = []
    for row in rows:
        columns = texts.get((row.kind, int(row.ref_id)), {})
        column, snippet, highlights = make_snippet(columns, parsed)
        assessment = assessments.get(row.claim_id)
        view: dict[str, Any] = {
            "type": row.kind,
            "key": row.claim_key
            if row.kind == "claim"
            else (row.source_key if row.kind == "source" else str(row.evidence_id)),
            "score": float(f"{float(row.score):.6g}"),
            "text": columns.get("text"),
            "matched": column,
            "snippet": snippet,
            "highlights": highlights,
            "claim": row.claim_key,
            "status": assessment.status if assessment else None,
        }
        if row.kind == "evidence":
            view["evidence_id"] = row.evidence_id
            view["source"] = row.source_key
            view["claim_text"] = row.claim_text
        views.append(view)
    return views


# --- snippets --------------------------------------------------------------------------------

SNIPPET_WORDS = 24


def _matches_word(word: str, terms: list[tuple[list[str], bool]]) -> bool:
    folded = fold(word)
    for words, prefix in terms:
        for index, part in enumerate(words):
            last = index == len(words) - 1
            if folded == part or (prefix and last and folded.startswith(part)):
                return True
    return False


def make_snippet(
    columns: dict[str, str | None], parsed: ParsedQuery
) -> tuple[str, str, list[list[int]]]:
    """(column, snippet, highlights): a window of the best-matching column around its first
    match, with [start, end) character offsets of every matching word in the snippet.

    Done here rather than by the engines so both show the same snippet and agree with the
    folding (FTS5's snippet() and ts_headline() differ, and ts_headline does not fold)."""
    terms = [(term.words, term.prefix) for term in parsed.terms() if term.words]
    best: tuple[int, str, str, list[tuple[int, int]]] | None = None
    for column, value in columns.items():
        if not value:
            continue
        spans = [m.span() for m in _WORD.finditer(value) if _matches_word(m.group(), terms)]
        if best is None or len(spans) > best[0]:
            best = (len(spans), column, value, spans)
    if best is None:
        return "text", "", []
    _count, column, value, spans = best
    words = list(_WORD.finditer(value))
    if len(words) <= SNIPPET_WORDS:
        start, end = 0, len(value)
    else:
        first = next((i for i, w in enumerate(words) if spans and w.span() == spans[0]), 0)
        lo = max(0, min(first - SNIPPET_WORDS // 3, len(words) - SNIPPET_WORDS))
        hi = lo + SNIPPET_WORDS - 1
        start = 0 if lo == 0 else words[lo].start()
        end = len(value) if hi >= len(words) - 1 else words[hi].end()
    snippet = value[start:end]
    lead = "…" if start > 0 else ""
    tail = "…" if end < len(value) else ""
    shift = len(lead) - start
    compact, offsets = _compact(lead + snippet + tail)
    highlights = [
        [offsets[a + shift], offsets[b + shift - 1] + 1]
        for a, b in spans
        if a >= start and b <= end
    ]
    return column, compact, highlights


def _compact(value: str) -> tuple[str, list[int]]:
    """Whitespace runs collapsed to one space, with each original offset's new position."""
    out: list[str] = []
    offsets: list[int] = []
    previous_space = False
    for char in value:
        if char.isspace():
            offsets.append(len(out) if not previous_space else len(out) - 1)
            if not previous_space:
                out.append(" ")
            previous_space = True
        else:
            offsets.append(len(out))
            out.append(char)
            previous_space = False
    return "".join(out), offsets


def mark(snippet: str, highlights: Sequence[Sequence[int]], before: str, after: str) -> str:
    """The snippet for people: every highlighted span wrapped in `before` … `after`, control
    characters escaped (claimtrack.terminal)."""
    pieces, position = [], 0
    for start, end in highlights:
        pieces += [shown(snippet[position:start]), before, shown(snippet[start:end]), after]
        position = end
    pieces.append(shown(snippet[position:]))
    return "".join(pieces)
