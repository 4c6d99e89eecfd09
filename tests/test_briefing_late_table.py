"""The briefing's 逾期未报: a table with one block of rows per party (its name heading the
block), each row an item with its deadline and days late; a report filed late is not
in it (the dashboard lists those)."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.test import Client

from communities.models import Community
from tasks.models import Checklist
from tests.conftest import assignment_of
from tests.filing import file_report, time_travel


def test_the_unfiled_are_listed_by_party_in_a_table(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_two: Community,
    community_two_staff: User,
    street_admin: User,
) -> None:
    # 示例社区二 filed item 1 of October late, on 10 November; nothing else is filed.
    with time_travel(2017, 11, 10):
        file_report(
            assignment_of(world, 1, community_two), community_two_staff, month=10, submit=True
        )
    client.force_login(street_admin)

    with time_travel(2017, 11, 20):
        html = client.get("/dashboard/briefing/?year=2017&month=10").content.decode()

    table = html.split('<table class="breakdown late-list">', 1)[1].split("</table>", 1)[0]
    assert '<th scope="col">截止日期</th>' in table
    blocks = {
        re.search(r'<th scope="rowgroup"[^>]*>([^<]+)</th>', block).group(1): block  # type: ignore[union-attr]
        for block in table.split("<tbody>")[1:]
    }
    assert list(blocks)[:2] == ["示例社区一", "示例社区二"]
    assert blocks["示例社区一"].count("<tr>") == 24  # every item of October, unfiled
    assert "第 1 项 <span" in blocks["示例社区一"]
    assert "第 1 项 <span" not in blocks["示例社区二"]  # filed, late: not 逾期未报
    assert "第 2 项 <span" in blocks["示例社区二"]
    assert re.search(
        r"第 1 项 <span.*?</td>\s*<td class=\"number\">11月6日</td>", blocks["示例社区一"], re.S
    )
    assert "14 天" in blocks["示例社区一"]
    # No longer one paragraph of "示例社区一(第 1 项,14 天);…".
    assert "示例社区一(第 1 项" not in html
