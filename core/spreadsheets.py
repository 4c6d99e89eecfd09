"""The shared pieces of the spreadsheet imports and exports (django-import-export).

* Widgets that read one cell and refuse a bad one with a Chinese reason naming the column
  and the value. A widget raises ``ValueError``; import-export turns it into a validation
  error of the row, which the admin's preview lists next to the row number. ``Column``
  hands its Chinese header to the widget so that the message can name the column.
* ``SpreadsheetResource``, the base of every resource: an import is all-or-nothing, a file
  missing a column is refused before any row is read, and errors are keyed by the Chinese
  column header.
* ``SpreadsheetAdminMixin``: import and export in the admin, as xlsx or csv only. An
  import file is capped (``IMPORT_MAX_MEGABYTES``, ``IMPORT_MAX_ROWS``, an xlsx's unpacked
  size), a CSV in GBK/GB18030 (what Excel saves in China) is read as well as UTF-8, every
  file that cannot be read is refused in Chinese at the field, and the preview lists at most
  ``IMPORT_PREVIEW_ROWS`` rows. Every export is written to the security log.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import openpyxl
import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ValidationError,
)
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from import_export.admin import ImportExportMixin
from import_export.fields import Field
from import_export.formats.base_formats import CSV, XLSX
from import_export.forms import ExportForm
from import_export.instance_loaders import ModelInstanceLoader
from import_export.resources import ModelResource
from import_export.results import Error, Result
from import_export.widgets import CharWidget, ForeignKeyWidget, Widget

from .files import DAMAGED_ARCHIVE_ERRORS, ArchiveTooLarge, archive_check
from .security import security_event

# Accepted between names in a list cell; "、" is what the export writes.
NAME_SEPARATORS = re.compile(r"[、,,;;\n]")

# A cell that begins with one of these is run as a formula by Excel, WPS or LibreOffice
# (CSV/formula injection, OWASP). Every export writes such text with a leading apostrophe,
# which the spreadsheet shows as text; an import takes the apostrophe off again.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(value: Any) -> Any:
    """Text a spreadsheet would run as a formula, made plain text; anything else as is."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def restore_neutralised(text: str) -> str:
    """The text an export neutralised, as it was (for a file imported back; a workbook
    may have turned the carriage return into a line feed)."""
    if text[:1] == "'" and text[1:].startswith((*FORMULA_TRIGGERS, "\n")):
        return text[1:]
    return text


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: object) -> str:
    return str(value).strip()


def _column(kwargs: dict[str, Any]) -> str:
    return str(kwargs.get("column_name") or gettext("该列"))


def _required(value: object, kwargs: dict[str, Any]) -> None:
    if _is_blank(value):
        raise ValueError(gettext("“%(column)s”不能为空") % {"column": _column(kwargs)})


class Column(Field):
    """A spreadsheet column under a Chinese header; its widget's messages name it."""

    def clean(self, row: dict[str, Any], **kwargs: Any) -> Any:
        kwargs["column_name"] = self.column_name
        return super().clean(row, **kwargs)


