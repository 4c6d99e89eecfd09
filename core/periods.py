"""Reading a period, a page or a row's number from a request: the one parser every view
and admin filter uses for ``?year=``, ``?month=``, ``?period=`` (``2017-07``, the period
picker), ``?page=`` and other integer parameters (``?assignment=``, ``?duty=``,
``?community=``).

The contract:

- An absent or empty parameter is "not given": the function returns None and the page
  uses its default.
- A given one is a whole number in ASCII digits, within the bounds the caller names.
  Anything else — ``abc``, ``-1``, ``+3``, `` 7``, ``²`` (which ``str.isdigit`` accepts and
  ``int`` refuses), a month ``13``, ``9999999999`` — is answered 404 with the reason, never
  a 500 and never a silent default: a mistyped link should say it is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.paginator import EmptyPage, Page, Paginator
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

# The years a checklist may have (the ``checklist_year_range`` constraint says the same).
FIRST_YEAR = 2000
LAST_YEAR = 2100
# Primary keys are PostgreSQL ``integer`` or ``bigint``; a bigger number names no row.
LARGEST_PK = 2**63 - 1


def parse_int(text: str | None, *, minimum: int, maximum: int) -> int | None:
    """The whole number ``text`` spells in ASCII digits, from ``minimum`` to ``maximum``;
    None when ``text`` is None or empty. Raises ValueError for anything else."""
    if not text:
        return None
    # isascii() first: "²".isdigit() is True, and int("²") raises.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        raise ValueError(text)
    number = int(text)
    if not minimum <= number <= maximum:
        raise ValueError(text)
    return number


def parameter_int(
    parameters: Mapping[str, str], name: str, *, minimum: int, maximum: int
) -> int | None:
    """``parameters[name]`` as a number in bounds (``parse_int``), None when not given;
    404 when it is not such a number."""
    text = parameters.get(name)
    try:
        return parse_int(text, minimum=minimum, maximum=maximum)
    except ValueError:
        # Said to a person who followed or edited a link: which part is wrong, not its bounds.
        raise Http404(
            _("链接中的“%(name)s”不对,请从页面上的链接重新打开。") % {"name": name}
        ) from None


def query_int(request: HttpRequest, name: str, *, minimum: int, maximum: int) -> int | None:
    """``?name=`` as a number from ``minimum`` to ``maximum``; None when not given, 404
    when not such a number."""
    return parameter_int(request.GET, name, minimum=minimum, maximum=maximum)


def query_year(request: HttpRequest) -> int | None:
    """``?year=``, a checklist's year; None when not given, 404 otherwise."""
    try:
        return parse_int(request.GET.get("year"), minimum=FIRST_YEAR, maximum=LAST_YEAR)
    except ValueError:
        raise Http404(_("年度格式不对")) from None


def query_month(request: HttpRequest) -> int | None:
    """``?month=``, from 1 to 12; None when not given, 404 otherwise."""
    return month_parameter(request.GET)


def month_parameter(parameters: Mapping[str, str]) -> int | None:
    """``month`` of a query or a posted form, from 1 to 12; None when not given, 404
    otherwise."""
    try:
        return parse_int(parameters.get("month"), minimum=1, maximum=12)
    except ValueError:
        raise Http404(_("月份应在 1 到 12 之间")) from None


def query_period(request: HttpRequest) -> tuple[int, int] | None:
    """``?period=2017-07`` (the period picker: a year and a month in one value); None when
    not given, 404 otherwise."""
    text = request.GET.get("period")
    if not text:
        return None
    year_text, dash, month_text = text.partition("-")
    try:
        if not dash or len(month_text) != 2:
            raise ValueError(text)
        year = parse_int(year_text, minimum=FIRST_YEAR, maximum=LAST_YEAR)
        month = parse_int(month_text, minimum=1, maximum=12)
        if year is None or month is None:
            raise ValueError(text)
    except ValueError:
        raise Http404(
            _("链接中的“%(name)s”不对,请从页面上的链接重新打开。") % {"name": "period"}
        ) from None
    return year, month


def query_pk(request: HttpRequest, name: str) -> int | None:
    """``?name=``, a row's primary key; None when not given, 404 otherwise."""
    return query_int(request, name, minimum=1, maximum=LARGEST_PK)


def query_page(request: HttpRequest, paginator: Paginator) -> Page:
    """The page ``?page=`` names (the first when not given); 404 for a page that is not a
    number or does not exist, as Django's ``ListView`` answers."""
    number = query_int(request, "page", minimum=1, maximum=LARGEST_PK) or 1
    try:
        return paginator.page(number)
    except EmptyPage:
        raise Http404(_("没有第 %(number)s 页") % {"number": number}) from None
