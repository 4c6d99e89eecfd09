"""The admin's 修改记录 (django-simple-history): shown, never rolled back nor edited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject, HistoricalChanges, ModelChange
from simple_history.template_utils import HistoricalRecordContextHelper

from .history import shown_value


class ValuesAsShownHelper(HistoricalRecordContextHelper):
    """The history list's old → new as the rest of the portal shows them (``shown_value``):
    a status's label rather than its code, "—" rather than None, a time in Shanghai's
    rather than its UTC repr, a person by name, and a related object gone or never set said
    in words (simple_history writes "Deleted 用户 (pk=None)")."""

    def prepare_delta_change_value(self, change: ModelChange, value: Any) -> Any:
        model_field = self.model._meta.get_field(change.field)
        if isinstance(model_field, models.ManyToManyField):
            return super().prepare_delta_change_value(change, value)
        if isinstance(value, DeletedObject):
            if value.pk is None:
                return "—"
            return gettext("已删除的%(kind)s(编号 %(pk)s)") % {
                "kind": value.model._meta.verbose_name,
                "pk": value.pk,
            }
        if isinstance(value, AbstractUser):  # by name, as 修改人 and the report's panel
            return value.get_full_name() or value.get_username()
        if isinstance(value, models.Model):
            return str(value)
        return shown_value(model_field, value, {})


class HistoryAdmin(SimpleHistoryAdmin):
    """A model admin with its 修改记录 ("历史" in the change form). A past version opens
    read-only: SimpleHistoryAdmin would save a POST to it (a revert) even with
    SIMPLE_HISTORY_REVERT_DISABLED, so the POST is refused here."""

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: HistoricalChanges
    ) -> HistoricalRecordContextHelper:
        return ValuesAsShownHelper(self.model, historical_record)

    def set_history_delta_changes(
        self,
        request: HttpRequest,
        historical_records: Sequence[HistoricalChanges],
        foreign_keys_are_objs: bool = True,
    ) -> None:
        """Each row's changes, and the name of its object as it was (the list's first
        column, ``history_object_name``). The rows of one object share their related objects
        (a report's rows its assignment): each is read for the first row that names it, not
        once a row, so the page's queries do not grow with its rows."""
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)
        foreign_keys = [
            field
            for field in self.model._meta.concrete_fields
            if isinstance(field, models.ForeignKey)
        ]
        read: dict[tuple[str, Any], models.Model | None] = {}
        for record in historical_records:
            shown = record.history_object
            for field in foreign_keys:
                known = read.get((field.name, getattr(shown, field.attname)))
                if known is not None:
                    field.set_cached_value(shown, known)
            record.history_object_name = str(shown)
            for field in foreign_keys:
                if field.is_cached(shown):
                    read[(field.name, getattr(shown, field.attname))] = field.get_cached_value(
                        shown
                    )

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "GET":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
