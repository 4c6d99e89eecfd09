"""Refusals as structured errors: ``{"field": ["中文消息"]}`` with HTTP 400, the messages
the pages show (the forms' and the services' own).

A filing form names a target's input ``t<target>_<column>`` (``tasks.services.value_field``);
the API names it ``values.<target>.<column>``, as its request body nests it. An error about
the whole report is under ``non_field_errors``, as REST framework names it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as rest_exception_handler

from tasks.services import ConcurrentEditError

_VALUE_FIELD = re.compile(r"^t(?P<target>\d+)_(?P<column>\w+)$")


def api_field(name: str) -> str:
    """The API's name of a form's or a service's field."""
    if name in ("__all__", "", None):
        return str(api_settings.NON_FIELD_ERRORS_KEY)
    match = _VALUE_FIELD.match(name)
    if match:
        return f"values.{match['target']}.{match['column']}"
    return name


def structured(errors: Mapping[str, Iterable[Any]]) -> dict[str, list[str]]:
    """A form's ``errors`` (or a service's ``error_dict``) under the API's field names."""
    found: dict[str, list[str]] = {}
    for name, messages in errors.items():
        texts: list[str] = []
        for message in messages:
            if isinstance(message, DjangoValidationError):
                texts.extend(str(text) for text in message.messages)
            else:
                texts.append(str(message))
        found.setdefault(api_field(name), []).extend(texts)
    return found


def refusal(error: DjangoValidationError) -> ValidationError:
    """A service's ValidationError as the API's 400: by field when it names fields."""
    if hasattr(error, "error_dict"):
        return ValidationError(structured(error.error_dict))
    return ValidationError({str(api_settings.NON_FIELD_ERRORS_KEY): list(error.messages)})


class Refused(Exception):
    """A form refused the request: its errors by the API's field names."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """REST framework's, with a service's refusals: its ValidationError as 400 (by field),
    and a report changed by someone else since the client read it as 409."""
    if isinstance(exc, Refused):
        exc = ValidationError(exc.errors)
    if isinstance(exc, DjangoValidationError):
        exc = refusal(exc)
    if isinstance(exc, ConcurrentEditError):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    return rest_exception_handler(exc, context)
