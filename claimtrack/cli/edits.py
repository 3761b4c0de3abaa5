"""What `claim edit`, `claim verdict`, `source edit` and `evidence edit` print about the change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ..output.printing import print_changes, print_json, print_status_changes

if TYPE_CHECKING:
    from ..services.common import Edit


def given(value: Any) -> Any:
    """An edit's option as the service takes it: left out (None) keeps the field (UNSET)."""
    from ..services.common import UNSET

    return UNSET if value is None else value


def print_edit(
    edit: Edit, *, what: str, ident: dict[str, Any], json_: bool, moves_status: bool = True
) -> None:
    """Each changed field before and after, what a renamed key now resolves to, and the claims
    whose status the edit moved. `what` names the record in text ("Source dnk"), `ident` in
    JSON ({"key": "dnk"}), which lists the status changes of an edit that `moves_status` (a
    claim's own fields move none)."""
    if json_:
        data = {**ident, "before": edit.before, "after": edit.after}
        if moves_status:
            data["status_changes"] = [change.as_dict() for change in edit.status_changes]
        print_json(data)
    elif not edit.after:
        typer.echo(f"{what}: nothing changed")
    else:
        print_changes(edit.before, edit.after)
        if "key" in edit.after:
            typer.echo(f"{edit.before['key']!r} now resolves to {edit.after['key']!r}")
        print_status_changes(edit.status_changes)
