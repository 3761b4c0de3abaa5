"""claimtrack: track claims, their sources and evidence, and how well each is corroborated.

Scripts use the same service functions as the command line; see README ("Python API").
"""

__version__ = "0.1.0"


def __getattr__(name: str):
    # `import claimtrack; claimtrack.api` works without making `claimtrack --help` import
    # SQLAlchemy at start-up.
    if name == "api":
        import importlib

        return importlib.import_module("claimtrack.api")
    raise AttributeError(f"module 'claimtrack' has no attribute {name!r}")
