"""What is due: the reminders that should exist as of a moment, each under its key.

Each function returns ``Due`` records for one kind of duty. Nothing here writes: the
service ``reminders_plan`` stores them, and the unique key (recipient, kind, subject,
period) makes storing the same one twice a no-op. So a job run twice, or two jobs run at
once, or a run that catches up after the machine was down, produces each reminder once.

A reminder falls due at a moment: for date-based ones, the settings' ``send_at`` time on
its day. Of the stages of one duty (e.g. before the filing deadline, on it, after it), only
the latest stage reached is due: a run that catches up after a stop sends the reminder that
is true now, once, not the stale ones it missed. Stages older than ``catch_up_days`` are
not sent any more.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Q, Value
from django.urls import reverse
from django.utils import timezone, translation

from communities import access
from communities.models import Community, Unit
from communities.roles import Role
from core.dates import day_with_weekday
from meetings.models import Meeting
from notifications.models import WebhookEndpoint
from tasks.filing import deadline_with_extensions
from tasks.models import (
    Assignment,
    Checklist,
    DeadlineExtension,
    Item,
    ItemLeadUnit,
    ProgressReport,
    Target,
)

from .models import Reminder, ReminderSettings

Kind = Reminder.Kind
ITEMS = "{items}"  # where a filing reminder's text names the items (its reader's own)


@dataclass(frozen=True)
class Recipient:
    """A person (``user_id``) or a group chat (``webhook_id``)."""

    user_id: int | None = None
    webhook_id: int | None = None

    @property
    def key(self) -> str:
        return f"user:{self.user_id}" if self.user_id else f"webhook:{self.webhook_id}"


@dataclass(frozen=True)
class Due:
    recipient: Recipient
    kind: str
    subject: str
    period: str
    text: str
    url: str
    due_at: datetime.datetime


def day_label(day: datetime.date) -> str:
    """7月3日(周一): a reminder's text is stored, and written in Chinese whatever the
    language of the request that happens to build it."""
    with translation.override(django_settings.LANGUAGE_CODE):
        return day_with_weekday(day)


def _items_label(numbers: Iterable[int]) -> str:
    ordered = sorted(set(numbers))
    shown = "、".join(str(number) for number in ordered[:12])
    more = f"等 {len(ordered)} 项" if len(ordered) > 12 else ""
    return f"第 {shown} 项{more}"


class Directory:
    """Who to send to, loaded in a few queries: the staff of every community and unit,
    their group chats, the street admins."""

    def __init__(self) -> None:
        self.community_staff: dict[int, list[int]] = defaultdict(list)
        self.unit_staff: dict[int, list[int]] = defaultdict(list)
        memberships = access.staff_memberships().values_list("user_id", "community_id", "unit_id")
        for user_id, community_id, unit_id in memberships:
            if community_id:
                self.community_staff[community_id].append(user_id)
            else:
                self.unit_staff[unit_id].append(user_id)
        self.community_webhook: dict[int, int] = {}
        self.unit_webhook: dict[int, int] = {}
        webhooks = WebhookEndpoint.objects.filter(is_active=True).values_list(
            "pk", "community_id", "unit_id"
        )
        for pk, community_id, unit_id in webhooks:
            if community_id:
                self.community_webhook[community_id] = pk
            else:
                self.unit_webhook[unit_id] = pk
        self.street_admins: list[int] = list(
            get_user_model()
            .objects.filter(is_active=True, groups__name=Role.STREET_ADMIN)
            .values_list("pk", flat=True)
        )
        self.community_names = dict(Community.objects.values_list("pk", "name"))
        self.unit_names = dict(Unit.objects.values_list("pk", "name"))

    def party_recipients(self, community_id: int | None, unit_id: int | None) -> list[Recipient]:
        """The party's staff and its group chat."""
        if community_id:
            users = self.community_staff.get(community_id, [])
            webhook = self.community_webhook.get(community_id)
        else:
            users = self.unit_staff.get(unit_id, [])  # type: ignore[arg-type]
            webhook = self.unit_webhook.get(unit_id)  # type: ignore[arg-type]
        recipients = [Recipient(user_id=user_id) for user_id in users]
        if webhook:
            recipients.append(Recipient(webhook_id=webhook))
        return recipients

    def has_staff(self, community_id: int | None, unit_id: int | None) -> bool:
        """Whether the party has an active staff account to remind (a group chat alone
        cannot file); without one its reminders go to its lead units and the street
        admins (``audience``)."""
        if community_id:
            return bool(self.community_staff.get(community_id))
        return bool(self.unit_staff.get(unit_id))  # type: ignore[arg-type]

    def party_name(self, community_id: int | None, unit_id: int | None) -> str:
        if community_id:
            return self.community_names.get(community_id, "")
        return self.unit_names.get(unit_id, "")  # type: ignore[arg-type]

    def leads_and_admins(self, lead_unit_ids: Iterable[int]) -> dict[int, frozenset[int] | None]:
        """The staff of the lead units and the street admins, by user: the lead units each
        one hears through, or None for a street admin, who hears of everything (even one
        who is also a lead unit's staff)."""
        through: dict[int, set[int]] = defaultdict(set)
        for lead_unit_id in lead_unit_ids:
            for user_id in self.unit_staff.get(lead_unit_id, []):
                through[user_id].add(lead_unit_id)
        reached: dict[int, frozenset[int] | None] = {
            user_id: frozenset(units) for user_id, units in through.items()
        }
        for user_id in self.street_admins:
            reached[user_id] = None
        return reached

    def audience(
        self, community_id: int | None, unit_id: int | None, lead_unit_ids: Iterable[int]
    ) -> Audience:
        """Who receives a party's reminders, and why: its staff and group chat; and when
        it has no staff account (``has_staff``), the staff of the lead units of the items
        concerned and the street admins, told why they receive it. The filing reminders
        and their escalations, the meeting-gap alerts and the item deadlines all ask it."""
        own = self.party_recipients(community_id, unit_id)
        if self.has_staff(community_id, unit_id):
            return Audience(own=own, why="", stand_ins={})
        party = self.party_name(community_id, unit_id)
        return Audience(
            own=own,
            why=f"{party}没有工作人员账号,请代为督促:",
            stand_ins=self.leads_and_admins(lead_unit_ids),
        )


