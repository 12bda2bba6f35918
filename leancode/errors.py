"""User-facing errors.  The command line prints these as one line and exits non-zero."""


class LeanCodeError(Exception):
    """Base class for every error caused by the user's input or environment."""


class ModelLoadError(LeanCodeError):
    """A model could not be loaded (for example a hub name with no network)."""


class TableError(LeanCodeError):
    """An importance table is missing, unreadable or of the wrong kind."""


class DataError(LeanCodeError):
    """An input file or dataset is unreadable or malformed."""


class LeanCodeWarning(UserWarning):
    """Something works but may mislead: a model read at a length it was not trained with, a
    table used with another model, language or method than it was built for.  The command line
    prints each one as one line on stderr."""
