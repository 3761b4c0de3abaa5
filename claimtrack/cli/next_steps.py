"""The command to type next, after an error or a problem a service reports.

A service says what is wrong and names the step that would fix it (errors.NextStep: `restore`,
with the entity and its key); here each step is worded as the command that does it, with the
punctuation that joins it to the message. The Python API shows the service's message alone.
"""

from __future__ import annotations

from ..errors import ClaimtrackError, NextStep

WORDING = {
    "list": ": list them with `claimtrack {entity} list`",
    "find": ": find it with `claimtrack claim list` or `claimtrack source list`",
    "show": ", or see it with `claimtrack {entity} show {key}`",
    "restore": (
        ": see it with `claimtrack history {key}`, put it back with "
        "`claimtrack {entity} restore {key}`"
    ),
    "history": ", or see `claimtrack history {key}`",
    "list_links": ": see the claim's links with `claimtrack link list {claim}`",
    "list_evidence": ": list a claim's evidence with `claimtrack evidence list CLAIM`",
    "add_evidence": "; add some with `claimtrack evidence add` or `claimtrack import`",
    "add_again": "; add it again with `claimtrack evidence add`",
    "init": ": run `claimtrack init` first",
    "create": ": run `claimtrack init` to create it",
    "upgrade": ": run `claimtrack db upgrade`",
    "back_up_and_upgrade": (
        ": run `claimtrack db upgrade` (back it up first with `claimtrack db backup FILE`)"
    ),
    "init_after": ", then run `claimtrack init`",
    "init_or_point": (
        ": create it with `claimtrack init`, or point --db (or {env}) at an existing one"
    ),
    "init_new": " (claimtrack --db NEW init)",
    "upgrade_both": " (claimtrack db upgrade)",
    "copy_writable": " (`claimtrack db backup COPY`, then --db COPY)",
    "grant_writer": "; an admin can let it write with `claimtrack db grant {user} --role analyst`",
    "check": (
        ". See what is damaged with `claimtrack db check`; restore an earlier backup, or "
        "salvage what SQLite can read with `sqlite3 DB .recover`"
    ),
    "rebuild_search": (
        ": rebuild it with `claimtrack db downgrade 0006` then `claimtrack db upgrade` "
        "(back up first)"
    ),
}


def said(step: NextStep | None) -> str:
    """The step as the command line words it, to follow the message ("" for none). A name
    this table does not know is no step of ours but text that reads like one (a file named
    `{step:x}.jsonl` in a message): it stays as written."""
    if step is None:
        return ""
    if step.name not in WORDING:
        return "{step:" + step.name + "}"
    return WORDING[step.name].format(**step.values)


def worded(exc: ClaimtrackError) -> str:
    """The error's message with the command that fixes it."""
    return str(exc) + said(exc.next_step)
