"""The test run's API key, and httpx calls that send it (the service refuses requests without one)."""

from __future__ import annotations

from typing import Any

import httpx

#: One key with every scope, set as TICKETBUDDY_API_KEYS for the whole test session (conftest.py).
TEST_KEY = "test-key-all-scopes-0123456789"
AUTH = {"Authorization": f"Bearer {TEST_KEY}"}


def get(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(url, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return httpx.post(url, headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs)
