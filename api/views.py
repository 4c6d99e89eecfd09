"""The web API's endpoints (/api/v1/, docs/api.md). Each list starts from the rule the
pages use (``api.access``); each write goes through the pages' forms and services
(``api.filing``). Every write is recorded in the security log."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from communities import access as community_access
from core.periods import FIRST_YEAR, LARGEST_PK, LAST_YEAR, parameter_int
from core.security import security_event
from dashboards.models import AssignmentMonth, ItemMonth, PartyMonth
from tasks.models import (
    Assignment,
    Checklist,
    Item,
    ProgressReport,
    prefetch_register_figures,
)
from tasks.selectors import report_for_user

from . import filing, serializers
from .access import party_rows_visible_to, reads_every_party
from .errors import Refused
from .throttles import UserThrottle, WriteThrottle

# The query parameters that filter lists, each with its bounds and its description.
_BOUNDS = {
    "year": (FIRST_YEAR, LAST_YEAR, "年度,如 2017"),
    "month": (1, 12, "月份,1–12"),
    "community": (1, LARGEST_PK, "社区 id"),
    "unit": (1, LARGEST_PK, "单位 id"),
    "item": (1, LARGEST_PK, "任务 id"),
}


def _parameters(names: Sequence[str], states: Sequence[tuple[str, Any]] = ()) -> list[Any]:
    """The schema's description of a list's filters."""
    parameters = [
        OpenApiParameter(name, OpenApiTypes.INT, description=_BOUNDS[name][2]) for name in names
    ]
    if states:
        parameters.append(
            OpenApiParameter(
                "state",
                OpenApiTypes.STR,
                enum=[value for value, _label in states],
                description="状态:" + "、".join(f"{value}({label})" for value, label in states),
            )
        )
    return parameters


def _filtered(
    request: Request,
    rows: QuerySet[Any],
    lookups: Mapping[str, str],
    *,
    state: tuple[str, Sequence[tuple[str, Any]]] | None = None,
) -> QuerySet[Any]:
    """``rows`` narrowed by the query parameters ``lookups`` names (parameter → column),
    read by ``core.periods``: a value that is not a number in bounds is answered 404 with
    the reason, as the pages answer it."""
    for name, column in lookups.items():
        minimum, maximum, _description = _BOUNDS[name]
        value = parameter_int(request.query_params, name, minimum=minimum, maximum=maximum)
        if value is not None:
            rows = rows.filter(**{column: value})
    if state is not None and (given := request.query_params.get("state")):
        column, choices = state
        if given not in {value for value, _label in choices}:
            raise Http404(
                _("链接中的“%(name)s”不对,请从页面上的链接重新打开。") % {"name": "state"}
            )
        rows = rows.filter(**{column: given})
    return rows


class PortalViewSet(viewsets.GenericViewSet):
    """What every endpoint shares: the user's permissions read in one query (so that the
    visibility rules inside the list's query cost none), and a security log record per
    write with its outcome."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if isinstance(request.user, User):
            community_access.global_permissions(request.user)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method not in SAFE_METHODS:
            data = response.data if isinstance(getattr(response, "data", None), dict) else {}
            security_event(
                "api_write",
                request=request._request,
                level=logging.INFO if response.status_code < 400 else logging.WARNING,
                method=request.method,
                action=getattr(self, "action", None) or "-",
                status=response.status_code,
                report=kwargs.get("pk") or data.get("id") or "-",
            )
        return response

    @property
    def user(self) -> User:
        user = self.request.user
        assert isinstance(user, User)  # noqa: S101 (IsAuthenticated lets no one else in)
        return user


