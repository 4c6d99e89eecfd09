"""The whole monthly loop in Chromium (issue 13, item 9), each person starting from the home
page: 示例社区一 files four of July's items led by 房管所 with a photo in one pass;
房管所 finds them from its 待我审核 panel, returns one with a comment and approves two at
once; the community corrects the returned one from its home page and submits it again,
房管所 approves it; leadership reads the month on the dashboard and prints the briefing.

Every step checks what is stored (the reports' workflow state, their figures, the evidence,
the transitions) and runs axe-core on the page it reached: no critical, no serious
violation. Screenshots in test-artifacts/screenshots/<test>/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Locator, Page, expect
from pytest_django.live_server_helper import LiveServer

from communities.models import Community
from dashboards.dashboard import headline_figures
from tasks.models import Assignment, Checklist, Evidence, ProgressReport, ReportTransition

from ..conftest import PASSWORD, assignment_of
from .conftest import DESKTOP, PageEvents, Screenshot, _open_page, _watch
from .test_accessibility import IMPACTS_REFUSED, RUN_AXE, _report
from .test_filing_page import Actions
from .test_filing_review_journey import _png

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

State = ProgressReport.WorkflowState
# Four items 示例社区一 files and 房管所 alone or first leads (fixtures/checklist_2017.yaml):
# 7 and 8 are rates whose denominators the compound register fills in, 22 and 23 yes/no
# milestones.
ITEMS = (7, 8, 22, 23)
PHOTO_NAME = "业委会筹备会.png"
SIGN_IN_SHEET = "筹备会签到表.png"
RETURN_COMMENT = "请补充筹备会签到表照片"
CORRECTION = "已补充筹备会签到表照片。"


@pytest.fixture
def august_3rd_2017_ticking() -> Iterator[None]:
    """The week communities file July 2017, the clock running (each step later)."""
    moment = datetime(2017, 8, 3, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(moment, tick=True):
        yield


def _sign_in(page: Page, base: str, username: str, act: Actions | None = None) -> None:
    """Open the portal's address, get sent to the login page, sign in and land on the
    home page: three actions (the user name, the password, 登录)."""
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    act = act or Actions()
    act.fill(page.get_by_label("用户名"), username)
    act.fill(page.get_by_label("密码"), PASSWORD)
    act.click(page.get_by_role("button", name="登录"))
    expect(page).to_have_url(base + "/")


def _axe_clean(page: Page, where: str) -> None:
    """axe-core on the page as it is now: no critical and no serious violation."""
    # From the portal's own address: the Content-Security-Policy refuses an inline script.
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
    page.add_script_tag(url=origin + "/static/vendor/axe-core/axe.min.js")
    refused = [v for v in page.evaluate(RUN_AXE) if v["impact"] in IMPACTS_REFUSED]
    assert refused == [], f"{where} ({page.url}):\n{_report(refused)}"


def _states(assignments: dict[int, Assignment]) -> dict[int, str]:
    return {
        number: ProgressReport.objects.get(assignment=assignment, year=2017, month=7).workflow_state
        for number, assignment in assignments.items()
    }


def _steps(report: ProgressReport) -> list[tuple[str, str, str, str]]:
    return [
        (t.from_state, t.to_state, t.by.username, t.comment)
        for t in ReportTransition.objects.filter(report=report).select_related("by")
    ]


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _on_report(page: Page, report: ProgressReport, back: str) -> None:
    """The page is ``report``'s, carrying the way back to the queue ``back``."""
    expect(page).to_have_url(re.compile(rf"/reports/{report.pk}/\?next="))
    assert _query(page.url) == {"next": [back]}


def _article(page: Page, assignment: Assignment) -> Locator:
    """The filing page's article of ``assignment``."""
    return page.locator(f"#a{assignment.pk}")


def _target_input(page: Page, assignment: Assignment, column: str) -> Locator:
    target = assignment.targets()[0]
    return _article(page, assignment).locator(f'[name="a{assignment.pk}-t{target.pk}_{column}"]')


