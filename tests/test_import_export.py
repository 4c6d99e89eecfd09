"""Spreadsheet import and export: Chinese headers, an xlsx round trip, a clear Chinese
reason for every refused row, and all-or-nothing imports, through the resources and
through the admin's preview-and-confirm flow."""

from __future__ import annotations

import datetime
import io
from typing import Any

import openpyxl
import pytest
import tablib
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from import_export.formats.base_formats import XLSX
from import_export.resources import ModelResource

from communities.models import Community, Compound, Unit
from communities.resources import CompoundResource, UnitResource
from core.spreadsheets import import_error_messages
from tasks.models import (
    Assignment,
    Checklist,
    Item,
    ItemLeadUnit,
    ProgressReport,
    TargetValue,
)
from tasks.resources import ItemResource, ProgressReportResource
from tasks.services import ValueInput, progress_report_save

COMPOUND_HEADERS = [
    "所属社区",
    "小区名称",
    "地址",
    "户数",
    "物业服务企业",
    "符合业委会成立条件",
    "已成立业委会",
]
ITEM_HEADERS = [
    "年度",
    "序号",
    "板块",
    "任务内容",
    "牵头单位",
    "责任单位范围",
    "完成时限",
    "依据文件",
]
REPORT_HEADERS = [
    "年度",
    "任务序号",
    "责任单位",
    "年",
    "月",
    "进展状态",
    "进展情况",
    "流程状态",
    "指标值",
    "与登记数不同的原因",
]


def xlsx(rows: list[list[Any]]) -> bytes:
    """A workbook as someone would fill it in by hand: the header, then the rows."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def export_xlsx(resource: ModelResource, queryset: Any = None) -> bytes:
    """What the admin's export button writes."""
    return XLSX().export_data(resource.export(queryset, force_native_type=True))


def import_xlsx(resource: ModelResource, content: bytes, *, user: User | None = None) -> Any:
    """An import as the admin runs it, in the name of ``user`` (reports are saved in
    someone's name)."""
    return resource.import_data(
        tablib.Dataset().load(content, format="xlsx"), dry_run=False, user=user
    )


def header_row(content: bytes) -> list[Any]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    return [cell.value for cell in sheet[1]]


def compounds() -> list[tuple[Any, ...]]:
    return list(
        Compound.objects.order_by("community__name", "name").values_list(
            "community__name",
            "name",
            "address",
            "households",
            "property_manager",
            "is_eligible_for_owners_committee",
            "has_owners_committee",
        )
    )


def items_1_and_2() -> list[tuple[Any, ...]]:
    return [
        (
            item.checklist.year,
            item.number,
            item.pillar.name,
            item.text,
            [unit.name for unit in item.ordered_lead_units()],
            item.responsible_scope,
            item.due_date,
            item.legal_reference,
        )
        for item in Item.objects.filter(number__in=[1, 2]).with_details().order_by("number")
    ]


# Round trips ---------------------------------------------------------------------------


def test_compounds_come_back_from_their_own_xlsx_export(
    community_one: Community, community_two: Community
) -> None:
    Compound.objects.filter(name="一号小区").update(address="新成路1号")
    before = compounds()
    content = export_xlsx(CompoundResource())
    assert header_row(content) == COMPOUND_HEADERS

    Compound.objects.filter(name="三号小区").delete()
    Compound.objects.filter(name="一号小区").update(
        households=1, has_owners_committee=False, property_manager=""
    )
    result = import_xlsx(CompoundResource(), content)

    assert not result.has_errors() and not result.has_validation_errors()
    assert (result.totals["new"], result.totals["update"]) == (1, 2)
    assert compounds() == before


