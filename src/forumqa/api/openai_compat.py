"""An OpenAI-compatible chat endpoint, so existing chat clients and SDKs can ask forumqa."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