def _file_four_items(
    page: Page,
    base: str,
    item: dict[int, Assignment],
    photo: Path,
    screenshot: Screenshot,
) -> tuple[int, int]:
    """示例社区一 signs in, lands on its to-do list, presses its one primary button and
    files items 7, 8, 22 and 23, a photo on item 8, in one pass: what is stored is checked,
    and axe runs on each page reached. Returns the actions of signing in and those from
    the home page to submitted.

    Counted as test_filing_page.py counts (each fill, choice, file and click is one
    action): the home page's button, then per item one input (item 8 also its photo: the
    items to do are open, no click opens them), then 全部提交 = 1 + 1 + 2 + 1 + 1 + 1 = 7.
    Signing in (user name, password, 登录) is 3 more: 10 from the login page to submitted,
    within the issue's 12."""
    login = Actions()
    _sign_in(page, base, "one", login)
    expect(page.locator("article.home-panel")).to_have_count(1)
    primary = page.locator("#filing").get_by_role("button")
    expect(primary).to_have_count(1)
    expect(primary).to_have_text("填报本月 36 项")
    screenshot(page, "community-home")
    _axe_clean(page, "community home")

    act = Actions()
    act.click(primary)
    expect(page).to_have_url(f"{base}/workspace/?year=2017&month=7&show=todo")
    expect(page.get_by_role("heading", name="本月填报 · 2017年7月")).to_be_visible()
    screenshot(page, "workspace-todo")
    _axe_clean(page, "workspace, to do")

    # The compound register fills in the denominators of 7 (compounds with an owners'
    # committee: 一号小区) and 8 (compounds that may form one: both): only the numerators
    # are typed.
    # Every item to do is open: its inputs are there to fill, with no click to open it.
    for number in ITEMS:
        expect(_article(page, item[number]).locator("details.filing-body")).to_have_attribute(
            "open", ""
        )
    for number in (7, 8):
        act.fill(_target_input(page, item[number], "numerator"), "1")
    evidence_files = f'[name="a{item[8].pk}-evidence_files"]'
    act.attach(_article(page, item[8]).locator(evidence_files), photo)
    for number in (22, 23):
        act.select(_target_input(page, item[number], "is_done"), "已完成")
    screenshot(page, "workspace-filled")
    act.click(page.get_by_role("button", name="全部提交"))

    expect(page.get_by_role("status").first).to_have_text("已提交 4 份月报,等待牵头单位审核。")
    assert login.count + act.count <= 12
    assert _states(item) == dict.fromkeys(ITEMS, State.SUBMITTED)
    assert ProgressReport.objects.filter(year=2017, month=7).count() == 4
    reports = {
        number: ProgressReport.objects.get(assignment=assignment, year=2017, month=7)
        for number, assignment in item.items()
    }
    figures = {
        number: [(v.numerator, v.denominator, v.is_done) for v in report.values.all()]
        for number, report in reports.items()
    }
    assert figures == {
        7: [(1, 1, None)],
        8: [(1, 2, None)],
        22: [(None, None, True)],
        23: [(None, None, True)],
    }
    # The portal judges each report's status from its targets: 1 of 2 compounds with a
    # committee is short of item 8's 90 %.
    assert {n: r.status for n, r in reports.items()} == {
        7: ProgressReport.Status.COMPLETED,
        8: ProgressReport.Status.IN_PROGRESS,
        22: ProgressReport.Status.COMPLETED,
        23: ProgressReport.Status.COMPLETED,
    }
    [evidence] = Evidence.objects.all()
    assert (evidence.report, evidence.original_name) == (reports[8], PHOTO_NAME)
    assert _steps(reports[8]) == [(State.DRAFT, State.SUBMITTED, "one", "")]
    expect(page.locator(".filing-progress")).to_have_text("已填 4 / 36 · 已提交 4")
    screenshot(page, "workspace-submitted")
    _axe_clean(page, "workspace, submitted")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    return login.count, act.count


def _world(
    world: Checklist, community_one: Community, tmp_path: Path
) -> tuple[dict[int, Assignment], Path, Path]:
    """Items 7, 8, 22 and 23 of 示例社区一, and a photo and a sign-in sheet to upload."""
    item = {number: assignment_of(world, number, community_one) for number in ITEMS}
    assert {a.item.ordered_lead_units()[0].name for a in item.values()} == {"房管所"}
    camera = tmp_path / "camera"  # MEDIA_ROOT is tmp_path itself: keep apart
    camera.mkdir()
    photo, sheet = camera / PHOTO_NAME, camera / SIGN_IN_SHEET
    photo.write_bytes(_png())
    sheet.write_bytes(_png())
    return item, photo, sheet