def test_items_come_back_from_their_own_xlsx_export_with_lead_units_in_order(
    checklist_2017: Checklist,
) -> None:
    item_1 = checklist_2017.items.get(number=1)
    item_1.due_date = datetime.date(2017, 6, 30)
    item_1.legal_reference = "嘉府办发〔2015〕38号"
    item_1.save()
    item_1.lead_unit_links.all().delete()
    for order, name in enumerate(["房管所", "社区党建办"], start=1):
        ItemLeadUnit.objects.create(item=item_1, unit=Unit.objects.get(name=name), order=order)
    before = items_1_and_2()
    content = export_xlsx(ItemResource(), Item.objects.filter(number__in=[1, 2]))
    assert header_row(content) == ITEM_HEADERS

    Item.objects.filter(number=1).update(
        text="改过的内容", responsible_scope=Item.Scope.NAMED_UNITS, due_date=None
    )
    item_1.lead_unit_links.all().delete()
    ItemLeadUnit.objects.create(item=item_1, unit=Unit.objects.get(name="社区自治办"), order=1)
    checklist_2017.items.filter(number=2).delete()
    result = import_xlsx(ItemResource(), content)

    assert not result.has_errors() and not result.has_validation_errors()
    assert items_1_and_2() == before
    assert items_1_and_2()[0][4] == ["房管所", "社区党建办"]


def test_a_unit_csv_speaks_in_chinese_labels(checklist_2017: Checklist) -> None:
    dataset = tablib.Dataset().load(
        "名称,类别,联席会议成员单位\n房管所,街道事业单位,否\n新单位,群团组织,是\n", format="csv"
    )
    result = UnitResource().import_data(dataset, dry_run=False)

    assert not result.has_errors() and not result.has_validation_errors()
    housing_office = Unit.objects.get(name="房管所")
    assert housing_office.kind == Unit.Kind.SERVICE_CENTRE
    assert not housing_office.is_joint_meeting_member
    assert Unit.objects.get(name="新单位").kind == Unit.Kind.MASS_ORGANISATION
    exported = UnitResource().export(Unit.objects.filter(name="新单位"))
    assert exported.headers == ["名称", "类别", "联席会议成员单位"]
    assert list(exported[0]) == ["新单位", "群团组织", "是"]


# Malformed files -----------------------------------------------------------------------


def test_a_file_without_a_compound_name_column_is_refused_naming_the_column(
    community_one: Community,
) -> None:
    content = xlsx(
        [
            ["所属社区", "地址", "户数", "物业服务企业", "符合业委会成立条件", "已成立业委会"],
            ["示例社区一", "新成路9号", 100, "", "是", "否"],
        ]
    )
    before = compounds()
    result = import_xlsx(CompoundResource(), content)

    assert result.has_errors()
    assert import_error_messages(result) == [
        "文件缺少必需的列:“小区名称”。请以导出的表格为模板填写。"
    ]
    assert result.rows == []  # no row was read
    assert compounds() == before


def test_text_in_households_refuses_the_whole_file_with_the_row_and_value(
    community_one: Community, community_two: Community
) -> None:
    content = xlsx(
        [
            COMPOUND_HEADERS,
            ["示例社区一", "四号小区", "", 100, "", "是", "否"],
            ["示例社区一", "五号小区", "", "abc", "", "是", "否"],
            ["示例社区二", "三号小区", "", 999, "乙物业", "是", "是"],
        ]
    )
    before = compounds()
    result = import_xlsx(CompoundResource(), content)

    assert result.has_validation_errors()
    assert [row.number for row in result.invalid_rows] == [2]
    assert result.invalid_rows[0].error_dict == {"户数": ["“户数”必须是非负整数,而不是“abc”"]}
    assert import_error_messages(result) == ["第2行数据“户数”:“户数”必须是非负整数,而不是“abc”"]
    # Rows 1 and 3 were valid, yet nothing of the file was written.
    assert compounds() == before
    assert not Compound.objects.filter(name="四号小区").exists()


def test_bad_yes_no_and_label_cells_are_refused_in_chinese(checklist_2017: Checklist) -> None:
    content = xlsx(
        [["名称", "类别", "联席会议成员单位"], ["新单位", "居委会", "也许"], ["另一单位", "", "是"]]
    )
    result = import_xlsx(UnitResource(), content)

    assert import_error_messages(result) == [
        "第1行数据“类别”:未知的类别“居委会”,可选:街道内设机构、街道事业单位、区级派驻机构、群团组织",
        "第1行数据“联席会议成员单位”:“联席会议成员单位”必须是“是”或“否”,而不是“也许”",
        "第2行数据“类别”:“类别”不能为空,可选:街道内设机构、街道事业单位、区级派驻机构、群团组织",
    ]
    assert not Unit.objects.filter(name__in=["新单位", "另一单位"]).exists()


