"""A page read in English writes its periods and days in English (July 2017, 3 August),
from the one home of those formats (``core.dates``, ``yijia/formats/``); in Chinese the same
pages read as they always did (2017年7月, 8月3日)."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from communities.models import Community
from core import dates
from reminders.due import day_label as reminder_day_label
from tasks.models import Checklist, ProgressReport
from tasks.services import not_owed_message
from tests.filing import JULY, file_item_report, time_travel

pytestmark = pytest.mark.django_db

# What the Chinese formats write: a year-month, a day (and time). Not 2017年度 alone: item 13
# reads 制定2017年度住宅小区综合治理工作要点, and an item's text is not translated.
CHINESE_DATES = re.compile(r"[0-9]{4}年[0-9]{1,2}月|[0-9]{1,2}月[0-9]{1,2}日")


def english_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def chrome(page: str) -> str:
    """The page without what people typed (a narrative may well say 7月进展): the text
    the portal writes itself."""
    return re.sub(r'<div class="narrative".*?</div>', "", page, flags=re.S)


@pytest.fixture
def july_submitted(
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: time_machine.Traveller,
) -> ProgressReport:
    """Community one submits July's report on item 8 (房管所 reviews it) on 3 August."""
    return file_item_report(world, 8, community_one, community_one_staff)


def test_the_formats_follow_the_language() -> None:
    day = datetime.date(2017, 7, 3)
    with translation.override("zh-hans"):
        assert dates.month_label(2017, 7) == "2017年7月"
        assert dates.day_label(day) == "7月3日"
        assert dates.day_with_weekday(day) == "7月3日(周一)"
        assert dates.checklist_year_label(2017) == "2017年度"
    with translation.override("en"):
        assert dates.month_label(2017, 7) == "July 2017"
        assert dates.month_name(7) == "July"
        assert dates.day_label(day) == "3 July"
        assert dates.day_with_weekday(day) == "Mon 3 July"
        assert dates.checklist_year_label(2017) == "2017"


@pytest.mark.parametrize(
    ("who", "address"),
    [
        ("community_one_staff", "/"),
        ("community_one_staff", "/workspace/"),
        ("housing_staff", "/review/"),
        ("street_admin", "/dashboard/"),
        ("street_admin", "/items/{item}/"),
        ("street_admin", "/search/?q=8"),
        ("street_admin", "/search/?q=7月"),
    ],
)
def test_an_english_page_writes_its_periods_in_english(
    request: pytest.FixtureRequest,
    july_submitted: ProgressReport,
    who: str,
    address: str,
) -> None:
    user = request.getfixturevalue(who)
    url = address.format(item=july_submitted.assignment.item.pk)
    page = english_client(user).get(url).content.decode()

    assert "July 2017" in page
    assert CHINESE_DATES.findall(chrome(page)) == []


def test_the_review_queue_writes_days_in_english_and_in_chinese(
    july_submitted: ProgressReport, housing_staff: User
) -> None:
    english = english_client(housing_staff).get("/review/").content.decode()
    assert "3 August 10:00" in english  # submitted
    assert "July 2017" in english

    client = Client()
    client.force_login(housing_staff)
    chinese = client.get("/review/").content.decode()
    assert "8月3日 10:00" in chinese
    assert "2017年7月" in chinese and "July" not in chinese


def test_a_reminder_written_while_english_is_active_stays_chinese() -> None:
    """A reminder's text is stored and sent later: written in Chinese whatever the language
    active where it is built."""
    with translation.override("en"):
        assert reminder_day_label(datetime.date(2017, 7, 3)) == "7月3日(周一)"


def test_a_month_not_owed_is_explained_in_the_page_s_language(world: Checklist) -> None:
    """本月填报 on a month before the checklist takes effect says why it is not filed."""
    world.takes_effect_on = datetime.date(2017, 6, 28)
    with translation.override("en"):
        assert not_owed_message(world, 6) == (
            "The 2017 checklist takes effect on 28 June 2017: only July to December are "
            "filed, and June is not one of them."
        )
    assert not_owed_message(world, 6) == (
        "2017年度清单自2017年6月28日起生效,只须填报7月至12月的进展,6月不在应报月份内。"
    )


def test_the_search_reads_a_month_as_the_english_pages_write_it(
    july_submitted: ProgressReport, street_admin: User
) -> None:
    """The English pages write July 2017: typed back into the search, it finds July's
    reports, as 7月 and 2017年7月 do."""
    client = english_client(street_admin)
    for words in ("July 2017", "jul", "2017-07", "8 July"):
        page = client.get("/search/", {"q": words}).content.decode()
        assert f'href="/reports/{july_submitted.pk}/"' in page, words
    page = client.get("/search/", {"q": "June"}).content.decode()
    assert f'href="/reports/{july_submitted.pk}/"' not in page


def test_the_dashboard_charts_name_their_months_and_series_in_the_page_s_language(
    july_submitted: ProgressReport, street_admin: User
) -> None:
    english = _chart_data(english_client(street_admin).get("/dashboard/").content.decode())
    assert english["months"][0] == "July"
    assert english["names"]["on_time"] == "On-time rate"
    assert [state["name"] for state in english["states"]] == [
        "Completed",
        "Filed, not completed",
        "Not filed",
    ]

    client = Client()
    client.force_login(street_admin)
    chinese = _chart_data(client.get("/dashboard/").content.decode())
    assert chinese["months"][0] == "7月"
    assert chinese["names"]["on_time"] == "按时率"


def _chart_data(page: str) -> dict[str, Any]:
    """What the page hands its charts (the ``chart-data`` JSON script)."""
    found = re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S)
    assert found, "the charts' data is on the page"
    return dict(json.loads(found[1]))


def test_the_filing_page_s_submit_button_says_submit_in_english(
    world: Checklist, community_one_staff: User
) -> None:
    """The button and the report page's "submitted" label share the Chinese 提交."""
    with time_travel(2017, 8, 3):
        page = english_client(community_one_staff).get(JULY).content.decode()
    assert re.search(r'value="submit"[^>]*>Submit</button>', page)
    assert not re.search(r'value="submit"[^>]*>Submitted</button>', page)
