"""Logging for a serving process: the `forumqa` logger visible at INFO, and no credential in an access-log line.

Without a handler, Python prints only warnings (through its last-resort handler), so re-index
messages and the files a build skipped never appeared in a server's log.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from forumqa.http_guards import has_query_token

LOGGER = "forumqa"
#: Lined up with uvicorn's own lines ("INFO:     ...") in the same server log.
FORMAT = "%(levelprefix)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Give the forumqa logger a stderr handler, unless it or the root logger already has one (an
    application or pytest that configured logging keeps its own set-up, and nothing is printed twice).
    """
    logger = logging.getLogger(LOGGER)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    if not logger.handlers and not logging.getLogger().handlers:
        from uvicorn.logging import DefaultFormatter

        handler = logging.StreamHandler()
        handler.setFormatter(DefaultFormatter(FORMAT, use_colors=False))
        logger.addHandler(handler)


def redact_query_tokens(path: str) -> str:
    """A request target with its query string blanked when that names a token parameter."""
    parts = urlsplit(path)
    if not has_query_token(parts.query):
        return path
    return f"{parts.path}?[query removed: it held a credential]"


class RedactQueryTokens(logging.Filter):
    """Blanks a credential-bearing query in any string argument of a record (uvicorn's access log passes the
    request target as one). The server refuses such requests, but the refusal itself is logged.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact_query_tokens(arg) if isinstance(arg, str) and "?" in arg else arg for arg in record.args)
        return True


def redact_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install RedactQueryTokens on uvicorn's access logger once (idempotent: start-ups may repeat in tests)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, RedactQueryTokens) for f in logger.filters):
        logger.addFilter(RedactQueryTokens())
