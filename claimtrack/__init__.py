"""claimtrack: track claims, their sources and evidence, and how well each is corroborated.

Scripts use the same service functions as the command line; see README ("Python API").
"""

__version__ = "0.1.0"