def test_an_unknown_community_refuses_the_compound_file(community_one: Community) -> None:
    content = xlsx(
        [
            COMPOUND_HEADERS,
            ["示例社区一", "四号小区", "", 100, "", "是", "否"],
            ["不存在的社区", "五号小区", "", 50, "", "是", "否"],
        ]
    )
    result = import_xlsx(CompoundResource(), content)

    assert import_error_messages(result) == ["第2行数据“所属社区”:未知社区“不存在的社区”"]
    assert not Compound.objects.filter(name__in=["四号小区", "五号小区"]).exists()


def test_an_unknown_lead_unit_refuses_the_item_file(checklist_2017: Checklist) -> None:
    content = xlsx(
        [
            ITEM_HEADERS,
            [2017, 1, "宜居·共建", "新的内容", "社区党建办、不存在办", "各社区", None, ""],
            [2017, 99, "宜居·共建", "一项新任务", "房管所", "各社区", "2017-12-31", ""],
        ]
    )
    result = import_xlsx(ItemResource(), content)

    assert import_error_messages(result) == ["第1行数据“牵头单位”:未知单位“不存在办”"]
    item_1 = checklist_2017.items.get(number=1)
    assert item_1.text == "在符合条件的业委会中党的工作小组组建率100%。"
    assert [unit.name for unit in item_1.ordered_lead_units()] == ["社区党建办"]
    assert not checklist_2017.items.filter(number=99).exists()


def test_an_unknown_year_or_pillar_refuses_the_item_file(checklist_2017: Checklist) -> None:
    content = xlsx(
        [
            ITEM_HEADERS,
            [2016, 1, "宜居·共建", "内容", "房管所", "各社区", None, ""],
            [2017, 98, "不存在的板块", "内容", "房管所", "各社区", None, ""],
        ]
    )
    messages = import_error_messages(import_xlsx(ItemResource(), content))

    assert "第1行数据“年度”:未知目标任务清单“2016”" in messages
    assert "第2行数据“板块”:未知板块“不存在的板块”" in messages
    assert not Item.objects.filter(number=98).exists()


# Progress reports ----------------------------------------------------------------------


@pytest.fixture
def june_report(world: Checklist, june_owed: Checklist, community_one: Community) -> ProgressReport:
    """Community one's June report on item 1, a draft with one figure."""
    assignment = Assignment.objects.get(item__number=1, community=community_one)
    report = ProgressReport.objects.create(
        assignment=assignment,
        year=2017,
        month=6,
        status=ProgressReport.Status.IN_PROGRESS,
        narrative="已组建一个。",
    )
    TargetValue.objects.create(
        report=report, target=assignment.item.targets.get(), numerator=1, denominator=2
    )
    return report


def test_reports_are_exported_with_their_workflow_state_and_values(
    june_report: ProgressReport,
) -> None:
    content = export_xlsx(ProgressReportResource())
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]

    assert rows == [
        REPORT_HEADERS,
        [
            2017,
            1,
            "示例社区一",
            2017,
            6,
            "推进中",
            "已组建一个。",
            "草稿",
            "业委会党的工作小组组建率: 1/2",
            None,
        ],
    ]


def test_importing_reports_writes_drafts_and_ignores_the_workflow_column(
    june_report: ProgressReport, street_admin: User
) -> None:
    content = xlsx(
        [
            REPORT_HEADERS,
            [
                2017,
                1,
                "示例社区一",
                2017,
                6,
                "已完成",
                "全部组建。",
                "已审核",
                "业委会党的工作小组组建率: 2/2",
            ],
            [2017, 2, "示例社区二", 2017, 6, "未启动", "", "已审核", ""],
        ]
    )
    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert not result.has_errors() and not result.has_validation_errors()
    june_report.refresh_from_db()
    assert june_report.status == ProgressReport.Status.COMPLETED
    assert june_report.narrative == "全部组建。"
    assert june_report.workflow_state == ProgressReport.WorkflowState.DRAFT
    assert june_report.version == 2
    value = june_report.values.get()
    assert (value.numerator, value.denominator) == (2, 2)
    new = ProgressReport.objects.get(
        assignment__item__number=2, assignment__community__name="示例社区二"
    )
    assert (new.year, new.month, new.workflow_state) == (
        2017,
        6,
        ProgressReport.WorkflowState.DRAFT,
    )


