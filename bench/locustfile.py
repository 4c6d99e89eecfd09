"""Load test: 50 people using the portal at once in the filing week (issue 15), with locust.

    pip install ".[load]"
    locust -f bench/locustfile.py --host http://127.0.0.1:8001 --headless \\
        --users 50 --spawn-rate 10 --run-time 4m --csv var/load/prod

docs/load-test.md says how the servers and their data are set up (the demo, and
``generate_scale_data --communities 50 --through-month 11`` so that December 2017 is the
month being filed and November waits for review). The people, as ``fixed_count`` per role
(50 in all):

- 42 community staff (``shequ1``…``shequ8`` and ``syn-c00001-1``…): the home page, 本月填报,
  one item saved at a time as the page's own script saves it (htmx), 全部提交 once one is
  saved, a report opened, the inbox, their community's ledger;
- 5 lead-unit staff (``fangguansuo``, ``dangjian``, ``zizhi``, ``guanli``, ``syn-u01-1``): the
  review queue, a report opened from it and approved (or, one in five, returned);
- 2 street admins (``admin``, ``syn-admin``): the dashboard, the matrix, the queue, the
  month's ledger of the whole street;
- 1 leader (``lingdao``): the dashboard, the briefing, the ledger.

Each signs in once (``on_start``). A response counts as failed on any 5xx, any status the
step does not expect, a Django error page (the debug page's traceback, the portal's 500/503
pages) or the text "database is locked", wherever it appears; a save the form refuses
counts as failed too (the figures typed here are valid, so a refusal is a bug).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task
from locust.clients import ResponseContextManager

ROOT = Path(__file__).resolve().parent.parent
# The published demo password and the scale data's default, read from their modules
# (importing them needs Django set up).
DEMO_PASSWORD = re.search(
    r'DEMO_PASSWORD = "([^"]+)"', (ROOT / "demo" / "data.py").read_text(encoding="utf-8")
)[1]  # type: ignore[index]
SCALE_PASSWORD = re.search(
    r'DEFAULT_PASSWORD = "([^"]+)"', (ROOT / "demo" / "scale_data.py").read_text(encoding="utf-8")
)[1]  # type: ignore[index]

# The month being filed with the data docs/load-test.md builds, and the month under review.
YEAR, FILING_MONTH, REVIEW_MONTH = 2017, 12, 11
WORKSPACE = f"/workspace/?year={YEAR}&month={FILING_MONTH}"

# What an error looks like: Django's debug page, the portal's own 500 and 503 pages.
ERROR_MARKS = (
    "database is locked",
    'id="traceback"',
    "Traceback (most recent call last)",
    "服务器内部错误",
    "系统暂时不可用",
)


def _accounts(demo: list[str], synthetic: list[str]) -> Iterator[tuple[str, str]]:
    """The role's sign-ins, handed out in turn to the users locust starts."""
    return itertools.cycle(
        [(name, DEMO_PASSWORD) for name in demo] + [(name, SCALE_PASSWORD) for name in synthetic]
    )


COMMUNITY_ACCOUNTS = _accounts(
    [f"shequ{n}" for n in range(1, 9)], [f"syn-c{n:05d}-1" for n in range(1, 35)]
)
LEAD_UNIT_ACCOUNTS = _accounts(["fangguansuo", "dangjian", "zizhi", "guanli"], ["syn-u01-1"])
ADMIN_ACCOUNTS = _accounts(["admin"], ["syn-admin"])
LEADER_ACCOUNTS = _accounts(["lingdao"], [])