@dataclass(frozen=True)
class Audience:
    """Who receives a party's reminders (``Directory.audience``)."""

    own: list[Recipient]
    """The party's staff and its group chat (a group chat only, when it has no staff)."""
    why: str
    """Empty when the party has staff; else why the stand-ins hear of it:
    "示例社区五没有工作人员账号,请代为督促:"."""
    stand_ins: dict[int, frozenset[int] | None]
    """When the party has no staff: its lead units' staff and the street admins, by user,
    with the lead units each hears through (``Directory.leads_and_admins``); else empty."""

    def stand_in_text(self, text: str) -> str:
        """``text`` (naming the party, not "本社区") as the stand-ins read it."""
        return f"{self.why}{text}"


def parties_without_staff(checklist: Checklist) -> list[str]:
    """The names of the checklist's parties (active communities, then units) that have no
    active staff account: nobody of theirs receives their reminders, which go to their
    lead units and the street admins instead (``Directory.has_staff`` says the same for a
    run). One query."""
    assigned = Assignment.objects.filter(item__checklist=checklist)
    staff = access.staff_memberships()
    communities = (
        Community.objects.active()
        .filter(Exists(assigned.filter(community=OuterRef("pk"))))
        .exclude(Exists(staff.filter(community=OuterRef("pk"))))
        .annotate(party_kind=Value(0, output_field=IntegerField()))
        .order_by()
        .values_list("party_kind", "order", "name")
    )
    units = (
        Unit.objects.filter(Exists(assigned.filter(unit=OuterRef("pk"))))
        .exclude(Exists(staff.filter(unit=OuterRef("pk"))))
        .annotate(party_kind=Value(1, output_field=IntegerField()))
        .order_by()
        .values_list("party_kind", "order", "name")
    )
    rows = communities.union(units).order_by("party_kind", "order", "name")
    return [name for _kind, _order, name in rows]


def _moment(day: datetime.date, settings: ReminderSettings) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, settings.send_at))


def _latest_stage(
    stages: list[tuple[str, datetime.date]],
    now: datetime.datetime,
    settings: ReminderSettings,
) -> tuple[str, datetime.date] | None:
    """The latest stage whose moment has come, unless it is older than the catch-up limit."""
    reached = [(name, day) for name, day in stages if _moment(day, settings) <= now]
    if not reached:
        return None
    name, day = max(reached, key=lambda stage: stage[1])
    if _moment(day, settings) < now - datetime.timedelta(days=settings.catch_up_days):
        return None
    return name, day