@pytest.mark.parametrize(
    "state", [ProgressReport.WorkflowState.SUBMITTED, ProgressReport.WorkflowState.APPROVED]
)
def test_a_submitted_or_approved_report_cannot_be_changed_by_import(
    june_report: ProgressReport, street_admin: User, state: str
) -> None:
    ProgressReport.objects.filter(pk=june_report.pk).update(workflow_state=state)
    content = xlsx(
        [
            REPORT_HEADERS,
            [2017, 2, "示例社区二", 2017, 6, "未启动", "", "", ""],
            [2017, 1, "示例社区一", 2017, 6, "已完成", "改写", "草稿", ""],
        ]
    )
    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == [
        "第2行数据“流程状态”:这份月报已提交或已审核,不能再修改。"
    ]
    june_report.refresh_from_db()
    assert (june_report.status, june_report.narrative) == ("in_progress", "已组建一个。")
    assert ProgressReport.objects.count() == 1


def test_an_unknown_party_or_item_refuses_the_report_file(street_admin: User) -> None:
    content = xlsx(
        [
            REPORT_HEADERS,
            [2017, 1, "不存在的社区", 2017, 6, "推进中", "", "", ""],
            [2017, 999, "示例社区一", 2017, 6, "推进中", "", "", ""],
            [2017, 2, "房管所", 2017, 6, "推进中", "", "", ""],
            [2017, 2, "示例社区一", 2017, 13, "推进中", "", "", ""],
        ]
    )
    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == [
        "第1行数据“责任单位”:未知责任单位“不存在的社区”",
        "第2行数据“责任单位”:未知任务:2017年度清单中没有第999项",
        "第3行数据“责任单位”:“房管所”不是第2项任务的责任单位",
        "第4行数据“月”:“月”必须在1到12之间,而不是“13”",
    ]
    assert not ProgressReport.objects.exists()


# Denominators from the compound register ------------------------------------------------
# Community one's register: 一号小区 under property management, 二号小区 not. Item 18's two
# targets count the compounds under property management (1); item 37's 无群租小区挂牌比例
# counts every compound (2), its 新增群租及时整治率 nothing registered.

DISCLOSURE = "物业服务信息公开率"
INSPECTION = "服务规范执行情况检查率"
RENTALS = "新增群租及时整治率"
PLAQUES = "无群租小区挂牌比例"
NOT_REGISTERED = "二号小区6月已签物业合同,登记尚未更新"


def row_of(item: int, values: str, reasons: str | None = None) -> list[Any]:
    """Community one's June report on ``item``."""
    return [2017, item, "示例社区一", 2017, 6, "推进中", "", "", values, reasons]


@pytest.fixture
def june_item_18(
    world: Checklist, june_owed: Checklist, community_one: Community, community_one_staff: User
) -> ProgressReport:
    """Community one's June report on item 18, filed on the filing page: one denominator
    differs from the register's count, with its reason."""
    assignment = Assignment.objects.get(item__number=18, community=community_one)
    disclosure, inspection = assignment.targets()
    return progress_report_save(
        assignment=assignment,
        year=2017,
        month=6,
        by=community_one_staff,
        status=ProgressReport.Status.IN_PROGRESS,
        narrative="按计划推进。",
        values={
            disclosure.pk: ValueInput(
                numerator=2, denominator=2, denominator_reason=NOT_REGISTERED
            ),
            inspection.pk: ValueInput(numerator=1, denominator=1),
        },
        version=None,
    )


def reason_figures(item: int) -> list[tuple[Any, ...]]:
    return list(
        TargetValue.objects.filter(report__assignment__item__number=item)
        .order_by("target__order")
        .values_list(
            "target__title",
            "numerator",
            "denominator",
            "denominator_registered",
            "denominator_reason",
        )
    )