class _Forms(HTMLParser):
    """The forms of a page: for each, its ``action`` and the fields a browser would post
    (hidden inputs, text, checked boxes, each select's chosen option, textareas), with
    the ``name`` of every ``<input type="file">`` left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"id": a.get("id", ""), "action": a.get("action", ""), "fields": []})
            return
        if not self.forms:
            return
        fields: list[tuple[str, str]] = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_first, self._select_chosen = name, None, False
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a and not self._select_chosen:
                fields.append((self._select, value))
                self._select_chosen = True
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag: str) -> None:
        if not self.forms:
            return
        fields: list[tuple[str, str]] = self.forms[-1]["fields"]
        if tag == "select" and self._select is not None:
            if not self._select_chosen and self._select_first is not None:
                fields.append((self._select, self._select_first))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            fields.append((self._textarea, "".join(self._text).removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)


def page_forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return match[1] if match else ""


def check(response: ResponseContextManager, *, expect: tuple[int, ...] = (200,)) -> bool:
    """Mark the response failed when it is an error; True when it is not."""
    status = response.status_code
    is_page = "html" in response.headers.get("Content-Type", "")
    text = response.text if is_page or status >= 500 else ""
    for mark in ERROR_MARKS:
        if mark in (text or ""):
            response.failure(f"{status} {mark}")
            return False
    if status >= 500 or status not in expect:
        response.failure(f"status {status} {response.error or ''}".strip())
        return False
    response.success()
    return True


class PortalUser(HttpUser):
    """Someone of the street's portal: signs in once, then uses the pages of the role."""

    abstract = True
    wait_time = between(1, 5)
    accounts: Iterator[tuple[str, str]] = iter(())

    def on_start(self) -> None:
        self.username, password = next(self.accounts)
        with self.client.get(
            "/accounts/login/", name="login page", catch_response=True
        ) as response:
            check(response)
            token = csrf_token(response.text)
        with self.client.post(
            "/accounts/login/",
            data={
                "csrfmiddlewaretoken": token,
                "username": self.username,
                "password": password,
                "next": "/",
            },
            name="login",
            catch_response=True,
        ) as response:
            if check(response) and "/accounts/login/" in response.url:
                response.failure(f"{self.username} not signed in")

    def get(self, url: str, name: str | None = None) -> str:
        """A page as the browser asks for it; its HTML ("" when it failed)."""
        with self.client.get(url, name=name or url, catch_response=True) as response:
            return response.text if check(response) else ""

    @task(2)
    def home(self) -> None:
        self.get("/", "home")

    @task(1)
    def inbox(self) -> None:
        self.get("/notifications/", "inbox")


class CommunityStaff(PortalUser):
    """A community's staff filing December: items saved one by one, then 全部提交."""

    fixed_count = 42
    accounts = COMMUNITY_ACCOUNTS

    def on_start(self) -> None:
        super().on_start()
        self.saved = 0

    def workspace_form(self) -> tuple[list[tuple[str, str]], list[int]]:
        """本月填报's form as shown (its fields), and the items the party may still
        change (those with a ``version`` input)."""
        html = self.get(WORKSPACE, "workspace")
        form = next((f for f in page_forms(html) if f["id"] == "workspace-form"), None)
        if form is None:
            return [], []
        fields: list[tuple[str, str]] = form["fields"]
        editable = sorted(
            {int(m[1]) for name, _ in fields if (m := re.fullmatch(r"a(\d+)-version", name))}
        )
        return fields, editable

    @staticmethod
    def filled(fields: list[tuple[str, str]], pk: int) -> list[tuple[str, str]]:
        """The item's figures typed in as a person would: valid, and 推进中 declared (已完成
        needs the item's evidence, 滞后 an explanation)."""
        prefix = f"a{pk}-"
        given = dict(fields)
        out: list[tuple[str, str]] = []
        for name, value in fields:
            if not name.startswith(prefix):
                out.append((name, value))
                continue
            field = name.removeprefix(prefix)
            if field == "status":
                value = "in_progress"
            elif field == "narrative":
                value = f"负载测试:本月推进情况 {random.randint(1, 999)}"
            elif field.endswith("_quantity"):
                value = str(random.randint(0, 20))
            elif field.endswith("_is_done"):
                value = random.choice(["yes", "no"])
            elif field.endswith("_denominator"):
                # The register's count when prefilled (a different one needs a reason).
                value = value or str(random.randint(50, 400))
            elif field.endswith("_numerator"):
                denominator = given.get(name.replace("_numerator", "_denominator")) or "50"
                value = str(random.randint(0, int(denominator)))
            out.append((name, value))
        return out

    @task(3)
    def workspace(self) -> None:
        self.workspace_form()

    @task(6)
    def save_item(self) -> None:
        """保存 on one item: the page's script posts the whole form to the item's address."""
        fields, editable = self.workspace_form()
        if not editable:
            return
        pk = random.choice(editable)
        data = self.filled(fields, pk) + [("action", "save")]
        with self.client.post(
            f"/workspace/items/{pk}/?year={YEAR}&month={FILING_MONTH}",
            data=data,
            headers={"HX-Request": "true"},
            name="save item (htmx)",
            catch_response=True,
        ) as response:
            if check(response):
                if "data-unsaved" in response.text:
                    response.failure("item refused")
                else:
                    self.saved += 1

    @task(6)
    def submit_all(self) -> None:
        """全部提交 once an item is saved: every item filled, the page's form posted."""
        if self.saved < 1:
            return
        fields, editable = self.workspace_form()
        if not editable:
            return
        for pk in editable:
            fields = self.filled(fields, pk)
        with self.client.post(
            WORKSPACE, data=fields + [("submit", "1")], name="submit all", catch_response=True
        ) as response:
            if check(response, expect=(200, 400)) and response.status_code == 400:
                response.failure("items refused")
        self.saved = 0

    @task(2)
    def open_report(self) -> None:
        """A report of last month opened from 本月填报 (its 查看月报与审核记录)."""
        html = self.get(f"/workspace/?year={YEAR}&month={REVIEW_MONTH}", "workspace (last month)")
        reports = re.findall(r'href="/reports/(\d+)/"', html)
        if reports:
            self.get(f"/reports/{random.choice(reports)}/", "report")

    @task(1)
    def ledger(self) -> None:
        self.get(f"/ledger/month/?year={YEAR}&month={REVIEW_MONTH}", "ledger month (xlsx)")


