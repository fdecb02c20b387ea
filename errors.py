"""Every error a user can cause, typed in one place; the CLI prints `str(error)` as one line."""


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


class InvalidConfig(ReportQAError, ValueError):
    """A configuration value outside its range (chunking, fusion, answering)."""


class InvalidInput(ReportQAError):
    """A question set, batch file or feedback log whose rows do not have the documented shape."""


class StoreUnavailable(ReportQAError):
    """A search-engine store (Qdrant) that is not installed, cannot be reached or is locked."""