def test_the_export_writes_each_reason_beside_the_figures(june_item_18: ProgressReport) -> None:
    content = export_xlsx(ProgressReportResource())
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]

    assert rows[0] == REPORT_HEADERS
    assert rows[1][-2:] == [
        f"{DISCLOSURE}: 2/2；{INSPECTION}: 1/1",
        f"{DISCLOSURE}: {NOT_REGISTERED}",
    ]


def test_an_export_with_reasons_imports_back_unchanged(
    june_item_18: ProgressReport, street_admin: User, community_one: Community
) -> None:
    before = reason_figures(18)
    content = export_xlsx(ProgressReportResource())
    # The register changes after the export: the unchanged file still changes nothing.
    community_one.compounds.create(name="四号小区", property_manager="丙物业")

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == []
    assert result.totals["skip"] == 1
    june_item_18.refresh_from_db()
    assert june_item_18.version == 1
    assert reason_figures(18) == before


def test_a_reason_corrected_in_the_export_is_imported(
    june_item_18: ProgressReport, street_admin: User
) -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(export_xlsx(ProgressReportResource()))).active
    sheet.cell(row=2, column=len(REPORT_HEADERS)).value = f"{DISCLOSURE}: 二号小区物业合同已备案"
    stream = io.BytesIO()
    sheet.parent.save(stream)

    result = import_xlsx(ProgressReportResource(), stream.getvalue(), user=street_admin)

    assert import_error_messages(result) == []
    assert result.totals["update"] == 1
    assert reason_figures(18)[0] == (DISCLOSURE, 2, 2, 1, "二号小区物业合同已备案")


def test_an_imported_figure_other_than_the_register_s_is_kept_with_its_reason(
    world: Checklist, june_owed: Checklist, street_admin: User
) -> None:
    content = xlsx(
        [
            REPORT_HEADERS,
            row_of(
                18,
                f"{DISCLOSURE}: 2/2；{INSPECTION}: 1/3",
                f"{DISCLOSURE}: {NOT_REGISTERED}；{INSPECTION}: 另有两个小区自管;按实际检查数填报",
            ),
        ]
    )

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == []
    assert reason_figures(18) == [
        (DISCLOSURE, 2, 2, 1, NOT_REGISTERED),
        (INSPECTION, 1, 3, 1, "另有两个小区自管;按实际检查数填报"),
    ]
    assert all(value.differs_from_register for value in TargetValue.objects.all())


def test_a_figure_other_than_the_register_s_without_a_reason_refuses_the_file(
    world: Checklist, june_owed: Checklist, street_admin: User
) -> None:
    content = xlsx(
        [
            REPORT_HEADERS,
            [2017, 2, "示例社区二", 2017, 6, "推进中", "", "", "有兼职委员的党组织比例: 3/4", None],
            row_of(18, f"{DISCLOSURE}: 2/2；{INSPECTION}: 1/3", f"{DISCLOSURE}: {NOT_REGISTERED}"),
        ]
    )

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == [
        f"第2行数据“与登记数不同的原因”:指标“{INSPECTION}”的分母(3)与登记数(1)不同,请写明原因。"
    ]
    assert not ProgressReport.objects.exists()


def test_the_register_s_figure_needs_no_reason_and_keeps_none(
    world: Checklist, june_owed: Checklist, street_admin: User
) -> None:
    content = xlsx(
        [
            REPORT_HEADERS,
            row_of(18, f"{DISCLOSURE}: 1/1；{INSPECTION}: 0/1", f"{DISCLOSURE}: 多余的说明"),
        ]
    )

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == []
    assert reason_figures(18)[0] == (DISCLOSURE, 1, 1, 1, "")
    # Imported again, the reason that was not kept changes nothing.
    again = import_xlsx(ProgressReportResource(), content, user=street_admin)
    assert again.totals["skip"] == 1


def test_an_imported_numerator_above_its_denominator_is_refused(
    world: Checklist, june_owed: Checklist, street_admin: User
) -> None:
    content = xlsx([REPORT_HEADERS, row_of(37, f"{RENTALS}: 5/3；{PLAQUES}: 1/2")])

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == [
        f"第1行数据“指标值”:指标“{RENTALS}”的分子(5)不能大于分母(3)。"
    ]
    assert not ProgressReport.objects.exists()


