"""Errors raised on bad input. Every message names the file or argument and says what to do."""


class EvalcorrError(Exception):
    """Base class of every error evalcorr raises on purpose."""


class DataError(EvalcorrError):
    """A data file is missing, corrupt, or does not have the expected content."""


class ChecksumError(DataError):
    """A file's sha256 differs from the one recorded in the manifest."""


class RenderError(EvalcorrError):
    """A page could not be rendered (a cell raised, a cross-reference is unresolved, ...)."""
