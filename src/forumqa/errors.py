"""Domain errors. The library raises these; only the API and CLI turn them into HTTP codes or messages."""


class ForumQAError(Exception):
    """Base class: the message is written for the person who has to act on it."""


class NoDocumentsError(ForumQAError):
    """The documents folder is missing or holds nothing that could be read."""


class IndexNotFoundError(ForumQAError):
    """No built index where the settings point."""


class IndexMismatchError(ForumQAError):
    """The index on disk was built with other model or chunking settings."""


class InvalidQuestionError(ForumQAError):
    """A question that cannot be answered as asked (empty, too long, unreadable)."""


class DocumentNotFoundError(ForumQAError):
    """A document id that is not in the index."""


class ReindexInProgressError(ForumQAError):
    """A rebuild is already running; one at a time."""