def active_checklists() -> list[Checklist]:
    return list(Checklist.objects.filter(status=Checklist.Status.ACTIVE))


def party_subject(community_id: int | None, unit_id: int | None) -> str:
    """What a filing reminder is about: its party, "community:5" or "unit:3"."""
    return f"community:{community_id}" if community_id else f"unit:{unit_id}"


def filing_period(year: int, month: int) -> str:
    """The start of a filing reminder's period, "2017-07@" (the deadline follows)."""
    return f"{year}-{month:02d}@"


def filing_reminders(
    now: datetime.datetime, settings: ReminderSettings, directory: Directory
) -> Iterator[Due]:
    """Monthly filing, for the months the checklist owes (``Checklist.months_owed``):
    before the deadline, on it and after it to the staff of each party that has not
    submitted; after ``escalate_after_days`` late, to the item's lead units and the street
    admins. One reminder per party and month lists every item concerned. A party with no
    staff account has its reminders sent to its items' lead units and the street admins
    instead, saying why: nobody else would hear of them."""
    today = timezone.localtime(now).date()
    window = datetime.timedelta(days=settings.catch_up_days + settings.escalate_after_days)
    for checklist in active_checklists():
        for month in checklist.months_owed():
            year = checklist.year
            base = checklist.filing_deadline(year, month)
            first_stage = base - datetime.timedelta(days=settings.filing_days_before)
            if today < first_stage or today > base + window + datetime.timedelta(days=31):
                continue
            yield from _filing_month(checklist, year, month, now, settings, directory)


