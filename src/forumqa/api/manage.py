"""Adding and deleting documents from the page (admin only)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
