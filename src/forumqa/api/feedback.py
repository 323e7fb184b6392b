"""Thumbs up/down on answers, stored beside the index so they survive rebuilds."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
