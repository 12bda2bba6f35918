"""User-facing errors.  The command line prints these as one line and exits non-zero."""


class LeanCodeError(Exception):
    """Base class for every error caused by the user's input or environment."""


class ModelLoadError(LeanCodeError):
    """A model could not be loaded (for example a hub name with no network)."""


class TableError(LeanCodeError):
    """An importance table is missing, unreadable or of the wrong kind."""


class DataError(LeanCodeError):
    """An input file or dataset is unreadable or malformed."""
