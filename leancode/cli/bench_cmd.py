"""Command module (filled in by its feature)."""
from . import app  # noqa: F401