class TextWidget(CharWidget):
    """Text, with the spaces a spreadsheet leaves around it removed."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        return restore_neutralised(super().clean(value, row, **kwargs)).strip()


class RequiredTextWidget(TextWidget):
    """Text that may not be left empty (a name, a key)."""

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        _required(value, kwargs)
        return super().clean(value, row, **kwargs)


class NonNegativeIntegerWidget(Widget):
    """A whole number, at least ``minimum`` (0) and at most ``maximum``; a spreadsheet's
    320.0 is 320, while "abc", -1 or 3.5 are refused. An empty cell is refused."""

    def __init__(self, *, minimum: int = 0, maximum: int | None = None) -> None:
        super().__init__()
        self.minimum = minimum
        self.maximum = maximum

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> int:
        _required(value, kwargs)
        number: Decimal | None = None
        if not isinstance(value, bool):
            try:
                number = Decimal(_shown(value))
            except InvalidOperation:
                number = None
        if (
            number is None
            or not number.is_finite()
            or number != number.to_integral_value()
            or number < 0
            or number.adjusted() >= 18  # no more digits than a database integer holds
        ):
            raise ValueError(
                gettext("“%(column)s”必须是非负整数,而不是“%(value)s”")
                % {"column": _column(kwargs), "value": _shown(value)}
            )
        whole = int(number)
        too_big = self.maximum is not None and whole > self.maximum
        if whole < self.minimum or too_big:
            if self.maximum is None:
                message = gettext("“%(column)s”不能小于%(minimum)s,而不是“%(value)s”")
            else:
                message = gettext(
                    "“%(column)s”必须在%(minimum)s到%(maximum)s之间,而不是“%(value)s”"
                )
            raise ValueError(
                message
                % {
                    "column": _column(kwargs),
                    "minimum": self.minimum,
                    "maximum": self.maximum,
                    "value": _shown(value),
                }
            )
        return whole

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else str(value)


class YesNoWidget(Widget):
    """是/否 (also True/False, 1/0, yes/no); exported as 是/否. An empty cell is refused."""

    YES = frozenset({"是", "true", "1", "yes", "y"})
    NO = frozenset({"否", "false", "0", "no", "n"})

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> bool:
        if _is_blank(value):
            raise ValueError(
                gettext("“%(column)s”不能为空,请填“是”或“否”") % {"column": _column(kwargs)}
            )
        if isinstance(value, bool):
            return value
        text = _shown(value).lower()
        if isinstance(value, int | float) and value in (0, 1):
            text = str(int(value))
        if text in self.YES:
            return True
        if text in self.NO:
            return False
        raise ValueError(
            gettext("“%(column)s”必须是“是”或“否”,而不是“%(value)s”")
            % {"column": _column(kwargs), "value": _shown(value)}
        )

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        return gettext("是") if value else gettext("否")


class ChoicesWidget(Widget):
    """One of a ``TextChoices``, written as its Chinese label (the stored value is accepted
    too). An empty cell is refused."""

    def __init__(self, choices: type[models.Choices]) -> None:
        super().__init__()
        self.choices = choices

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> str:
        labels = "、".join(str(label) for label in self.choices.labels)
        if _is_blank(value):
            raise ValueError(
                gettext("“%(column)s”不能为空,可选:%(labels)s")
                % {"column": _column(kwargs), "labels": labels}
            )
        text = _shown(value)
        for stored, label in self.choices.choices:
            if text in (str(label), stored):
                return str(stored)
        raise ValueError(
            gettext("未知的%(column)s“%(value)s”,可选:%(labels)s")
            % {"column": _column(kwargs), "value": text, "labels": labels}
        )

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value in (None, ""):
            return ""
        try:
            return str(self.choices(value).label)
        except ValueError:
            return str(value)


class OptionalDateWidget(Widget):
    """A date such as 2017-06-30 (or 2017/6/30, 2017年6月30日, or a spreadsheet date);
    an empty cell is no date."""

    FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")

    def clean(
        self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any
    ) -> datetime.date | None:
        if _is_blank(value):
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        for date_format in self.FORMATS:
            try:
                return datetime.datetime.strptime(_shown(value), date_format).date()  # noqa: DTZ007 (a date, no time)
            except ValueError:
                continue
        raise ValueError(
            gettext("“%(column)s”必须是日期(如 2017-06-30),而不是“%(value)s”")
            % {"column": _column(kwargs), "value": _shown(value)}
        )

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if value is None:
            return ""
        return value if kwargs.get("force_native_type") else value.isoformat()


class NamedForeignKeyWidget(ForeignKeyWidget):
    """The related object whose ``field`` (its name) is the cell; an unknown name is refused
    as “未知<verbose name>“…”” (未知单位“…”, 未知社区“…”). An empty cell is refused."""

    def __init__(self, model: type[models.Model], field: str = "name") -> None:
        super().__init__(model, field)

    def clean(self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        _required(value, kwargs)
        key = value.strip() if isinstance(value, str) else value
        names = {"model": self.model._meta.verbose_name, "value": _shown(value)}
        try:
            return self.get_queryset(key, row, **kwargs).get(**{self.field: key})
        except (ObjectDoesNotExist, ValueError, TypeError, ValidationError):
            # ValueError/TypeError: a text where a number is looked up (a year "abc").
            raise ValueError(gettext("未知%(model)s“%(value)s”") % names) from None
        except MultipleObjectsReturned:
            raise ValueError(gettext("%(model)s“%(value)s”不唯一") % names) from None


class NameListWidget(Widget):
    """Several related objects named in one cell, joined by "、" (also "," or ";"), kept in
    the cell's order. An unknown or repeated name, or an empty cell, is refused."""

    def __init__(self, model: type[models.Model], field: str = "name") -> None:
        super().__init__()
        self.model = model
        self.field = field

    def clean(
        self, value: Any, row: dict[str, Any] | None = None, **kwargs: Any
    ) -> list[models.Model]:
        _required(value, kwargs)
        names = [name.strip() for name in NAME_SEPARATORS.split(_shown(value)) if name.strip()]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                gettext("“%(column)s”中重复了:%(names)s")
                % {"column": _column(kwargs), "names": "、".join(f"“{n}”" for n in repeated)}
            )
        found = {
            getattr(obj, self.field): obj
            for obj in self.model._default_manager.filter(**{f"{self.field}__in": names})
        }
        unknown = [name for name in names if name not in found]
        if unknown:
            raise ValueError(
                gettext("未知%(model)s%(names)s")
                % {
                    "model": self.model._meta.verbose_name,
                    "names": "、".join(f"“{name}”" for name in unknown),
                }
            )
        return [found[name] for name in names]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        return "、".join(str(getattr(related, self.field)) for related in value)


