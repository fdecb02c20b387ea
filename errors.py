"""Every error a user can cause, typed in one place; the CLI prints `str(error)` as one line."""
from __future__ import annotations

import errno


class ReportQAError(Exception):
    """Base class: the message is a complete, user-facing sentence."""


class UnreadableDocument(ReportQAError):
    """A file that cannot be read, decoded or has an unsupported type."""


class EmptyQuestion(ReportQAError):
    """A question with no text in it."""

    def __init__(self, message: str = "the question is empty; ask something about the documents") -> None:
        super().__init__(message)


class IndexMissing(ReportQAError):
    """No index exists where one was expected."""


class IndexMismatch(ReportQAError):
    """An index built with another model, chunking or format version."""


class ModelUnavailable(ReportQAError):
    """An embedding model that is missing, cannot be converted or cannot be loaded."""


class LlmUnavailable(ReportQAError):
    """The optional LLM endpoint failed, timed out or answered in an unexpected shape."""


class IndexDamaged(ReportQAError):
    """An index whose files no longer match what its manifest recorded (truncated, garbled, missing)."""


class IndexBusy(ReportQAError):
    """Another process is building the same index right now."""


class InvalidConfig(ReportQAError, ValueError):
    """A configuration value outside its range (chunking, fusion, answering)."""


class InvalidInput(ReportQAError):
    """Input outside the documented rules: a question (length, text), k, mode, or a question set,
    batch file or feedback log whose rows do not have the documented shape."""


class StorageFailure(ReportQAError):
    """The disk refused a read or write: full, read-only, no permission."""


_OS_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.EIO: "an input/output error of the device",
}


def as_user_error(error: BaseException) -> ReportQAError | None:
    """The one-line error a user can act on for an expected failure; None for a bug (keep its traceback).

    Typed errors pass through; OS failures a user causes or can fix (full or read-only disk,
    permissions) and text that is not valid Unicode become typed errors here, so every front
    end (CLI, app) shows them the same way.
    """
    if isinstance(error, ReportQAError):
        return error
    if isinstance(error, OSError) and error.errno in _OS_REASONS:
        where = f" ({error.filename})" if error.filename else ""
        return StorageFailure(f"cannot read or write the data{where}: {_OS_REASONS[error.errno]}")
    if isinstance(error, UnicodeError):
        reason = getattr(error, "reason", str(error))
        return InvalidInput(f"the text is not valid Unicode ({reason}); save it as UTF-8 and retry")
    return None


class StoreUnavailable(ReportQAError):
    """A search-engine store (Qdrant) that is not installed, cannot be reached or is locked."""
