"""The checklist pages: the year's 40 items and one item with its targets and parties."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from communities.models import Unit
from tasks.models import Checklist, Item, ItemLeadUnit, Target


def test_an_anonymous_visitor_is_sent_to_the_chinese_login_page(client: Client, db: None) -> None:
    response = client.get("/", follow=True)
    assert response.redirect_chain[0][0] == "/accounts/login/?next=/"
    assert "登录" in response.content.decode()
    assert 'lang="zh-hans"' in response.content.decode()


def test_the_checklist_page_lists_the_year_s_items_by_pillar(
    client: Client, world: Checklist, django_user_model: type[User]
) -> None:
    client.force_login(django_user_model.objects.create_user("viewer"))
    page = client.get("/checklist/").content.decode()
    assert "嘉新工委[2017]34号" in page
    for pillar in ("宜居·共建", "宜居·共治", "宜居·共创", "宜居·共享"):
        assert pillar in page
    assert page.count('class="item-number"') == 40
    assert "在符合条件的业委会中党的工作小组组建率100%。" in page
    assert "业委会组建率:≥ 90%" in page
    assert "社区党建办、社区管理办" in page  # item 15's lead units, in order
    assert "房管所、城管中队" in page  # item 15's named responsible units


def test_the_checklist_page_needs_the_same_queries_for_any_number_of_items(
    client: Client,
    world: Checklist,
    django_user_model: type[User],
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(django_user_model.objects.create_user("viewer"))
    # checklist, items, lead units, targets, responsible units, pillars, years, header
    # unread messages (the session from the cache, and with it the user and the navigation,
    # yijia/sessions.py; no session write within a minute): no session or user query
    with django_assert_num_queries(8):
        assert client.get("/checklist/").status_code == 200

    pillar = world.pillars.get(number=4)
    unit = Unit.objects.get(name="房管所")
    for number in range(41, 46):
        item = Item.objects.create(checklist=world, pillar=pillar, number=number, text="新增任务")
        ItemLeadUnit.objects.create(item=item, unit=unit, order=1)
        Target.objects.create(item=item, kind=Target.Kind.MILESTONE, title="完成")
    # New lead units: the next request reads the user's row, permissions and header again
    # (yijia/sessions.py); the one after is measured: as the first, but the unread count
    # now comes from the cache (notifications/unread.py), counted at the first request.
    client.get("/checklist/")
    with django_assert_num_queries(7):
        assert client.get("/checklist/").content.decode().count('class="item-number"') == 45


def test_an_item_page_shows_targets_and_parties(
    client: Client, world: Checklist, django_user_model: type[User]
) -> None:
    client.force_login(django_user_model.objects.create_user("viewer"))
    item = world.items.get(number=14)
    page = client.get(f"/items/{item.pk}/").content.decode()
    assert "嘉府办发〔2015〕38号" in page
    assert "每两周至少 1 次" in page
    assert "社区自治办(街道层面)" in page
    assert "示例社区一" in page and "示例社区二" in page


def test_an_unknown_year_is_not_found(
    client: Client, world: Checklist, django_user_model: type[User]
) -> None:
    client.force_login(django_user_model.objects.create_user("viewer"))
    assert client.get("/checklist/?year=1999").status_code == 404
    assert client.get("/checklist/?year=abc").status_code == 404


def test_the_interface_switches_to_english(client: Client, world: Checklist) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page
    assert "Log in" in page
