"""What the home page shows each role: the reads of its panels. Each panel is a few
grouped queries on the summary tables (``dashboards.models``) and the rows they point to,
the same number whatever the number of communities, items or reports.

- filing (community staff, and unit staff for their unit's own assignments): the month
  being filed by state, its deadline, the urging notices not acknowledged yet, and the one
  next thing to do;
- review (staff of a lead unit): the submitted reports waiting per item, the extension
  requests waiting, the parties overdue on the unit's items this month;
- street (the street admin): the month's figures, the parties without staff, the health
  of the background jobs (the reminder run, the outbox);
- leadership (those who read everything and run nothing): the month's and the year's
  figures, with the briefing and the dashboard.

Which panels a user sees is decided by what they may do (their memberships and their
role's permissions), never by the name of a group.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask

from communities import access
from core.typing import AnyUser
from dashboards.dashboard import Figures, headline_figures
from dashboards.models import AssignmentMonth, UrgeNotice, party_assignments
from notifications.models import OutboxMessage
from reminders.due import parties_without_staff
from tasks.filing import overdue_q
from tasks.models import Assignment, Checklist, DeadlineExtension, Item
from tasks.selectors import fileable_q, led_items, reviewed_q

# The street admin owns the year's checklist: the permission that says so opens the
# street's panel (the office's own work: parties without staff, the background jobs).
RUNS_THE_STREET = "tasks.change_checklist"
URGES_SHOWN = 5
OVERDUE_SHOWN = 5
PARTIES_WITHOUT_STAFF_SHOWN = 12
REMINDER_TASK = "reminders.reminders_run"
# The beat starts the reminder run every 15 minutes (admin › 周期任务): an hour without a
# run means the beat, or the worker with it, has stopped.
REMINDER_RUN_STALE = datetime.timedelta(hours=1)
# The relay hands the outbox to Celery every 10 seconds: a row still waiting after five
# minutes means the broker or the worker is down.
OUTBOX_STALE = datetime.timedelta(minutes=5)

State = AssignmentMonth.State


def workspace_url(year: int, month: int, show: str) -> str:
    """本月填报 for ``year``-``month``, showing ``show`` (todo, returned, draft, submitted
    or all)."""
    return f"{reverse('workspace')}?year={year}&month={month}&show={show}"


# ---------------------------------------------------------------------------------------
# Filing


@dataclass
class StateCount:
    state: str
    label: str
    count: int
    url: str


@dataclass
class NextStep:
    """The one primary button: what to do next, or that nothing is left (``done``)."""

    label: str
    url: str
    done: bool = False


@dataclass
class FilingPanel:
    checklist: Checklist
    month: int
    today: datetime.date
    states: list[StateCount]
    urges: list[UrgeNotice]
    urge_count: int
    # Over the month's items not submitted yet: the earliest deadline (a granted extension
    # moves an item's), and how many have a later deadline than the checklist's, up to when.
    unfiled_deadline: datetime.date | None = None
    extended: int = 0
    extended_until: datetime.date | None = None

    @property
    def year(self) -> int:
        return self.checklist.year

    @property
    def total(self) -> int:
        return sum(state.count for state in self.states)

    def count(self, state: str) -> int:
        return next((s.count for s in self.states if s.state == state), 0)

    @property
    def checklist_deadline(self) -> datetime.date:
        return self.checklist.filing_deadline(self.year, self.month)

    @property
    def deadline(self) -> datetime.date:
        """The deadline that comes next: the earliest of the items not submitted yet, each
        with the extension granted for it (``AssignmentMonth.deadline``); the checklist's
        when every item is submitted."""
        return self.unfiled_deadline or self.checklist_deadline

    @property
    def all_extended(self) -> bool:
        """Every item not submitted yet has a granted extension: the deadline shown is one."""
        return self.deadline > self.checklist_deadline

    @property
    def days_left(self) -> int:
        return (self.deadline - self.today).days

    @property
    def days_late(self) -> int:
        return self.checklist.days_late(self.deadline, self.today)

    @property
    def year_closed(self) -> bool:
        return self.checklist.is_closed(self.today)

    @property
    def next_step(self) -> NextStep | None:
        """Returned reports first (a lead unit waits for them), then what is not submitted
        yet (补报 once the year is closed: still filed, late); else all is submitted. None
        for an archived year: nothing is filed any more."""
        if self.checklist.is_archived:
            return None
        returned = self.count(State.RETURNED)
        if returned:
            return NextStep(
                _("修改被退回的 %(count)s 项") % {"count": returned},
                workspace_url(self.year, self.month, "returned"),
            )
        # The button's count is what the page it opens shows: 待填报 items, then drafts.
        # In a closed year the workspace still takes them, filed late (补报), as the
        # deadline line says.
        missing = self.count(State.MISSING)
        if missing:
            label = _("补报 %(count)s 项") if self.year_closed else _("填报本月 %(count)s 项")
            return NextStep(
                label % {"count": missing}, workspace_url(self.year, self.month, "todo")
            )
        drafts = self.count(State.DRAFT)
        if drafts:
            return NextStep(
                _("提交 %(count)s 项草稿") % {"count": drafts},
                workspace_url(self.year, self.month, "draft"),
            )
        return NextStep(_("本月已全部提交"), workspace_url(self.year, self.month, "all"), done=True)


def _filing_states() -> list[tuple[str, str, str]]:
    """(summary state, the word on the home page, the filing page's ``show``)."""
    return [
        (State.MISSING, _("待填报"), "todo"),
        (State.DRAFT, _("草稿"), "draft"),
        (State.RETURNED, _("被退回"), "returned"),
        (State.SUBMITTED, _("已提交"), "submitted"),
        (State.APPROVED, _("已通过"), "approved"),
    ]


def filing_panel(
    user: AnyUser, checklist: Checklist, month: int, today: datetime.date
) -> FilingPanel | None:
    """The month's assignments the user files for, by state, with the deadlines of those
    not submitted yet, granted extensions included (one query on ``AssignmentMonth``),
    and the urging notices to the user's community or unit not acknowledged yet (one
    query, and a count when more than are shown). None when the user files nothing that
    month."""
    unfiled = Q(first_submitted_on__isnull=True)
    base = checklist.filing_deadline(checklist.year, month)
    rows = (
        AssignmentMonth.objects.filter(fileable_q(user), year=checklist.year, month=month)
        .values_list("state")
        .annotate(
            n=Count("pk"),
            earliest=Min("deadline", filter=unfiled),
            latest=Max("deadline", filter=unfiled & Q(deadline__gt=base)),
            extended=Count("pk", filter=unfiled & Q(deadline__gt=base)),
        )
        .order_by()
    )
    counts: dict[str, int] = {}
    earliest: list[datetime.date] = []
    latest: list[datetime.date] = []
    extended = 0
    for state, n, first, last, later in rows:
        counts[state] = n
        earliest += [first] if first else []
        latest += [last] if last else []
        extended += later
    if not counts:
        return None
    urges = UrgeNotice.objects.filter(assignment__in=party_assignments(user)).unacknowledged()
    shown = list(
        urges.select_related(
            "assignment__item", "assignment__community", "assignment__unit", "sent_by"
        )[: URGES_SHOWN + 1]
    )
    return FilingPanel(
        checklist=checklist,
        month=month,
        today=today,
        states=[
            StateCount(
                state, label, counts.get(state, 0), workspace_url(checklist.year, month, show)
            )
            for state, label, show in _filing_states()
        ],
        urges=shown[:URGES_SHOWN],
        urge_count=len(shown) if len(shown) <= URGES_SHOWN else urges.count(),
        unfiled_deadline=min(earliest, default=None),
        extended=extended,
        extended_until=max(latest, default=None),
    )


# ---------------------------------------------------------------------------------------
# Review


def waiting_url(*, item_id: int | None = None, mine: bool = False) -> str:
    """The review queue of the reports waiting for the user's unit: of one item, or of
    every item it leads. ``mine`` for a user who sees every party's reports, whose queue
    would otherwise list the whole street's (``tasks.review_forms.ReviewFilterForm``)."""
    query = "state=submitted" + (f"&item={item_id}" if item_id else "")
    return f"{reverse('review_queue')}?{query}" + ("&mine=on" if mine else "")


@dataclass
class ItemWaiting:
    item_id: int
    number: int
    text: str
    year: int
    count: int
    mine: bool = False

    @property
    def url(self) -> str:
        return waiting_url(item_id=self.item_id, mine=self.mine)


@dataclass
class OverdueCell:
    party: str
    item_id: int
    number: int
    deadline: datetime.date
    urge_url: str


@dataclass
class ReviewPanel:
    checklist: Checklist
    month: int
    today: datetime.date
    waiting: list[ItemWaiting]
    extensions: int
    overdue: list[OverdueCell]
    overdue_count: int
    overdue_parties: int
    mine: bool = False  # the user sees every party: the queue's links say 只看本单位

    @property
    def year(self) -> int:
        return self.checklist.year

    @property
    def waiting_total(self) -> int:
        return sum(item.count for item in self.waiting)

    @property
    def waiting_url(self) -> str:
        """Every report waiting for the unit, whatever the item."""
        return waiting_url(mine=self.mine)

    @property
    def year_closed(self) -> bool:
        return self.checklist.is_closed(self.today)

    @property
    def extensions_url(self) -> str:
        return f"{reverse('review_queue')}#extensions"

    @property
    def matrix_url(self) -> str:
        query = f"year={self.year}&month={self.month}"
        return f"{reverse('dashboard_matrix')}?{query}"


def review_panel(
    user: AnyUser, checklist: Checklist, month: int, today: datetime.date
) -> ReviewPanel | None:
    """What waits for the user's unit on the items it leads
    (``Assignment.objects.reviewable_by``): the submitted reports per item, as the review
    queue filtered by item lists them; the extension requests, as the queue's section
    lists them; the month's overdue parties (the first few), with their urge page. None
    when the user's unit leads no item. Five queries."""
    reviewed = Assignment.objects.reviewable_by(user)
    if not reviewed.filter(item__checklist=checklist).exists():
        return None
    mine = access.sees_everything(user)
    # Each led item's submitted rows counted on their own (``summary_item_submitted``, from
    # the index alone: Count("*"), not the key), then joined to the few items.
    submitted = (
        AssignmentMonth.objects.filter(item=OuterRef("pk"), state=State.SUBMITTED)
        .order_by()
        .values("item")
        .annotate(n=Count("*"))
        .values("n")
    )
    waiting = [
        ItemWaiting(
            item_id=row["pk"],
            number=row["number"],
            text=row["text"],
            year=row["checklist__year"],
            count=row["n"],
            mine=mine,
        )
        for row in Item.objects.filter(pk__in=led_items(user))
        .annotate(n=Subquery(submitted))
        .filter(n__gt=0)
        .values("pk", "number", "text", "checklist__year", "n")
        .order_by("-checklist__year", "number")
    ]
    extensions = DeadlineExtension.objects.pending().filter(assignment__in=reviewed).count()
    cells = AssignmentMonth.objects.filter(
        overdue_q(today), reviewed_q(user), year=checklist.year, month=month
    )
    totals = cells.aggregate(
        n=Count("*"),
        communities=Count("community", distinct=True),
        units=Count("unit", distinct=True),
    )
    urge_url = reverse("dashboard_urge")
    # Communities first, then units (the matrix's two pages). The first few are chosen
    # from the index of the month's unfiled cells by item (``summary_month_item_unfiled``)
    # and the parties' order, then read whole: a few rows, not every overdue cell.
    order = (
        F("community__order").asc(nulls_last=True),
        F("unit__order").asc(nulls_last=True),
        "item__number",
        "assignment_id",
    )
    first = cells.order_by(*order).values("assignment")[:OVERDUE_SHOWN]
    overdue = [
        OverdueCell(
            party=str(cell.community or cell.unit),
            item_id=cell.item_id,
            number=cell.item.number,
            deadline=cell.deadline,
            urge_url=f"{urge_url}?assignment={cell.assignment_id}&year={cell.year}"
            f"&month={cell.month}&next=/",
        )
        for cell in AssignmentMonth.objects.filter(
            assignment__in=first, year=checklist.year, month=month
        )
        .select_related("item", "community", "unit")
        .order_by(*order)
    ]
    return ReviewPanel(
        checklist=checklist,
        month=month,
        today=today,
        waiting=waiting,
        extensions=extensions,
        overdue=overdue,
        overdue_count=totals["n"],
        overdue_parties=totals["communities"] + totals["units"],
        mine=mine,
    )


# ---------------------------------------------------------------------------------------
# The street's figures, the street admin's panel, leadership's panel


@dataclass
class Headline:
    """The month's and the year's figures (completion, reporting, on time)."""

    checklist: Checklist
    month: int
    figures: Figures
    year_to_date: Figures

    @property
    def year(self) -> int:
        return self.checklist.year

    @property
    def rows(self) -> list[tuple[str, float | None, float | None, str]]:
        """(the figure's name, the month's rate, the year's to date, its key)."""
        month, year = self.figures, self.year_to_date
        return [
            (_("完成率"), month.completion_rate, year.completion_rate, "completion"),
            (_("报送率"), month.reporting_rate, year.reporting_rate, "reporting"),
            (_("按时报送率"), month.on_time_rate, year.on_time_rate, "on-time"),
        ]

    @property
    def first_month(self) -> int:
        return (self.checklist.months_owed() or [self.month])[0]

    def _url(self, name: str) -> str:
        return f"{reverse(name)}?year={self.year}&month={self.month}"

    @property
    def dashboard_url(self) -> str:
        return self._url("dashboard")

    @property
    def briefing_url(self) -> str:
        return self._url("dashboard_briefing")

    @property
    def matrix_url(self) -> str:
        return self._url("dashboard_matrix")


def headline(checklist: Checklist, month: int) -> Headline:
    """One query on ``PartyMonth`` (``dashboards.dashboard.headline_figures``)."""
    figures, year_to_date = headline_figures(checklist, month)
    return Headline(checklist, month, figures, year_to_date)


@dataclass
class JobHealth:
    now: datetime.datetime
    reminder_run_at: datetime.datetime | None
    reminder_schedules: int  # enabled periodic tasks that start the reminder run
    outbox_pending: int
    outbox_oldest: datetime.datetime | None

    @property
    def reminder_stale(self) -> bool:
        """No schedule, never run, or not for an hour."""
        return (
            not self.reminder_schedules
            or self.reminder_run_at is None
            or self.now - self.reminder_run_at > REMINDER_RUN_STALE
        )

    @property
    def outbox_age(self) -> datetime.timedelta | None:
        return None if self.outbox_oldest is None else self.now - self.outbox_oldest

    @property
    def outbox_stale(self) -> bool:
        age = self.outbox_age
        return age is not None and age > OUTBOX_STALE

    @property
    def healthy(self) -> bool:
        return not (self.reminder_stale or self.outbox_stale)


def job_health(now: datetime.datetime) -> JobHealth:
    """When the beat last started the reminder run (django-celery-beat's
    ``PeriodicTask.last_run_at``: nothing else records a run), and the outbox rows not yet
    handed to Celery. Two queries."""
    run = PeriodicTask.objects.filter(task=REMINDER_TASK).aggregate(
        last=Max("last_run_at", filter=Q(enabled=True)),
        enabled=Count("pk", filter=Q(enabled=True)),
    )
    outbox = OutboxMessage.objects.filter(published_at__isnull=True).aggregate(
        n=Count("pk"), oldest=Min("created_at")
    )
    return JobHealth(
        now=now,
        reminder_run_at=run["last"],
        reminder_schedules=run["enabled"],
        outbox_pending=outbox["n"],
        outbox_oldest=outbox["oldest"],
    )


@dataclass
class StreetPanel:
    headline: Headline
    overdue: int
    without_staff: list[str]
    jobs: JobHealth

    @property
    def without_staff_shown(self) -> list[str]:
        return self.without_staff[:PARTIES_WITHOUT_STAFF_SHOWN]

    @property
    def membership_url(self) -> str:
        return reverse("admin:communities_membership_add")


def runs_the_street(user: AnyUser) -> bool:
    return isinstance(user, User) and user.has_perm(RUNS_THE_STREET)


def street_panel(
    checklist: Checklist,
    month: int,
    today: datetime.date,
    now: datetime.datetime,
    *,
    figures_month: int,
) -> StreetPanel:
    """Five queries: the figures (of ``figures_month``, the month a reading page opens on),
    the overdue reports of the month being filed, the parties without staff, the reminder
    run, the outbox."""
    overdue = AssignmentMonth.objects.filter(
        overdue_q(today), year=checklist.year, month=month
    ).count()
    return StreetPanel(
        headline=headline(checklist, figures_month),
        overdue=overdue,
        without_staff=parties_without_staff(checklist),
        jobs=job_health(now),
    )


def reads_the_street(user: AnyUser) -> bool:
    """Leadership: reads every report, runs nothing (the street admin's panel shows the
    same figures and more)."""
    return access.sees_everything(user) and not runs_the_street(user)
