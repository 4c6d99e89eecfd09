"""No number a user can type gives a 500 (issue 15): 2147483648 (beyond PostgreSQL's
``integer``), 2**63 (beyond SQLite's), 99999999999999999999, -1 and 1e400, typed into every
number field of every form and put in every id of every address, answer a field error in
Chinese (the rest of what the user typed kept) or 404 — never a 500.

The addresses' query parameters are those ``tests/test_period_parameters.py`` walks; the
ids in paths are every ``<int:…>`` of the portal's URLs, asked with GET and POST."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.http import urlencode

from assessments.models import Scheme
from communities.models import Community
from core.periods import LARGEST_PK
from tasks.models import LARGEST_FIGURE, Checklist, ProgressReport, Target, TargetValue
from tests.conftest import assignment_of
from tests.filing import JULY, field, fill_every_target, form_data, input_tag, page_forms
from tests.test_period_parameters import PAGES, Objects

pytestmark = pytest.mark.django_db

OVERFLOWS = ["2147483648", str(2**63), "99999999999999999999", "-1", "1e400"]
NUMBER_COLUMNS = ("numerator", "denominator", "quantity")
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def objects(world: Checklist, community_one: Community, august_3rd_2017: object) -> Objects:
    from tests.conftest import frequency_duty

    Scheme.objects.create(checklist=world, total_points=600)
    return Objects(
        item=world.items.get(number=8).pk,
        community=community_one.pk,
        assignment=assignment_of(world, 8, community_one).pk,
        duty=frequency_duty(world, 14).pk,
    )


def _number_inputs(response: Any) -> list[str]:
    """The names of the figure inputs of every report form on the page."""
    names = []
    for form in page_forms(response):
        for target, _fields, _figure, _link in form.target_fields():
            for column in NUMBER_COLUMNS:
                name = f"t{target.pk}_{column}"
                if name in form.fields:
                    names.append(form.add_prefix(name))
    return names


@pytest.mark.parametrize("value", OVERFLOWS)
def test_an_overflowing_figure_is_a_field_error_and_the_rest_is_kept(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: object,
    value: str,
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    data = fill_every_target(response, form_data(response, "save"))
    inputs = _number_inputs(response)
    assert len(inputs) > 10
    refused = {int(name.partition("-")[0][1:]) for name in inputs}  # a<pk>-t…: the assignments
    narrative = "本月走访了 12 个小区(溢出测试)"
    data[f"a{min(refused)}-narrative"] = narrative
    for name in inputs:
        data[name] = value

    response = client.post(JULY, data)

    assert response.status_code == 400
    # Each item saves on its own: those without figures are saved, the others refused.
    assert not ProgressReport.objects.filter(assignment__in=refused).exists()
    assert ProgressReport.objects.exists()
    page = response.content.decode()
    for form in page_forms(response):
        for name in inputs:
            prefix, _dash, own = name.partition("-")
            if prefix != form.prefix:
                continue
            [message] = form.errors[own]
            assert CHINESE.search(str(message)), message
            # What was typed stays in the input, to be corrected.
            assert f'value="{value}"' in input_tag(page, name), name
    assert narrative in page


@pytest.mark.parametrize("value", OVERFLOWS)
def test_an_overflowing_hidden_version_is_refused_not_a_server_error(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: object,
    value: str,
) -> None:
    client.force_login(community_one_staff)
    response = client.get(JULY)
    data = fill_every_target(response, form_data(response, "save"))
    first = assignment_of(world, 1, community_one)
    data[f"a{first.pk}-version"] = value

    response = client.post(JULY, data)

    assert response.status_code == 400
    [form] = [form for form in page_forms(response) if form.assignment == first]
    assert form.errors["version"]
    assert not ProgressReport.objects.filter(assignment=first).exists()


def test_the_largest_figure_is_saved(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: object,
) -> None:
    """The bound is the column's: the largest figure the database keeps is accepted."""
    client.force_login(community_one_staff)
    response = client.get(JULY)
    data = form_data(response, "save")
    assignment = next(
        assignment
        for assignment in (f.assignment for f in page_forms(response))
        if any(t.kind == Target.Kind.COUNT for t in assignment.targets())
    )
    target = next(t for t in assignment.targets() if t.kind == Target.Kind.COUNT)
    data[f"a{assignment.pk}-status"] = ProgressReport.Status.IN_PROGRESS
    data[field(assignment, target, "quantity")] = str(LARGEST_FIGURE)

    response = client.post(JULY, data)

    assert response.status_code == 302, response.content[:300]
    assert TargetValue.objects.get(target=target).quantity == LARGEST_FIGURE