@extend_schema_view(
    list=extend_schema(
        summary="年度清单列表",
        description="已启用和已归档的年度清单(草稿不列出),最新的在前。",
        parameters=_parameters(["year"]),
    ),
    retrieve=extend_schema(summary="一份年度清单"),
)
@extend_schema(tags=["清单"])
class ChecklistViewSet(PortalViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = serializers.ChecklistSerializer

    def get_queryset(self) -> QuerySet[Checklist]:
        rows = Checklist.objects.exclude(status=Checklist.Status.DRAFT).order_by("-year")
        return _filtered(self.request, rows, {"year": "year"})


@extend_schema_view(
    list=extend_schema(
        summary="任务列表(含指标)",
        description="各年度清单的任务,含牵头单位和指标(目标要求)。unit 筛选该单位牵头的任务。",
        parameters=_parameters(["year", "item", "unit"]),
    ),
    retrieve=extend_schema(summary="一项任务(含指标)"),
)
@extend_schema(tags=["清单"])
class ItemViewSet(PortalViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = serializers.ItemSerializer

    def get_queryset(self) -> QuerySet[Item]:
        rows = (
            Item.objects.exclude(checklist__status=Checklist.Status.DRAFT)
            .with_details()
            .order_by("-checklist__year", "number")
        )
        return _filtered(
            self.request,
            rows,
            {"year": "checklist__year", "item": "pk", "unit": "lead_unit_links__unit"},
        )


@extend_schema_view(
    list=extend_schema(
        summary="责任分工列表",
        description="每项任务 × 每个责任单位(社区或单位)。街道管理员、街道领导和牵头单位"
        "可读全部(同完成情况矩阵);其他人只读本单位负责填报的。",
        parameters=_parameters(["year", "item", "community", "unit"]),
    ),
    retrieve=extend_schema(summary="一条责任分工"),
)
@extend_schema(tags=["责任分工"])
class AssignmentViewSet(PortalViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = serializers.AssignmentSerializer

    def get_queryset(self) -> QuerySet[Assignment]:
        rows = party_rows_visible_to(
            self.request.user,
            Assignment.objects.exclude(item__checklist__status=Checklist.Status.DRAFT),
        )
        rows = rows.select_related("item__checklist", "community", "unit").order_by(
            "-item__checklist__year", "item__number", "community__order", "unit__order", "pk"
        )
        return _filtered(
            self.request,
            rows,
            {
                "year": "item__checklist__year",
                "item": "item",
                "community": "community",
                "unit": "unit",
            },
        )


def _report_rows(user: Any) -> QuerySet[ProgressReport]:
    """The reports ``user`` may open (``ProgressReport.objects.visible_to``), with what a
    report's representation reads."""
    return (
        ProgressReport.objects.visible_to(user)
        .select_related(
            "assignment__item__checklist",
            "assignment__item__pillar",
            "assignment__community",
            "assignment__unit",
        )
        .prefetch_related("assignment__item__targets", "values")
        .order_by("-year", "-month", "assignment__item__number", "pk")
    )


_REPORT_LOOKUPS = {
    "year": "year",
    "month": "month",
    "community": "assignment__community",
    "unit": "assignment__unit",
    "item": "assignment__item",
}
_REPORT_STATES = ProgressReport.WorkflowState.choices


@extend_schema_view(
    list=extend_schema(
        summary="月报列表(含数值和指标判定)",
        description="您可查看的月报:街道管理员和街道领导看全部;社区和单位看本单位的(含草稿);"
        "牵头单位看其牵头任务已提交的月报。每份月报带各指标的数值、判定(evaluations)、"
        "按指标认定的状态(judged_status)和计入统计的状态(counted_status)。",
        parameters=_parameters(list(_REPORT_LOOKUPS), _REPORT_STATES),
    ),
    retrieve=extend_schema(summary="一份月报(含数值和指标判定)"),
    create=extend_schema(
        summary="填报月报(保存草稿,可同时提交)",
        description="保存某项责任分工某月的月报及各指标数值,校验与“本月填报”页面相同,"
        "错误以 {字段: [中文消息]} 返回(HTTP 400)。已有月报时须带上读取时的 version,"
        "否则返回 409。submit 为 true 时保存后立即提交。只有该任务的责任单位人员可以填报。",
        request=serializers.ReportCreateSerializer,
        responses={201: serializers.ProgressReportSerializer},
    ),
    update=extend_schema(
        summary="修改月报(草稿或被退回的月报)",
        description="整体替换月报内容(未给出的指标视为清空),须带上读取时的 version。",
        request=serializers.ReportInputSerializer,
        responses={200: serializers.ProgressReportSerializer},
    ),
)
@extend_schema(tags=["月报"])
class ReportViewSet(
    PortalViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
):
    serializer_class = serializers.ProgressReportSerializer
    http_method_names = ["get", "post", "put", "head", "options"]

    def get_throttles(self) -> list[Any]:
        return [UserThrottle(), WriteThrottle()]

    def get_queryset(self) -> QuerySet[ProgressReport]:
        return _filtered(
            self.request,
            _report_rows(self.request.user),
            _REPORT_LOOKUPS,
            state=("workflow_state", _REPORT_STATES),
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        # The registers' figures (frequency targets) of the whole page at once.
        prefetch_register_figures(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def _shown(self, pk: int) -> dict[str, Any]:
        report = report_for_user(self.request.user, pk)
        prefetch_register_figures([report])
        return dict(self.get_serializer(report).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._shown(_pk(kwargs)))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _body(request)
        key = serializers.ReportKeySerializer(data=body)
        key.is_valid(raise_exception=True)
        assignment = filing.fileable_assignment(self.user, key.validated_data["assignment"])
        year, month = key.validated_data["year"], key.validated_data["month"]
        existing = (
            ProgressReport.objects.filter(assignment=assignment, year=year, month=month)
            .prefetch_related("values", "evidence")
            .first()
        )
        report = filing.report_file(
            assignment=assignment, year=year, month=month, body=body, by=self.user, report=existing
        )
        saved = report or existing
        assert saved is not None  # noqa: S101 (a new report is always saved)
        return Response(
            self._shown(saved.pk),
            status=status.HTTP_201_CREATED if existing is None else status.HTTP_200_OK,
        )

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _body(request)
        report = report_for_user(self.user, _pk(kwargs))
        assignment = filing.fileable_assignment(self.user, report.assignment_id)
        filing.report_file(
            assignment=assignment,
            year=report.year,
            month=report.month,
            body=body,
            by=self.user,
            report=report,
        )
        return Response(self._shown(report.pk))

    @extend_schema(
        summary="提交月报",
        description="把草稿或改好的被退回月报提交给牵头单位审核(与页面上的“提交”相同)。",
        request=serializers.SubmitSerializer,
        responses={200: serializers.ProgressReportSerializer},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        report = report_for_user(self.user, _pk({"pk": pk}))
        filing.report_submit(report=report, body=_body(request), by=self.user)
        return Response(self._shown(report.pk))

    @extend_schema(
        summary="审核通过",
        description="牵头单位审核通过已提交的月报;该单位申请按申报状态认定时须给出 "
        "exception_accepted。",
        request=serializers.ApproveSerializer,
        responses={200: serializers.ProgressReportSerializer},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        report = filing.reviewed_report(self.user, _pk({"pk": pk}))
        filing.report_approve(report=report, body=_body(request), by=self.user)
        return Response(self._shown(report.pk))

    @extend_schema(
        summary="退回修改",
        description="牵头单位把已提交的月报退回,须写明需要修改的内容(comment)。",
        request=serializers.ReturnSerializer,
        responses={200: serializers.ProgressReportSerializer},
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_(self, request: Request, pk: str) -> Response:
        report = filing.reviewed_report(self.user, _pk({"pk": pk}))
        filing.report_return(report=report, body=_body(request), by=self.user)
        return Response(self._shown(report.pk))


def _pk(kwargs: Mapping[str, Any]) -> int:
    """The primary key in the address (404 for one that names no row)."""
    value = parameter_int(kwargs, "pk", minimum=1, maximum=LARGEST_PK)
    if value is None:
        raise Http404
    return value


def _body(request: Request) -> Mapping[str, Any]:
    """The request's JSON object (400 for anything else)."""
    if not isinstance(request.data, Mapping):
        raise Refused({"non_field_errors": [_("请求内容应为 JSON 对象。")]})
    return request.data


_SUMMARY_STATES = AssignmentMonth.State.choices


@extend_schema_view(
    list=extend_schema(
        summary="月度汇总:每项责任分工每月一行",
        description="看板所读的汇总表(AssignmentMonth):填报状态、进展状态、截止日、"
        "达标和滞后指标数。街道管理员、街道领导和牵头单位可读全部,其他人只读本单位的。",
        parameters=_parameters(["year", "month", "item", "community", "unit"], _SUMMARY_STATES),
    )
)
@extend_schema(tags=["汇总"])
class AssignmentMonthViewSet(PortalViewSet, mixins.ListModelMixin):
    serializer_class = serializers.AssignmentMonthSerializer

    def get_queryset(self) -> QuerySet[AssignmentMonth]:
        rows = party_rows_visible_to(self.request.user, AssignmentMonth.objects.all()).order_by(
            "-year", "-month", "item_id", "community_id", "unit_id", "pk"
        )
        return _filtered(
            self.request,
            rows,
            {
                "year": "year",
                "month": "month",
                "item": "item",
                "community": "community",
                "unit": "unit",
            },
            state=("state", _SUMMARY_STATES),
        )


@extend_schema_view(
    list=extend_schema(
        summary="月度汇总:每个社区或单位每月一行",
        description="应报、已报、按时报送、已审核、已退回、已完成和指标滞后的任务数(PartyMonth)。",
        parameters=_parameters(["year", "month", "community", "unit"]),
    )
)
@extend_schema(tags=["汇总"])
class PartyMonthViewSet(PortalViewSet, mixins.ListModelMixin):
    serializer_class = serializers.PartyMonthSerializer

    def get_queryset(self) -> QuerySet[PartyMonth]:
        rows = party_rows_visible_to(self.request.user, PartyMonth.objects.all()).order_by(
            "-year", "-month", "party_order", "pk"
        )
        return _filtered(
            self.request,
            rows,
            {"year": "year", "month": "month", "community": "community", "unit": "unit"},
        )


@extend_schema_view(
    list=extend_schema(
        summary="月度汇总:每项任务每月一行",
        description="每项任务的应报、已报、按时、逾期、已完成、滞后和未提交数(ItemMonth);"
        "只对街道管理员、街道领导和牵头单位开放(同完成情况看板)。",
        parameters=_parameters(["year", "month", "item"]),
    )
)
@extend_schema(tags=["汇总"])
class ItemMonthViewSet(PortalViewSet, mixins.ListModelMixin):
    serializer_class = serializers.ItemMonthSerializer

    def get_queryset(self) -> QuerySet[ItemMonth]:
        if not reads_every_party(self.request.user):
            raise PermissionDenied(_("完成情况看板只对街道管理员、街道领导和牵头单位开放。"))
        rows = ItemMonth.objects.order_by("-year", "-month", "item_id", "deadline", "pk")
        return _filtered(self.request, rows, {"year": "year", "month": "month", "item": "item"})
