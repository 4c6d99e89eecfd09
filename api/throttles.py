"""Throttling per signed-in user (a token belongs to one user): every request, and writes
on their own. The rates are read from the settings at each request, so that a deployment
(or a test) changes them without a restart of the code that defined the class."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import UserRateThrottle


class UserThrottle(UserRateThrottle):
    """``API_THROTTLE_RATE`` requests per user (per address for a request without one)."""

    scope = "user"

    def get_rate(self) -> str:
        return str(settings.API_THROTTLE_RATE)


class WriteThrottle(UserRateThrottle):
    """``API_WRITE_THROTTLE_RATE`` writes per user: filing, submitting and review."""

    scope = "write"

    def get_rate(self) -> str:
        return str(settings.API_WRITE_THROTTLE_RATE)

    def allow_request(self, request: Any, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return bool(super().allow_request(request, view))