def _filing_month(
    checklist: Checklist,
    year: int,
    month: int,
    now: datetime.datetime,
    settings: ReminderSettings,
    directory: Directory,
) -> Iterator[Due]:
    submitted = ProgressReport.objects.filter(
        assignment=OuterRef("pk"), year=year, month=month, first_submitted_at__isnull=False
    )
    unsubmitted = (
        Assignment.objects.filter(item__checklist=checklist)
        .filter(Q(community__isnull=True) | Q(community__is_active=True))
        .exclude(Exists(submitted))
        .order_by()
        .values_list("pk", "item_id", "item__number", "community_id", "unit_id")
    )
    extended = dict(
        DeadlineExtension.objects.granted()
        .filter(year=year, month=month, assignment__item__checklist=checklist)
        .values("assignment_id")
        .annotate(latest=Max("requested_deadline"))
        .values_list("assignment_id", "latest")
    )
    base = checklist.filing_deadline(year, month)
    # (party, deadline) -> item numbers; the late ones by item for the escalation.
    by_party: dict[tuple[int | None, int | None, datetime.date], list[int]] = defaultdict(list)
    item_of_number: dict[int, int] = {}
    for pk, item_id, number, party_community_id, party_unit_id in unsubmitted:
        deadline = deadline_with_extensions(base, [extended[pk]] if pk in extended else [])
        by_party[(party_community_id, party_unit_id, deadline)].append(number)
        item_of_number[number] = item_id
    if not by_party:
        return

    leads_by_item: dict[int, list[int]] = defaultdict(list)
    for item_id, lead_id in ItemLeadUnit.objects.filter(item__checklist=checklist).values_list(
        "item_id", "unit_id"
    ):
        leads_by_item[item_id].append(lead_id)

    workspace = f"{reverse('workspace')}?year={year}&month={month}"
    matrix = f"{reverse('dashboard_matrix')}?year={year}&month={month}"
    today = timezone.localtime(now).date()
    closed = checklist.is_closed(today)

    def leads_of(numbers: list[int]) -> set[int]:
        return {lead for number in numbers for lead in leads_by_item[item_of_number[number]]}

    def by_reader(
        reached: dict[int, frozenset[int] | None], numbers: list[int], text: str
    ) -> dict[int, str]:
        """``text`` for the lead units' staff and the street admins (``reached``), by
        user: each lead unit's staff hear of the items their unit leads, the street
        admins of every item."""
        texts: dict[int, str] = {}
        for user_id, through in reached.items():
            shown = (
                numbers
                if through is None
                else [n for n in numbers if through.intersection(leads_by_item[item_of_number[n]])]
            )
            texts[user_id] = text.replace(ITEMS, _items_label(shown))
        return texts

    for (community_id, unit_id, deadline), numbers in by_party.items():
        period = f"{filing_period(year, month)}{deadline.isoformat()}"
        subject = party_subject(community_id, unit_id)
        stages: list[tuple[str, datetime.date]] = []
        if settings.filing_days_before:
            stages.append(
                (Kind.FILING_BEFORE, deadline - datetime.timedelta(settings.filing_days_before))
            )
        if settings.filing_on_deadline:
            stages.append((Kind.FILING_DUE, deadline))
        if settings.filing_after_deadline:
            stages.append((Kind.FILING_OVERDUE, deadline + datetime.timedelta(days=1)))
        stage = _latest_stage(stages, now, settings)
        party = directory.party_name(community_id, unit_id)
        # Lateness counts to the year's close; past it an unfiled month reads 未报(年度已结束).
        late = checklist.days_late(deadline, today)
        # A party nobody can be reminded at: its lead units and the street admins are.
        audience = directory.audience(community_id, unit_id, leads_of(numbers))
        if stage is not None:
            kind, day = stage
            if kind == Kind.FILING_BEFORE:
                text = f"{month}月进展 {day_label(deadline)} 截止,尚有{ITEMS}未提交。"
            elif kind == Kind.FILING_DUE:
                text = f"{month}月进展今天截止,尚有{ITEMS}未提交。"
            elif closed:
                text = f"{month}月进展未报(年度已结束),{ITEMS}未提交。"
            else:
                text = f"{month}月进展已逾期 {late} 天({day_label(deadline)}截止),{ITEMS}未提交。"
            due_at = _moment(day, settings)
            for recipient in audience.own:
                yield Due(
                    recipient,
                    kind,
                    subject,
                    period,
                    text.replace(ITEMS, _items_label(numbers)),
                    workspace,
                    due_at,
                )
            stand_in_text = audience.stand_in_text(text)
            for user_id, user_text in by_reader(audience.stand_ins, numbers, stand_in_text).items():
                yield Due(
                    Recipient(user_id=user_id), kind, subject, period, user_text, matrix, due_at
                )

        escalation_day = deadline + datetime.timedelta(days=settings.escalate_after_days)
        if settings.escalate_after_days and _latest_stage(
            [(Kind.FILING_ESCALATION, escalation_day)], now, settings
        ):
            due_at = _moment(escalation_day, settings)
            url = reverse("review_queue")
            state = "未报(年度已结束)" if closed else f"逾期 {late} 天未提交"
            # Escalations reach the lead units and street admins whether or not the party
            # has staff; of a party without, they say so (its staff were never reminded).
            about = f"{month}月进展{state}:{ITEMS}。"
            about = audience.stand_in_text(about) if audience.why else f"{party} {about}"
            reached = directory.leads_and_admins(leads_of(numbers))
            texts = by_reader(reached, numbers, about)
            for user_id, text in texts.items():
                yield Due(
                    Recipient(user_id=user_id),
                    Kind.FILING_ESCALATION,
                    subject,
                    period,
                    text,
                    url,
                    due_at,
                )


def meeting_reminders(
    now: datetime.datetime, settings: ReminderSettings, directory: Directory
) -> Iterator[Due]:
    """Before each scheduled meeting, to its attendees (a rescheduled meeting is reminded
    again, at its new time)."""
    lead = datetime.timedelta(hours=settings.meeting_hours_before)
    upcoming = (
        Meeting.objects.scheduled()
        .filter(starts_at__gt=now, starts_at__lte=now + lead)
        .select_related("target", "community")
        .prefetch_related("attendees")
    )
    for meeting in upcoming:
        starts = timezone.localtime(meeting.starts_at)
        where = meeting.community.name if meeting.community is not None else "街道"
        text = (
            f"{day_label(starts.date())} {starts:%H:%M} {where}{meeting.target.title}"
            + (f",地点:{meeting.place}" if meeting.place else "")
            + "。"
        )
        url = reverse("meeting_detail", args=[meeting.pk])
        for attendee in meeting.attendees.all():
            if not attendee.is_active:
                continue
            yield Due(
                Recipient(user_id=attendee.pk),
                Kind.MEETING_UPCOMING,
                f"meeting:{meeting.pk}",
                starts.isoformat(),
                text,
                url,
                meeting.starts_at - lead,
            )