@pytest.mark.parametrize("value", OVERFLOWS)
def test_an_overflowing_extension_request_is_refused_with_a_message(
    client: Client,
    world: Checklist,
    community_one: Community,
    community_one_staff: User,
    august_3rd_2017: object,
    value: str,
) -> None:
    client.force_login(community_one_staff)
    assignment = assignment_of(world, 1, community_one)
    good = {
        "assignment": assignment.pk,
        "requested_deadline": "2017-08-20",
        "reason": "台风",
        "year": 2017,
        "month": 7,
    }
    for name in ("assignment", "year", "month"):
        response = client.post("/workspace/extension/", {**good, name: value}, follow=True)
        assert response.status_code == 200, (name, response.status_code)
        assert "延期申请未提交" in response.content.decode(), name
    assert not assignment.extensions.exists()


@pytest.mark.parametrize("value", OVERFLOWS)
def test_an_overflowing_score_adjustment_is_a_field_error(
    client: Client, objects: Objects, street_admin: User, value: str
) -> None:
    client.force_login(street_admin)
    path = f"/assessments/communities/{objects.community}/adjust/"

    response = client.post(path, {"points": value, "reason": "材料补交"})

    if value == "-1":  # a deduction of one point is an adjustment like any other
        assert response.status_code in (200, 302)
        return
    assert response.status_code in (200, 400)
    [message] = response.context["form"].errors["points"]
    assert CHINESE.search(message), message
    assert "材料补交" in response.content.decode()


QUERY_CASES = [(page, name) for page in PAGES for name in page.good(Objects(1, 1, 1, 1))]


@pytest.mark.parametrize(
    ("page", "parameter"),
    QUERY_CASES,
    ids=[f"{page.name}-{parameter}" for page, parameter in QUERY_CASES],
)
def test_an_overflowing_query_parameter_is_not_a_server_error(
    request: pytest.FixtureRequest, objects: Objects, page: Any, parameter: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(page.user))
    good = page.good(objects)
    for value in OVERFLOWS:
        response = client.get(page.path(objects), {**good, parameter: value})
        assert response.status_code in (200, 400, 404), (value, response.status_code)
        # A primary key within bounds that names no row is the page's business
        # (test_period_parameters.py): only one beyond any key must not show a page.
        in_bounds = value.isdigit() and 0 < int(value) <= LARGEST_PK
        if response.status_code == 200 and page.answer(parameter) == "404" and not in_bounds:
            pytest.fail(f"{page.name} showed a page for {parameter}={value}")
        # The same address posted to (the urge page's form posts to its own address).
        address = f"{page.path(objects)}?{urlencode({**good, parameter: value})}"
        posted = client.post(address, {"text": "请尽快填报"})
        assert posted.status_code < 500, (value, posted.status_code)


def _int_paths(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    """Every URL of the portal with an ``<int:…>`` in it, as a regex-free template whose
    ints are ``{}``."""
    for pattern in patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _int_paths(pattern.url_patterns, text)
        elif isinstance(pattern, URLPattern) and "<int:" in text:
            yield "/" + re.sub(r"<int:\w+>", "{}", text.lstrip("^")).rstrip("$")


INT_PATHS = sorted(set(_int_paths(get_resolver().url_patterns)))


def test_every_id_in_a_path_is_walked() -> None:
    assert len(INT_PATHS) >= 15
    assert "/reports/{}/" in INT_PATHS


@pytest.mark.parametrize("path", INT_PATHS)
@pytest.mark.parametrize("user", ["street_admin", "community_one_staff"])
def test_an_overflowing_id_in_a_path_is_not_found(
    request: pytest.FixtureRequest, objects: Objects, path: str, user: str
) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(user))
    for value in ("2147483648", str(2**63), "99999999999999999999"):
        address = path.format(*[value] * path.count("{}"))
        for method in (client.get, client.post):
            response = method(address)
            assert response.status_code in (403, 404, 405), (
                address,
                method.__name__,
                response.status_code,
            )