class LeadUnitStaff(PortalUser):
    """A lead unit's staff reviewing: the queue, a report opened, approved or returned."""

    fixed_count = 5
    accounts = LEAD_UNIT_ACCOUNTS

    @task(3)
    def queue(self) -> None:
        self.get("/review/", "review queue")

    @task(5)
    def review(self) -> None:
        html = self.get("/review/", "review queue")
        reports = re.findall(r'href="/reports/(\d+)/', html)
        if not reports:
            return
        pk = random.choice(reports)
        page = self.get(f"/reports/{pk}/?next=/review/", "report")
        action = "approve" if random.random() < 0.8 else "return"
        form = next((f for f in page_forms(page) if f["action"].endswith(f"/{action}/")), None)
        if form is None:
            return  # decided by a colleague since the queue was read
        data = dict(form["fields"])
        if action == "return":
            data["comment"] = "负载测试:请补充本月的具体数据。"
        elif 'name="exception_accepted"' in page:
            data["exception_accepted"] = random.choice(["1", "0"])
        with self.client.post(
            form["action"], data=data, name=action, catch_response=True
        ) as response:
            # Decided by a colleague a moment before: the portal says so and shows the
            # report again (200), as it should.
            check(response)

    @task(1)
    def ledger(self) -> None:
        self.get(f"/ledger/month/?year={YEAR}&month={REVIEW_MONTH}", "ledger month (xlsx)")


class StreetAdmin(PortalUser):
    """The street's admin following the month: dashboard, matrix, queue, the ledger."""

    fixed_count = 2
    accounts = ADMIN_ACCOUNTS

    @task(4)
    def dashboard(self) -> None:
        self.get("/dashboard/", "dashboard")

    @task(2)
    def matrix(self) -> None:
        self.get("/dashboard/matrix/", "matrix")

    @task(1)
    def queue(self) -> None:
        self.get("/review/?state=", "review queue (all states)")

    @task(1)
    def ledger(self) -> None:
        self.get(f"/ledger/month/?year={YEAR}&month={REVIEW_MONTH}", "ledger month (xlsx)")


class Leader(PortalUser):
    """The leader reading: dashboard, briefing, the ledger."""

    fixed_count = 1
    accounts = LEADER_ACCOUNTS

    @task(4)
    def dashboard(self) -> None:
        self.get("/dashboard/", "dashboard")

    @task(2)
    def briefing(self) -> None:
        self.get("/dashboard/briefing/", "briefing")

    @task(1)
    def ledger(self) -> None:
        self.get(f"/ledger/month/?year={YEAR}&month={REVIEW_MONTH}", "ledger month (xlsx)")