def test_a_community_files_four_items_with_a_photo_on_a_phone(
    august_3rd_2017_ticking: None,
    live_server: LiveServer,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    phone_page: Page,
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    """Step 1 of the loop on a 390 px phone: the same actions, nothing wider than the
    screen."""
    item, photo, _sheet = _world(world, community_one, tmp_path)
    events = _watch(phone_page)
    assert _file_four_items(phone_page, live_server.url, item, photo, screenshot) == (3, 7)
    assert events.errors == []
    assert events.requests_elsewhere_than(live_server.url) == []


def test_the_whole_monthly_loop_from_filing_to_the_printed_briefing(
    august_3rd_2017_ticking: None,
    live_server: LiveServer,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    housing_staff: User,
    leader: User,
    browser: Browser,
    page: Page,
    screenshot: Screenshot,
    tmp_path: Path,
) -> None:
    base = live_server.url
    item, photo, sheet = _world(world, community_one, tmp_path)
    before, _year = headline_figures(world, 7)
    assert (before.received, before.approved) == (0, 0)

    watched: list[PageEvents] = [_watch(page)]
    people = ExitStack()

    def another_person() -> Page:
        other = people.enter_context(contextmanager(_open_page)(browser, viewport=DESKTOP))
        watched.append(_watch(other))
        return other

    with people:
        # 1. 示例社区一 files four items with a photo in one pass.
        actions = _file_four_items(page, base, item, photo, screenshot)
        assert actions == (3, 7)
        report_8 = ProgressReport.objects.get(assignment=item[8], year=2017, month=7)

        # 2. 房管所 finds the new reports from its home page, returns item 8 with a comment,
        # then approves two at once and lands back on its filtered queue.
        housing = another_person()
        _sign_in(housing, base, "housing")
        waiting = housing.locator("#review .home-waiting li")
        expect(waiting).to_have_count(4)
        screenshot(housing, "housing-home")
        _axe_clean(housing, "lead unit home")
        waiting.filter(has_text="辖区内符合成立条件").get_by_role("link").click()
        queue_of_8 = f"/review/?state=submitted&item={item[8].item_id}"
        expect(housing).to_have_url(base + queue_of_8)
        rows = housing.locator("table.queue tbody tr")
        expect(rows).to_have_count(1)
        screenshot(housing, "housing-queue-item-8")
        _axe_clean(housing, "review queue, item 8")

        rows.get_by_role("link", name="审核").click()
        _on_report(housing, report_8, queue_of_8)
        expect(housing.get_by_role("link", name=PHOTO_NAME)).to_be_visible()
        screenshot(housing, "housing-report-8")
        _axe_clean(housing, "report page")
        housing.get_by_label("退回意见").fill(RETURN_COMMENT)
        housing.get_by_role("button", name="退回修改").click()
        # Nothing else in that queue: back on it, told so.
        expect(housing).to_have_url(base + queue_of_8)
        expect(housing.get_by_role("status").first).to_contain_text("已退回")
        report_8.refresh_from_db()
        assert report_8.workflow_state == State.RETURNED
        assert _steps(report_8)[-1] == (State.SUBMITTED, State.RETURNED, "housing", RETURN_COMMENT)
        screenshot(housing, "housing-returned")
        _axe_clean(housing, "review queue after returning")

        # Every task of 示例社区一 waiting: the three others.
        filters = housing.locator("form.review-filters")
        filters.get_by_role("combobox", name=re.compile("^任务")).select_option(label="全部任务")
        filters.get_by_role("combobox", name=re.compile("^责任单位")).select_option(
            label="示例社区一"
        )
        filters.get_by_role("button", name="筛选").click()
        expect(rows).to_have_count(3)
        filtered = housing.url
        party = f"community-{community_one.pk}"
        assert _query(filtered)["party"] == [party]
        assert _query(filtered)["state"] == ["submitted"]
        chosen = [ProgressReport.objects.get(assignment=item[n], month=7) for n in (7, 22)]
        for report in chosen:
            housing.locator(f'input[name="reports"][value="{report.pk}"]').check()
        screenshot(housing, "housing-two-ticked")
        housing.get_by_role("button", name="批量通过所选月报").click()
        expect(housing.get_by_role("heading", name="确认批量通过")).to_be_visible()
        expect(housing.locator("table.bulk-approve-list tbody tr")).to_have_count(2)
        screenshot(housing, "housing-bulk-confirmation")
        _axe_clean(housing, "bulk approval confirmation")
        housing.get_by_role("button", name="确认通过 2 份月报").click()

        expect(housing.get_by_role("status").first).to_contain_text("已审核通过 2 份月报")
        assert urlsplit(housing.url).path == "/review/"
        assert _query(housing.url) == _query(filtered)
        expect(filters.locator('select[name="state"]')).to_have_value("submitted")
        expect(filters.locator('select[name="party"]')).to_have_value(party)
        expect(filters.locator('select[name="item"]')).to_have_value("")
        expect(rows).to_have_count(1)  # item 23 still waits
        assert _states(item) == {
            7: State.APPROVED,
            8: State.RETURNED,
            22: State.APPROVED,
            23: State.SUBMITTED,
        }
        for report in chosen:
            assert _steps(report) == [
                (State.DRAFT, State.SUBMITTED, "one", ""),
                (State.SUBMITTED, State.APPROVED, "housing", ""),
            ]
        screenshot(housing, "housing-after-bulk")
        _axe_clean(housing, "review queue after the bulk approval")

        # 3. The community corrects item 8 from its home page and submits it again.
        page.goto(base + "/")
        returned = page.locator("#filing").get_by_role("button", name="修改被退回的 1 项")
        expect(returned).to_be_visible()
        screenshot(page, "community-home-returned")
        _axe_clean(page, "community home, one returned")
        returned.click()
        expect(page).to_have_url(f"{base}/workspace/?year=2017&month=7&show=returned")
        expect(_article(page, item[8]).get_by_role("status")).to_have_text(
            f"退回意见:{RETURN_COMMENT}"
        )
        expect(_target_input(page, item[8], "numerator")).to_have_value("1")
        _article(page, item[8]).get_by_label("进展情况").fill(CORRECTION)
        _article(page, item[8]).locator(f'[name="a{item[8].pk}-evidence_files"]').set_input_files(
            sheet
        )
        screenshot(page, "community-correcting")
        _axe_clean(page, "workspace, returned")
        page.get_by_role("button", name="全部提交").click()
        expect(page.get_by_role("status").first).to_have_text("已提交 1 份月报,等待牵头单位审核。")
        report_8.refresh_from_db()
        assert report_8.workflow_state == State.SUBMITTED
        assert report_8.narrative == CORRECTION
        assert sorted(report_8.evidence.values_list("original_name", flat=True)) == sorted(
            [PHOTO_NAME, SIGN_IN_SHEET]
        )
        screenshot(page, "community-resubmitted")

        # 房管所 approves it from its filtered queue, in one decision, and is taken on to
        # the next report of that queue (item 23).
        housing.goto(filtered)
        expect(rows).to_have_count(2)
        rows.filter(has_text="辖区内符合成立条件").get_by_role("link", name="审核").click()
        back = urlsplit(filtered).path + "?" + urlsplit(filtered).query
        _on_report(housing, report_8, back)
        expect(housing.get_by_role("link", name=SIGN_IN_SHEET)).to_be_visible()
        housing.get_by_role("button", name="审核通过").click()
        report_23 = ProgressReport.objects.get(assignment=item[23], month=7)
        _on_report(housing, report_23, back)
        expect(housing.get_by_role("status").first).to_contain_text("已审核通过")
        assert _states(item) == {
            7: State.APPROVED,
            8: State.APPROVED,
            22: State.APPROVED,
            23: State.SUBMITTED,
        }
        assert _steps(report_8) == [
            (State.DRAFT, State.SUBMITTED, "one", ""),
            (State.SUBMITTED, State.RETURNED, "housing", RETURN_COMMENT),
            (State.RETURNED, State.SUBMITTED, "one", ""),
            (State.SUBMITTED, State.APPROVED, "housing", ""),
        ]
        screenshot(housing, "housing-next-report")
        _axe_clean(housing, "the next report")

        # 4. Leadership reads July on the dashboard and prints the briefing.
        after, _year = headline_figures(world, 7)
        assert (after.received, after.approved) == (4, 3)
        assert after.reporting_rate is not None and after.reporting_rate > 0
        lead = another_person()
        _sign_in(lead, base, "leader")
        expect(lead.locator("article.home-panel")).to_have_count(1)
        screenshot(lead, "leader-home")
        _axe_clean(lead, "leadership home")
        lead.locator("#leadership").get_by_role("link", name="完成情况看板").click()
        expect(lead).to_have_url(re.compile(r"/dashboard/"))
        expect(lead.locator("[data-figure=approved]")).to_have_text("3")
        expect(lead.locator("[data-figure=reporting]")).to_have_text(f"{after.reporting_rate}%")
        expect(lead.locator("section.figures")).to_contain_text(
            f"已报 {after.received} / 应报 {after.expected}"
        )
        screenshot(lead, "leader-dashboard")
        _axe_clean(lead, "dashboard")

        lead.goto(base + "/")
        lead.locator("#leadership").get_by_role("link", name="7月简报").click()
        expect(lead).to_have_url(re.compile(r"/dashboard/briefing/"))
        overall = f"本月应报进展 {after.expected} 份,已报 {after.received} 份"
        expect(lead.locator("article.briefing-sheet")).to_contain_text(overall)
        _axe_clean(lead, "briefing")
        lead.emulate_media(media="print")
        expect(lead.locator("header.container")).to_be_hidden()
        expect(lead.locator("article.briefing-sheet")).to_contain_text(overall)
        screenshot(lead, "leader-briefing-print")
        pdf = lead.pdf(format="A4", prefer_css_page_size=True)
        (tmp_path / "briefing.pdf").write_bytes(pdf)
        assert pdf.startswith(b"%PDF")
        assert 1 <= len(re.findall(rb"/Type\s*/Page\b", pdf)) <= 3

        # Nothing went wrong in any page, and nothing was fetched from elsewhere.
        assert [error for events in watched for error in events.errors] == []
        assert [url for events in watched for url in events.requests_elsewhere_than(base)] == []