def _joint_meeting_targets(checklist: Checklist) -> tuple[Target | None, Target | None]:
    """Item 14's targets: the street's monthly and the communities' fortnightly meeting,
    found by their shape (a frequency target of an item led by the joint-meeting office),
    not by number, so that a later year's checklist works too."""
    street = community = None
    frequency = Target.objects.filter(item__checklist=checklist, kind=Target.Kind.FREQUENCY)
    for target in frequency.filter(title__contains="联席会议").select_related("item"):
        if target.level == Target.Level.STREET and street is None:
            street = target
        elif target.level == Target.Level.PARTY and community is None:
            community = target
    return street, community


def meeting_gap_reminders(
    now: datetime.datetime, settings: ReminderSettings, directory: Directory
) -> Iterator[Due]:
    """An alert when a community's last joint meeting is older than the gap (14 days), or
    the street's older than a month: to the community's staff, or to item 14's lead unit
    and the street admins. Once per gap: after the next meeting a new gap alerts again.
    A gap is a standing condition, not a dated event: it alerts however old it is (the
    catch-up limit does not apply)."""
    today = timezone.localtime(now).date()
    for checklist in active_checklists():
        if not (checklist.year <= today.year <= checklist.year + 1):
            continue
        # Meetings are owed from the first month owed: a gap before it is nobody's.
        start = checklist.first_month_owed()
        street_target, community_target = _joint_meeting_targets(checklist)
        url = reverse("meeting_create")
        if community_target is not None:
            yield from _community_gaps(community_target, start, now, settings, directory, url)
        if street_target is not None:
            yield from _street_gap(street_target, start, now, settings, directory, url)


def _community_gaps(
    target: Target,
    start: datetime.date,
    now: datetime.datetime,
    settings: ReminderSettings,
    directory: Directory,
    url: str,
) -> Iterator[Due]:
    today = timezone.localtime(now).date()
    last_held = dict(
        Meeting.objects.held()
        .filter(target=target, community__isnull=False, starts_at__lte=now)
        .values("community_id")
        .annotate(last=Max("starts_at"))
        .values_list("community_id", "last")
    )
    assigned = Assignment.objects.filter(item=target.item, community__is_active=True)
    lead_units = list(
        ItemLeadUnit.objects.filter(item=target.item).values_list("unit_id", flat=True)
    )
    for community_id in assigned.values_list("community_id", flat=True):
        last = last_held.get(community_id)
        since = timezone.localdate(last) if last else start
        gap_day = since + datetime.timedelta(days=settings.community_meeting_gap_days + 1)
        if _moment(gap_day, settings) > now:
            continue
        if last:
            text = f"{{who}}上次联席会议在 {day_label(since)},已 {(today - since).days} 天未召开。"
        else:
            text = f"{{who}}今年尚未记录联席会议(要求至少每两周召开一次,{target.item.number}项)。"
        subject = f"community:{community_id}"
        period = since.isoformat() if last else f"{start.year}:none"
        due_at = _moment(gap_day, settings)
        # A community without staff: item 14's lead unit and the street admins hear of it.
        audience = directory.audience(community_id, None, lead_units)
        for recipient in audience.own:
            own_text = text.format(who="本社区")
            yield Due(recipient, Kind.MEETING_GAP, subject, period, own_text, url, due_at)
        if audience.stand_ins:
            party = directory.party_name(community_id, None)
            stand_in_text = audience.stand_in_text(text.format(who=party))
            meetings = f"{reverse('meeting_list')}?community={community_id}"
            for user_id in audience.stand_ins:
                yield Due(
                    Recipient(user_id=user_id),
                    Kind.MEETING_GAP,
                    subject,
                    period,
                    stand_in_text,
                    meetings,
                    due_at,
                )


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate_day in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate_day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _street_gap(
    target: Target,
    start: datetime.date,
    now: datetime.datetime,
    settings: ReminderSettings,
    directory: Directory,
    url: str,
) -> Iterator[Due]:
    today = timezone.localtime(now).date()
    last = (
        Meeting.objects.held()
        .street_level()
        .filter(target=target, starts_at__lte=now)
        .aggregate(last=Max("starts_at"))["last"]
    )
    since = timezone.localdate(last) if last else start
    gap_day = _add_months(since, settings.street_meeting_gap_months) + datetime.timedelta(days=1)
    if _moment(gap_day, settings) > now:
        return
    if last:
        text = f"街道上次联席会议在 {day_label(since)},已 {(today - since).days} 天未召开。"
    else:
        text = "街道今年尚未记录联席会议(要求至少每月召开一次)。"
    lead_units = ItemLeadUnit.objects.filter(item=target.item).values_list("unit_id", flat=True)
    for user_id in sorted(directory.leads_and_admins(lead_units)):
        yield Due(
            Recipient(user_id=user_id),
            Kind.MEETING_GAP,
            "street",
            since.isoformat() if last else f"{start.year}:none",
            text,
            url,
            _moment(gap_day, settings),
        )


