"""`python -m koyalite`: the `koyalite` console script."""

from koyalite.cli import entrypoint

entrypoint()
