"""forumqa: extractive, cited question answering over a folder of forum texts."""

__version__ = "0.1.0"