class RefusedImport(ValueError):
    """A file refused as a whole (a missing column): its message is all the user needs,
    so the admin shows it without a traceback."""


class SpreadsheetError(Error):
    @property
    def traceback(self) -> str:
        if isinstance(self.error, RefusedImport):
            return ""
        return super().traceback


class KeyTolerantInstanceLoader(ModelInstanceLoader):
    """Finds a row's existing object by its key columns. A key cell that does not resolve
    (an unknown community) means "no existing object": the row then goes on to be read
    field by field, and the widget's Chinese reason is reported for that cell instead of
    an exception with a traceback."""

    def get_instance(self, row: dict[str, Any]) -> models.Model | None:
        try:
            return super().get_instance(row)
        except (ValueError, ValidationError):
            return None


class SpreadsheetResource(ModelResource):
    """The base of every resource.

    import-export rolls a transaction back on an *error* (an exception) but keeps the good
    rows when others fail *validation* (a bad cell) unless ``rollback_on_validation_errors``
    is passed, which its admin's confirm step does not do. Here any refused row rolls the
    whole file back, always in a transaction. A file lacking a column is refused before
    any row is read (``before_import`` would record the error but still import every row).
    """

    class Meta:
        clean_model_instances = True
        instance_loader_class = KeyTolerantInstanceLoader

    def get_use_transactions(self) -> bool:
        return True

    def export_field(self, field: Field, instance: models.Model, **kwargs: Any) -> Any:
        """Every exported cell, with formula injection neutralised (import-export's own
        escaping is off by default and only strips ``=``)."""
        return neutralise_formula(super().export_field(field, instance, **kwargs))

    def get_error_result_class(self) -> type[Error]:
        return SpreadsheetError

    def required_columns(self) -> list[str]:
        """Every column that is read on import: the key columns and the writable ones."""
        keys = set(self.get_import_id_fields())
        return [
            str(field.column_name)
            for name, field in self.fields.items()
            if not field.readonly or name in keys
        ]

    def import_data(
        self,
        dataset: tablib.Dataset,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = True,
        **kwargs: Any,
    ) -> Result:
        return super().import_data(
            dataset,
            dry_run=dry_run,
            raise_errors=raise_errors,
            use_transactions=True if use_transactions is None else use_transactions,
            collect_failed_rows=collect_failed_rows,
            rollback_on_validation_errors=rollback_on_validation_errors,
            **kwargs,
        )

    def import_data_inner(
        self,
        dataset: tablib.Dataset,
        dry_run: bool,
        raise_errors: bool,
        using_transactions: bool,
        collect_failed_rows: bool,
        **kwargs: Any,
    ) -> Result:
        dataset.headers = [
            header.strip() if isinstance(header, str) else header
            for header in dataset.headers or []
        ]
        present = set(dataset.headers)
        missing = [column for column in self.required_columns() if column not in present]
        if missing:
            result = self.get_result_class()()
            result.diff_headers = self.get_diff_headers()
            result.total_rows = len(dataset)
            error = RefusedImport(
                gettext("文件缺少必需的列:%(columns)s。请以导出的表格为模板填写。")
                % {"columns": "、".join(f"“{column}”" for column in missing)}
            )
            self.handle_import_error(result, error, raise_errors)
            return result
        return super().import_data_inner(
            dataset, dry_run, raise_errors, using_transactions, collect_failed_rows, **kwargs
        )

    def validate_instance(
        self,
        instance: models.Model,
        import_validation_errors: dict[str, Any] | None = None,
        validate_unique: bool = True,
    ) -> None:
        """Key each error by the Chinese column header rather than the attribute name."""
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            by_column: dict[str, list[str]] = {}
            for key, messages_ in error.message_dict.items():
                by_column.setdefault(self._column_of(key), []).extend(messages_)
            raise ValidationError(by_column) from None

    def _column_of(self, key: str) -> str:
        if key == NON_FIELD_ERRORS:
            return key
        for field in self.fields.values():
            if field.attribute == key:
                return str(field.column_name)
        try:
            return str(self._meta.model._meta.get_field(key).verbose_name)
        except FieldDoesNotExist:
            return key


