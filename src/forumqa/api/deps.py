"""What a route needs from the running app: the engine, the settings, the rebuild log, the admin check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from forumqa.config import Settings
from forumqa.engine import Engine
from forumqa.watcher import RebuildLog, Watcher

# The getters only read app.state, so they are `async def`: FastAPI runs a plain `def` dependency in the
# thread pool, one round trip between threads per dependency per request. With the /ask route's own
# hops, that halved what the framework costs an answer (1.18 -> 0.70 ms; README, "Serving under load").


async def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def get_rebuilds(request: Request) -> RebuildLog:
    rebuilds: RebuildLog = request.app.state.rebuilds
    return rebuilds


EngineDep = Annotated[Engine, Depends(get_engine)]
RebuildsDep = Annotated[RebuildLog, Depends(get_rebuilds)]
#: FastAPI's parser: scheme "Bearer" required and case-insensitive (RFC 6750 / RFC 9110); also declares the scheme in OpenAPI.
_bearer = HTTPBearer(auto_error=False, description="FORUMQA_ADMIN_TOKEN, as 'Authorization: Bearer <token>'")


async def get_watcher(request: Request) -> Watcher | None:
    watcher: Watcher | None = request.app.state.watcher
    return watcher


WatcherDep = Annotated[Watcher | None, Depends(get_watcher)]


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_admin(settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> None:
    """403 while no admin token is configured, 401 (with a Bearer challenge) for a missing, malformed or wrong one."""
    token = settings.admin_token
    if not token:
        raise HTTPException(403, "admin routes (re-index, upload, delete) are disabled: set FORUMQA_ADMIN_TOKEN to enable them")
    if credentials is None:
        challenge = 'Bearer realm="forumqa"'
        raise HTTPException(401, "missing admin token: send 'Authorization: Bearer <token>'", {"WWW-Authenticate": challenge})
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        challenge = 'Bearer realm="forumqa", error="invalid_token"'
        raise HTTPException(401, "wrong admin token", {"WWW-Authenticate": challenge})
