"""The HTTP layer: schemas (pydantic, at the edge), dependencies, error mapping, routers and the app."""

from forumqa.api.app import WEB_DIR, create_app

__all__ = ["WEB_DIR", "create_app"]