def import_error_messages(result: Result) -> list[str]:
    """Every reason an import was refused, one line each, naming the data row (counted
    from the first row under the header, as the admin's preview does) and the column."""
    lines = [str(error.error) for error in result.base_errors]
    for number, errors in result.row_errors():
        lines.extend(
            gettext("第%(row)s行数据:%(message)s") % {"row": number, "message": error.error}
            for error in errors
        )
    for invalid in result.invalid_rows:
        for column, column_messages in invalid.error_dict.items():
            for message in column_messages:
                if column == NON_FIELD_ERRORS:
                    line = gettext("第%(row)s行数据:%(message)s")
                else:
                    line = gettext("第%(row)s行数据“%(column)s”:%(message)s")
                lines.append(line % {"row": invalid.number, "column": column, "message": message})
    return lines


# --- Reading an import file, within limits, in Chinese ----------------------------------


class UnreadableImport(ValueError):
    """A file the import cannot read, with the Chinese reason shown at the file field."""


def _row_limit_check(rows: int) -> None:
    limit: int = settings.IMPORT_MAX_ROWS
    if rows > limit:
        raise UnreadableImport(
            gettext("文件超过 %(limit)s 行数据,请分成几个文件导入。") % {"limit": limit}
        )


def decode_csv(data: bytes) -> str:
    """A CSV's text: UTF-8 (with or without the BOM Excel writes), else GB18030, which
    covers GBK and GB2312 (what Excel and WPS save "CSV" as on a Chinese Windows)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableImport(  # not reached for GB18030, which decodes any byte sequence…
        gettext("无法识别文件的编码,请在 Excel 中另存为“CSV UTF-8”或 xlsx 后再导入。")
    )


class ImportCSV(CSV):
    """CSV read as bytes and decoded by ``decode_csv``, within IMPORT_MAX_ROWS."""

    def is_binary(self) -> bool:
        return True  # kept as bytes: the encoding is found when the file is read

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream: Any, **kwargs: Any) -> tablib.Dataset:
        text = decode_csv(in_stream) if isinstance(in_stream, bytes) else in_stream
        try:
            dataset = tablib.import_set(text, format="csv", **kwargs)
        except Exception as error:  # tablib's csv reader: csv.Error, ValueError, …
            raise UnreadableImport(
                gettext("无法按 CSV 读取这个文件,请确认它是以逗号分隔的表格。")
            ) from error
        _row_limit_check(len(dataset))
        return dataset


class ImportXLSX(XLSX):
    """The first sheet of an xlsx, refused in Chinese when it is not an xlsx, unpacks to
    more than IMPORT_MAX_UNZIPPED_MEGABYTES (a zip bomb) or has more than IMPORT_MAX_ROWS
    rows, which are not read beyond the limit."""

    def create_dataset(self, in_stream: bytes) -> tablib.Dataset:
        stream = io.BytesIO(in_stream)
        limit_megabytes: int = settings.IMPORT_MAX_UNZIPPED_MEGABYTES
        not_xlsx = UnreadableImport(
            gettext("这个文件不是有效的 Excel 表格(xlsx),请在 Excel 中另存为 xlsx 后再导入。")
        )
        try:
            archive_check(stream, max_bytes=limit_megabytes * 1024 * 1024, max_entries=1000)
            book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
        except ArchiveTooLarge:
            raise UnreadableImport(
                gettext("表格解压后超过 %(limit)s MB,不像正常的表格,不能导入。")
                % {"limit": limit_megabytes}
            ) from None
        except (*DAMAGED_ARCHIVE_ERRORS, KeyError) as error:
            raise not_xlsx from error
        try:
            sheet = book.active
            if sheet is None:
                raise not_xlsx
            rows = sheet.iter_rows(values_only=True)
            dataset = tablib.Dataset()
            dataset.headers = list(next(rows, ()))
            limit: int = settings.IMPORT_MAX_ROWS
            for number, row in enumerate(rows, start=1):
                if number > limit:
                    _row_limit_check(number)
                if any(value is not None for value in row):
                    dataset.append(list(row))
        finally:
            book.close()
        return dataset


class ImportFileLimits(forms.Form):
    """The import form's file: not beyond IMPORT_MAX_MEGABYTES (an empty file is refused
    by Django's FileField: "所提交的是空文件。")."""

    def clean_import_file(self) -> Any:
        upload = self.cleaned_data["import_file"]
        limit: int = settings.IMPORT_MAX_MEGABYTES
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(
                gettext("文件超过 %(limit)s MB,请分成几个文件导入。") % {"limit": limit}
            )
        return upload