def test_with_one_registered_denominator_the_reason_may_stand_alone(
    world: Checklist, june_owed: Checklist, street_admin: User
) -> None:
    content = xlsx(
        [REPORT_HEADERS, row_of(37, f"{RENTALS}: 1/1；{PLAQUES}: 1/3", "含一个在建小区")]
    )

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == []
    assert reason_figures(37)[-1] == (PLAQUES, 1, 3, 2, "含一个在建小区")


@pytest.mark.parametrize(
    ("item", "reasons", "message"),
    [
        (
            18,
            NOT_REGISTERED,
            f"有多个指标的分母取自登记数,请写成“指标: 原因”,可填:“{DISCLOSURE}”、“{INSPECTION}”",
        ),
        (
            37,
            f"{RENTALS}: 群租户另行统计",
            f"指标“{RENTALS}”的分母不取自登记数,不用写原因;可填:“{PLAQUES}”",
        ),
        (
            18,
            f"说明;{DISCLOSURE}: {NOT_REGISTERED}",
            f"“说明”应写成“指标: 原因”,如“{DISCLOSURE}: 新成立的业委会尚未登记”",
        ),
        (18, f"{DISCLOSURE}: 甲；{DISCLOSURE}: 乙", f"指标重复填写:“{DISCLOSURE}”"),
        (1, "登记有误", "第1项任务没有分母取自登记数的指标,此列应留空"),
    ],
)
def test_a_reason_that_names_no_registered_denominator_is_refused(
    world: Checklist,
    june_owed: Checklist,
    street_admin: User,
    item: int,
    reasons: str,
    message: str,
) -> None:
    content = xlsx([REPORT_HEADERS, row_of(item, "", reasons)])

    result = import_xlsx(ProgressReportResource(), content, user=street_admin)

    assert import_error_messages(result) == [f"第1行数据“与登记数不同的原因”:{message}"]
    assert not ProgressReport.objects.exists()


def test_a_file_from_before_the_reason_column_still_imports(
    world: Checklist, june_owed: Checklist, street_admin: User
) -> None:
    older = REPORT_HEADERS[:-1]
    refused = import_xlsx(
        ProgressReportResource(),
        xlsx([older, row_of(18, f"{DISCLOSURE}: 1/2")[:-1]]),
        user=street_admin,
    )
    imported = import_xlsx(
        ProgressReportResource(),
        xlsx([older, row_of(18, f"{DISCLOSURE}: 1/1；{INSPECTION}: 1/1")[:-1]]),
        user=street_admin,
    )

    assert import_error_messages(refused) == [
        f"第1行数据“与登记数不同的原因”:指标“{DISCLOSURE}”的分母(2)与登记数(1)不同,请写明原因。"
    ]
    assert import_error_messages(imported) == []
    assert reason_figures(18) == [(DISCLOSURE, 1, 1, 1, ""), (INSPECTION, 1, 1, 1, "")]


def test_the_admin_preview_names_the_missing_reason(
    admin_client: Client, world: Checklist, june_owed: Checklist
) -> None:
    content = xlsx([REPORT_HEADERS, row_of(18, f"{DISCLOSURE}: 1/2")])

    response = upload(admin_client, "admin:tasks_progressreport_import", content, name="月报.xlsx")

    page = response.content.decode()
    assert f"指标“{DISCLOSURE}”的分母(2)与登记数(1)不同,请写明原因。" in page
    assert "与登记数不同的原因" in page
    assert "确认导入" not in page
    assert not ProgressReport.objects.exists()


# Through the admin ---------------------------------------------------------------------

COMPOUND_IMPORT_URL = "admin:communities_compound_import"


def upload(client: Client, url_name: str, content: bytes, *, name: str = "小区.xlsx") -> Any:
    """The import form's first step: choose the file and format (0 = xlsx, 1 = csv)."""
    file_format = "1" if name.endswith(".csv") else "0"
    return client.post(
        reverse(url_name),
        {"import_file": SimpleUploadedFile(name, content), "format": file_format, "resource": "0"},
    )


