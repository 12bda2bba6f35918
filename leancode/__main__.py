"""``python -m leancode``: the same command line as the ``leancode`` script."""
from .cli import entry

if __name__ == "__main__":
    entry()
