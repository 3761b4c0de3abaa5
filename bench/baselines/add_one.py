"""Baseline for `claimtrack evidence add`: a minimal Typer app that, like claimtrack, imports
SQLAlchemy only inside its command, opens the same database and inserts one evidence row
(resolving the claim and source keys in the same statement) in one transaction.

    python bench/baselines/add_one.py DB_FILE CLAIM --source SRC --supports
"""

from typing import Annotated

import typer

app = typer.Typer(add_completion=False)


@app.command()
def add(
    db: str,
    claim: str,
    source: Annotated[str, typer.Option("--source")],
    supports: Annotated[bool, typer.Option("--supports")] = False,
    contradicts: Annotated[bool, typer.Option("--contradicts")] = False,
    quote: Annotated[str | None, typer.Option("--quote")] = None,
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{db}")
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        new_id = conn.execute(
            text(
                "INSERT INTO evidence (claim_id, source_id, stance, credibility, quote,"
                " created_at, updated_at)"
                " SELECT c.id, s.id, :stance, 6, :quote, :now, :now"
                " FROM claims c, sources s WHERE c.key = :claim AND s.key = :source"
                " RETURNING id"
            ),
            {
                "stance": "contradicts" if contradicts else "supports",
                "quote": quote,
                "now": now,
                "claim": claim,
                "source": source,
            },
        ).scalar_one()
    typer.echo(f"Added evidence {new_id}")


if __name__ == "__main__":
    app()