def item_deadline_reminders(
    now: datetime.datetime, settings: ReminderSettings, directory: Directory
) -> Iterator[Due]:
    """Items with a date of their own (item 15 "6月底前", item 27 "年内"): 30, 7 and 1 days
    before to the parties that have not reported it done, and when overdue to them and to
    the item's lead units."""
    offsets = settings.item_deadline_offsets()
    today = timezone.localtime(now).date()
    for checklist in active_checklists():
        if not checklist.has_taken_effect(today):
            continue  # nothing of a checklist is due before it takes effect
        items = list(
            Item.objects.filter(checklist=checklist, due_date__isnull=False)
            .select_related("checklist")
            .prefetch_related("targets", "lead_unit_links")
        )
        for item in items:
            deadline = item.deadline
            stages = [
                (str(days), deadline - datetime.timedelta(days=days)) for days in offsets if days
            ]
            stages.append(("overdue", deadline + datetime.timedelta(days=1)))
            stage = _latest_stage(stages, now, settings)
            if stage is None:
                continue
            yield from _item_stage(item, deadline, stage, now, settings, directory)


def _item_stage(
    item: Item,
    deadline: datetime.date,
    stage: tuple[str, datetime.date],
    now: datetime.datetime,
    settings: ReminderSettings,
    directory: Directory,
) -> Iterator[Due]:
    name, day = stage
    due_at = _moment(day, settings)
    url = reverse("item_detail", args=[item.pk])
    assignments = list(
        Assignment.objects.filter(item=item)
        .filter(Q(community__isnull=True) | Q(community__is_active=True))
        .select_related("item__checklist")
        .prefetch_related("item__targets")
    )
    done = _assignments_done(assignments)
    lead_units = [link.unit_id for link in item.lead_unit_links.all()]
    short = item.text[:24] + ("…" if len(item.text) > 24 else "")
    today = timezone.localtime(now).date()
    for assignment in assignments:
        if assignment.pk in done:
            continue
        if name == "overdue":
            kind = Reminder.Kind.ITEM_OVERDUE
            text = (
                f"第 {item.number} 项“{short}”已过时限 {day_label(deadline)} "
                f"{(today - deadline).days} 天,尚未报告完成。"
            )
        else:
            kind = Reminder.Kind.ITEM_DEADLINE
            text = (
                f"第 {item.number} 项“{short}”{day_label(deadline)}到期"
                f"(还有 {(deadline - today).days} 天),尚未报告完成。"
            )
        subject = f"assignment:{assignment.pk}"
        audience = directory.audience(assignment.community_id, assignment.unit_id, lead_units)
        # The lead units hear of an overdue party; of any stage, when the party has no
        # staff (with the street admins, saying why): once each.
        others: dict[int, str] = {}
        if name == "overdue":
            party = directory.party_name(assignment.community_id, assignment.unit_id)
            for lead_unit_id in lead_units:
                for user_id in directory.unit_staff.get(lead_unit_id, []):
                    others[user_id] = f"{party}:{text}"
        for user_id in audience.stand_ins:
            others[user_id] = audience.stand_in_text(text)
        for user_id, other_text in others.items():
            yield Due(Recipient(user_id=user_id), kind, subject, name, other_text, url, due_at)
        for recipient in audience.own:
            yield Due(recipient, kind, subject, name, text, url, due_at)


