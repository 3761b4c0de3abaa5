"""What claimtrack does, as functions over a SQLAlchemy Session: no Typer, no printing.

The command line is a thin layer over these; scripts may import them directly:

    from claimtrack import api
    with api.open_database("research.db").session(write=True) as session:
        api.add_source(session, name="Daily NK", kind="outlet", reliability="C")
"""
