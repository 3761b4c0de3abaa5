"""claimtrack calibrate: fit the score on agreement and the team's verdicts, and evaluate it."""

from __future__ import annotations

from typing import Annotated

import typer

from ..output.printing import print_json, print_table
from .options import Json


def calibrate(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fit and evaluate, but store nothing.")
    ] = False,
    history: Annotated[
        bool, typer.Option("--history", help="List every stored fit instead of fitting.")
    ] = False,
    verdict_map: Annotated[
        str | None,
        typer.Option(
            "--verdict-map",
            metavar="true=VERDICT,false=VERDICT",
            help="Which verdicts mean true and which false (import's --verdict-map form). "
            "Default: true=confirmed,false=debunked.",
        ),
    ] = None,
    json_: Json = False,
) -> None:
    """Fit the score's weights: from the agreement of all evidence, and from the claims with a
    verdict (confirmed = true, debunked = false, unless --verdict-map says otherwise) where
    there are any. Stores the model (reports use it from then on) and records the fit in
    history, unless nothing changed since the last fit; prints its
    cross-validated AUC and Brier score beside the grade defaults and a naive count, and a
    reliability table. docs/scoring.md explains the method.

    \b
    Example: claimtrack calibrate
             claimtrack calibrate --verdict-map true=confirmed,false=debunked --dry-run
             claimtrack calibrate --history --json
    """
    from ..calibration import parse_verdict_map
    from ..services.calibrate import calibrate as fit
    from ..services.calibrate import model_history

    truths = parse_verdict_map(verdict_map)
    if history:
        with ctx.obj.reading() as session:
            rows = model_history(session)
        if json_:
            print_json(rows)
        else:
            print_table(
                ctx,
                rows,
                ["id", "fitted_at", "fitted_by", "kind", "verdicts", "claims"],
                empty="No fits yet: the grade defaults are in use (run `claimtrack calibrate`).",
            )
        return
    if dry_run:
        with ctx.obj.reading() as session:
            result = fit(session, actor=ctx.obj.who, dry_run=True, verdict_map=truths)
    else:
        with ctx.obj.writing() as session:
            result = fit(session, actor=ctx.obj.who, verdict_map=truths)
    result.pop("_model")
    if json_:
        print_json(result)
        return
    model = result["model"]
    if result["unchanged"]:
        typer.echo(f"Nothing new since the last fit: {model['name']} is still in use.")
    elif result["created"]:
        typer.echo(f"Fitted and stored {model['name']}; reports use it from now on.")
    else:
        typer.echo(f"Fitted {model['name']} (dry run: not stored).")
    evaluation = result["evaluation"]
    if not evaluation.get("verdicts"):
        typer.echo(
            "No verdicts: the weights come from agreement alone (docs/scoring.md); mark "
            "claims confirmed or debunked with `claimtrack claim verdict` to calibrate them."
        )
        return
    typer.echo(
        f"\nOn {evaluation['verdicts']} verdicted claims ({evaluation['true']} true, "
        f"{evaluation['false']} false), each scored without its own verdict:"
    )
    print_table(
        ctx,
        [
            {**row, "auc": _number(row["auc"]), "brier": _number(row["brier"])}
            for row in evaluation["models"]
        ],
        ["model", "claims", "auc", "brier"],
    )
    typer.echo("\nReliability (predicted against observed):")
    print_table(ctx, evaluation["reliability"], ["bin", "claims", "predicted", "observed"])


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate)