class SpreadsheetAdminMixin(ImportExportMixin):
    """Import (with the dry-run preview and confirm step) and export as xlsx or csv. An
    export always has every column, so that the file can be filled in and imported back."""

    formats: Sequence[type] = [XLSX, CSV]
    import_formats: Sequence[type] = [ImportXLSX, ImportCSV]
    export_form_class = ExportForm

    def get_import_form_class(self, request: HttpRequest) -> type:
        base = super().get_import_form_class(request)
        return type(base.__name__, (ImportFileLimits, base), {})

    def add_data_read_fail_error_to_form(self, form: forms.Form, e: Exception) -> None:
        if isinstance(e, UnreadableImport):
            message = str(e)
        else:
            message = gettext(
                "无法读取这个文件,请确认选择的格式与文件一致(xlsx 或 csv),"
                "最好以导出的表格为模板填写。"
            )
        form.add_error("import_file", message)

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """The preview lists the first IMPORT_PREVIEW_ROWS rows (the totals count all): a
        page of 20,000 rows weighed 8 MB. The confirm step reads the file again."""
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        result = context.get("result")
        shown: int = settings.IMPORT_PREVIEW_ROWS
        if isinstance(response, TemplateResponse) and result is not None:
            total = len(result.rows) + len(result.invalid_rows)
            if total > shown:
                result.rows = result.rows[:shown]
                result.invalid_rows = result.invalid_rows[:shown]
                messages.info(
                    request,
                    gettext("共 %(total)s 行,下面只列出前 %(shown)s 行。")
                    % {"total": total, "shown": shown},
                )
        return response

    def _do_file_export(
        self, file_format: Any, request: HttpRequest, queryset: Any, export_form: Any = None
    ) -> HttpResponse:
        response = super()._do_file_export(file_format, request, queryset, export_form)
        app_label, model_name = self.get_model_info()
        security_event(
            "export",
            request=request,
            what=f"admin:{app_label}.{model_name}",
            rows=queryset.count(),
        )
        return response

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        # The confirm step imports the file again; should the database have changed since
        # the preview, everything was rolled back: say so instead of "导入成功".
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                gettext("导入失败,没有写入任何数据:%(reasons)s")
                % {"reasons": "；".join(import_error_messages(result)[:5])},
            )
            app_label, model_name = self.get_model_info()
            return HttpResponseRedirect(reverse(f"admin:{app_label}_{model_name}_import"))
        return super().process_result(result, request)