def _assignments_done(assignments: list[Assignment]) -> set[int]:
    """Assignments whose latest submitted or approved report meets every target."""
    latest: dict[int, ProgressReport] = {}
    reports = (
        ProgressReport.objects.filter(assignment__in=assignments, first_submitted_at__isnull=False)
        .exclude(workflow_state=ProgressReport.WorkflowState.RETURNED)
        .select_related("assignment__item__checklist")
        .prefetch_related("values", "assignment__item__targets", "assignment__extensions")
        .order_by("assignment_id", "year", "month")
    )
    for report in reports:
        latest[report.assignment_id] = report
    return {pk for pk, report in latest.items() if report.meets_all_targets()}


def reports_submitted_reminders(
    now: datetime.datetime, settings: ReminderSettings, directory: Directory
) -> Iterator[Due]:
    """Once a day, to each lead unit's staff: the reports on the items their unit leads
    that were submitted since the unit's last such reminder and still wait for review
    (已提交), counted by item, with a link to the review queue filtered to them. The day's
    reminder counts what was submitted up to its moment (``send_at``), so a rerun the same
    day finds the same reminder; the first one looks back ``catch_up_days`` at most. Not
    to the street admins as such (escalations are; a street admin who is a lead unit's
    staff hears of that unit's items). Nothing when nothing new arrived."""
    if not settings.reports_submitted_daily:
        return
    today = timezone.localtime(now).date()
    day = today if _moment(today, settings) <= now else today - datetime.timedelta(days=1)
    until = _moment(day, settings)
    earliest = until - datetime.timedelta(days=settings.catch_up_days)
    last_sent = dict(
        Reminder.objects.filter(kind=Kind.REPORTS_SUBMITTED, due_at__gt=earliest)
        .values("subject")
        .annotate(last=Max("due_at"))
        .values_list("subject", "last")
    )
    # Each lead unit with staff: what was submitted since its last reminder (or since
    # ``earliest``) and up to the day's moment; one grouped query for all of them.
    lead = "assignment__item__lead_unit_links__unit_id"
    since = Q(pk__in=[])
    for unit_id in directory.unit_staff:
        last = last_sent.get(f"unit:{unit_id}", earliest)
        since |= Q(**{lead: unit_id}, submitted_at__gt=max(last, earliest))
    waiting = (
        ProgressReport.objects.submitted()
        .filter(
            since,
            assignment__item__checklist__status=Checklist.Status.ACTIVE,
            submitted_at__lte=until,
        )
        .filter(Q(assignment__community__isnull=True) | Q(assignment__community__is_active=True))
        .order_by()
        .values_list(lead, "assignment__item_id", "assignment__item__number", "year", "month")
        .annotate(count=Count("pk"))
    )
    # lead unit -> item (number, pk) -> count; and the months they are of
    new: dict[int, dict[tuple[int, int], int]] = defaultdict(lambda: defaultdict(int))
    months: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for unit_id, item_id, number, year, month, count in waiting:
        new[unit_id][(number, item_id)] += count
        months[unit_id].add((year, month))
    street_admins = set(directory.street_admins)
    for unit_id, counts in sorted(new.items()):
        staff = directory.unit_staff.get(unit_id, [])
        if not staff:
            continue
        total = sum(counts.values())
        by_item = "、".join(
            f"第 {number} 项 {count} 份" for (number, _pk), count in sorted(counts.items())
        )
        text = f"新提交待审核的月报 {total} 份:{by_item}。"
        query = [("state", ProgressReport.WorkflowState.SUBMITTED.value)]
        if len(counts) == 1:
            [(_number, item_id)] = counts
            query.append(("item", str(item_id)))
        if len(months[unit_id]) == 1:
            [(year, month)] = months[unit_id]
            query += [("year", str(year)), ("month", str(month))]
        queue = f"{reverse('review_queue')}?{urlencode(query)}"
        for user_id in staff:
            # The queue shows a street admin every party's reports unless "mine" is ticked.
            url = f"{queue}&mine=on" if user_id in street_admins else queue
            yield Due(
                Recipient(user_id=user_id),
                Kind.REPORTS_SUBMITTED,
                f"unit:{unit_id}",
                day.isoformat(),
                text,
                url,
                until,
            )


ALL_KINDS = (
    filing_reminders,
    meeting_reminders,
    meeting_gap_reminders,
    item_deadline_reminders,
    reports_submitted_reminders,
)


def due_reminders(now: datetime.datetime, settings: ReminderSettings) -> Iterator[Due]:
    directory = Directory()
    for reminders in ALL_KINDS:
        yield from reminders(now, settings, directory)