def test_the_admin_previews_an_import_without_writing_then_imports_on_confirm(
    admin_client: Client, community_one: Community
) -> None:
    content = xlsx(
        [COMPOUND_HEADERS, ["示例社区一", "四号小区", "新成路4号", 88, "丙物业", "是", "否"]]
    )
    preview = upload(admin_client, COMPOUND_IMPORT_URL, content)

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "预览" in page and "确认导入" in page and "新成路4号" in page
    assert not Compound.objects.filter(name="四号小区").exists()

    confirm = preview.context["confirm_form"]
    response = admin_client.post(
        reverse("admin:communities_compound_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("admin:communities_compound_changelist")
    assert "导入成功" in response.content.decode()
    compound = Compound.objects.get(name="四号小区")
    assert (compound.community, compound.households) == (community_one, 88)


def test_the_admin_shows_the_chinese_reason_for_a_bad_row_and_imports_nothing(
    admin_client: Client, community_one: Community
) -> None:
    content = xlsx(
        [
            COMPOUND_HEADERS,
            ["示例社区一", "四号小区", "", 100, "", "是", "否"],
            ["示例社区一", "五号小区", "", "abc", "", "是", "否"],
        ]
    )
    response = upload(admin_client, COMPOUND_IMPORT_URL, content)

    page = response.content.decode()
    assert "“户数”必须是非负整数,而不是“abc”" in page
    assert "确认导入" not in page
    assert "confirm_form" not in response.context
    assert not Compound.objects.filter(name__in=["四号小区", "五号小区"]).exists()


def test_the_admin_refuses_a_file_missing_a_column_without_a_traceback(
    admin_client: Client, community_one: Community
) -> None:
    content = "所属社区,户数\n示例社区一,12\n".encode()
    response = upload(admin_client, COMPOUND_IMPORT_URL, content, name="小区.csv")

    page = response.content.decode()
    assert "文件缺少必需的列:“小区名称”、“地址”" in page
    assert "Traceback" not in page
    assert Compound.objects.count() == 2


def test_the_admin_imports_items_with_an_unknown_lead_unit_refused(
    admin_client: Client, checklist_2017: Checklist
) -> None:
    content = xlsx(
        [ITEM_HEADERS, [2017, 1, "宜居·共建", "新的内容", "不存在办", "各社区", None, ""]]
    )
    response = upload(admin_client, "admin:tasks_item_import", content, name="任务.xlsx")

    assert "未知单位“不存在办”" in response.content.decode()
    assert checklist_2017.items.get(number=1).text == "在符合条件的业委会中党的工作小组组建率100%。"


def test_an_admin_export_imports_back_through_the_admin(
    admin_client: Client, community_one: Community, community_two: Community
) -> None:
    before = compounds()
    response = admin_client.post(
        reverse("admin:communities_compound_export"), {"format": "0", "resource": "0"}
    )
    assert response["Content-Type"] == XLSX.CONTENT_TYPE
    content = (
        b"".join(response.streaming_content)
        if isinstance(response, StreamingHttpResponse)
        else response.content
    )
    assert header_row(content) == COMPOUND_HEADERS
    Compound.objects.filter(name="二号小区").delete()

    preview = upload(admin_client, COMPOUND_IMPORT_URL, content)
    confirm = preview.context["confirm_form"]
    admin_client.post(
        reverse("admin:communities_compound_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
    )

    assert compounds() == before


def test_a_confirm_that_no_longer_validates_writes_nothing_and_says_so(
    admin_client: Client, community_one: Community
) -> None:
    merged = Community.objects.create(name="待撤并社区")
    content = xlsx(
        [
            COMPOUND_HEADERS,
            ["示例社区一", "四号小区", "", 10, "", "是", "否"],
            ["待撤并社区", "五号小区", "", 20, "", "是", "否"],
        ]
    )
    preview = upload(admin_client, COMPOUND_IMPORT_URL, content)
    confirm = preview.context["confirm_form"]
    merged.delete()  # between the preview and the confirmation

    response = admin_client.post(
        reverse("admin:communities_compound_process_import"),
        {name: confirm.initial[name] for name in confirm.fields},
        follow=True,
    )

    page = response.content.decode()
    assert "导入失败,没有写入任何数据:第2行数据“所属社区”:未知社区“待撤并社区”" in page
    assert "导入成功" not in page
    assert not Compound.objects.filter(name__in=["四号小区", "五号小区"]).exists()
