"""The demo's reports (示例月报), told as they happened: each community's staff fill in the
month, attach the evidence the item asks for, submit; the staff of the item's lead unit
return a report with what to fix or approve it; a corrected report comes back and is
approved. Every step goes through the services of ``tasks.services`` (which check that
the filer may file and the reviewer may review), so the demo holds only what the portal
itself would have written. The services stamp each step with the moment they run; the
moments of the story (a report submitted on the filing day, returned two days later) are
then written onto the same rows: the reports' times, their workflow history
(``ReportTransition``), the evidence files and the inbox messages a return sent.

The figures follow ``demo.scale_data``'s courses towards each target (the frequency
targets are judged from the meetings the demo recorded), and the party's habits (late, missing,
behind) are drawn per community, from ``random.Random`` seeded with the seed and the
party's name, so a seed tells the same story every time.
"""

from __future__ import annotations

import calendar
import datetime
import math
import random
import struct
import zlib
import zoneinfo
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.db.models import Max

from communities.models import Community, Unit
from notifications.models import Message
from tasks import registers
from tasks.models import (
    Assignment,
    Checklist,
    Evidence,
    ProgressReport,
    ReportTransition,
    Target,
    TargetValue,
)
from tasks.services import (
    VALUE_COLUMNS,
    ValueInput,
    evidence_add,
    progress_report_approve,
    progress_report_return,
    progress_report_save,
    progress_report_submit,
)
from tasks.signals import progress_deferred

from .scale_data import (
    NARRATIVES,
    OLDER_STATE_MIX,
    RETURN_REASONS,
    RETURNED_ONCE_SHARE,
    STATE_MIX,
    STREET_FACTS,
    CommunityFacts,
    Habits,
    office_later,
    office_moment,
    report_status,
    target_course,
)

State = ProgressReport.WorkflowState
Status = ProgressReport.Status
Kind = Target.Kind

# The demo stands on 9 November: October's reports (due Monday 6 November) are in or
# being reviewed, a few not filed yet.
STANDS_ON = (11, 9)
APPROVAL_COMMENTS = ("", "", "材料齐全,同意。", "同意。", "数据已核对。")
CORRECTED = "已按审核意见修改:"
EXCEPTION_REASONS = (
    "受台风影响,本月联席会议顺延至下月初召开,相关事项已在居民区党总支会上先行研究,实际工作未滞后。",
    "本月指标统计口径与实际工作进度不一致,详见进展情况和台账。",
)
# What the evidence of each kind is called, and the file it is.
EVIDENCE_FILES = {
    Evidence.Kind.MINUTES: ("会议记录", "pdf"),
    Evidence.Kind.PHOTO: ("现场照片", "png"),
    Evidence.Kind.SIGN_IN_SHEET: ("培训签到表", "png"),
    Evidence.Kind.DOCUMENT: ("工作台账", "pdf"),
}


@dataclass(frozen=True)
class DemoStaff:
    """Who files for each party and who reviews for each lead unit."""

    of_community: dict[int, list[User]]
    of_unit: dict[int, list[User]]


def png_bytes(colour: tuple[int, int, int], size: tuple[int, int] = (16, 12)) -> bytes:
    """A small one-colour PNG image, made in memory."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    width, height = size
    row = b"\x00" + bytes(colour) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(title: str) -> bytes:
    """A one-page PDF, made in memory (its title in the document information)."""
    encoded = title.encode("utf-16-be").hex().upper()
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
        b"4 0 obj<</Title<FEFF" + encoded.encode() + b">>>endobj\n"
        b"trailer<</Root 1 0 R/Info 4 0 R>>\n%%EOF\n"
    )


def _evidence_file(
    kind: str, item_number: int, month: int, rng: random.Random
) -> SimpleUploadedFile:
    label, extension = EVIDENCE_FILES[Evidence.Kind(kind)]
    name = f"第{item_number}项{month}月{label}.{extension}"
    if extension == "png":
        colour = (rng.randint(90, 230), rng.randint(90, 230), rng.randint(90, 230))
        return SimpleUploadedFile(name, png_bytes(colour), content_type="image/png")
    return SimpleUploadedFile(name, pdf_bytes(name), content_type="application/pdf")


@dataclass
class _Moments:
    """The moments of one report's story, written onto its rows once it is told."""

    opened: datetime.datetime
    submissions: list[datetime.datetime] = field(default_factory=list)
    reviewed: datetime.datetime | None = None
    transitions: list[datetime.datetime] = field(default_factory=list)
    evidence: list[datetime.datetime] = field(default_factory=list)
    # The inbox messages a return sent: (first pk, last pk, sent at, read at).
    returned_messages: list[tuple[int, int, datetime.datetime, datetime.datetime | None]] = field(
        default_factory=list
    )

    @property
    def last(self) -> datetime.datetime:
        return max([self.opened, *self.submissions, *self.transitions, *self.evidence])


class _Storyteller:
    def __init__(self, *, checklist: Checklist, months: range, staff: DemoStaff, seed: int) -> None:
        self.checklist = checklist
        self.year = checklist.year
        self.staff = staff
        self.seed = seed
        self.zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        stands_month, stands_day = STANDS_ON
        self.stands_at = datetime.datetime(
            self.year, stands_month, stands_day, 17, 30, tzinfo=self.zone
        )
        self.months = months
        # The frequency targets' figures come from the meetings the demo recorded
        # (``demo.data._demo_meetings``), judged by the register (``tasks.registers``).
        self.figures: dict[int, dict[registers.FigureKey, registers.Figure]] = {}
        self.moments: dict[int, _Moments] = {}
        self.decided: dict[int, datetime.datetime] = {}

    # -- time ---------------------------------------------------------------------------

    def _month_end(self, month: int) -> datetime.date:
        return datetime.date(self.year, month, calendar.monthrange(self.year, month)[1])

    # -- figures ------------------------------------------------------------------------

    def _figures(self, assignment: Assignment) -> dict[registers.FigureKey, registers.Figure]:
        """The register's figures of the assignment's months (one batched call each)."""
        if assignment.pk not in self.figures:
            self.figures[assignment.pk] = registers.figures(
                checklist=self.checklist, assignments=[assignment], months=self.months
            )
        return self.figures[assignment.pk]

    @staticmethod
    def _facts(community: Community | None) -> CommunityFacts:
        if community is None:
            return STREET_FACTS
        compounds = list(community.compounds.all())
        return CommunityFacts(
            compounds=len(compounds),
            eligible=sum(c.is_eligible_for_owners_committee for c in compounds),
            with_committee=sum(c.has_owners_committee for c in compounds),
            managed=sum(bool(c.property_manager) for c in compounds),
        )

    # -- people -------------------------------------------------------------------------

    def _filers(self, assignment: Assignment) -> list[User]:
        if assignment.community_id is not None:
            return self.staff.of_community.get(assignment.community_id, [])
        return self.staff.of_unit.get(assignment.unit_id or 0, [])

    def _reviewers(self, assignment: Assignment) -> list[User]:
        """The staff of the item's first lead unit that is not the party itself (a unit
        does not review its own report where another lead unit can)."""
        leads = [link.unit_id for link in assignment.item.lead_unit_links.all()]
        others = [unit for unit in leads if unit != assignment.unit_id] or leads
        for unit in others:
            if people := self.staff.of_unit.get(unit):
                return people
        return []

    # -- the story ----------------------------------------------------------------------

    def tell(self) -> None:
        assignments = (
            Assignment.objects.for_checklist(self.checklist)
            .select_related("item__checklist", "community", "unit")
            .prefetch_related(
                "item__targets",
                "item__evidence_requirements",
                "item__lead_unit_links",
                "community__compounds",
            )
            .order_by("item__number", "community__order", "unit__order", "is_street_level")
        )
        habits: dict[str, Habits] = {}
        with progress_deferred(checklist_id=self.checklist.pk):
            for assignment in assignments:
                party = assignment.party.name
                if party not in habits:
                    habits[party] = Habits.draw(_rng(self.seed, party, "habits"))
                self._assignment(assignment, habits[party])
            self._record_moments()

    def _assignment(self, assignment: Assignment, habits: Habits) -> None:
        filers, reviewers = self._filers(assignment), self._reviewers(assignment)
        if not filers or not reviewers:
            return  # nobody to file or review: the month stays unfiled
        party = assignment.party.name
        rng = _rng(self.seed, party, assignment.item.number, assignment.is_street_level)
        targets = assignment.targets()
        facts = self._facts(assignment.community)
        behind = rng.random() < habits.behind_rate
        courses, starts = [], []
        for target in targets:
            course, start = target_course(
                target, year=self.year, months=self.months, behind=behind, facts=facts, rng=rng
            )
            courses.append(course)
            starts.append(start)
        ongoing = any(t.kind in (Kind.FREQUENCY, Kind.ZERO_GROWTH) for t in targets)
        for index, month in enumerate(self.months):
            latest = month == self.months[-1]
            if rng.random() < habits.missing_rate + (0.2 if latest else 0):
                continue  # not filed (yet)
            values = {}
            for target, course in zip(targets, courses, strict=True):
                numerator, denominator, quantity, achieved_on, is_done = course[index]
                if target.kind == Kind.FREQUENCY:
                    quantity = None  # the meetings recorded are the figure, not a count
                values[target.pk] = ValueInput(
                    numerator=numerator,
                    denominator=denominator,
                    quantity=quantity,
                    achieved_on=achieved_on,
                    is_done=is_done,
                )
            self._report(
                assignment,
                month,
                values=values,
                ongoing=ongoing,
                started=month >= min(starts, default=1),
                habits=habits,
                filer=rng.choice(filers),
                reviewer=rng.choice(reviewers),
                rng=rng,
            )

    def _state(self, rng: random.Random, month: int) -> str:
        mix = STATE_MIX.get(self.months[-1] - month, OLDER_STATE_MIX)
        states, weights = zip(*mix, strict=True)
        return str(rng.choices(states, weights)[0])

    def _report(
        self,
        assignment: Assignment,
        month: int,
        *,
        values: dict[int, ValueInput],
        ongoing: bool,
        started: bool,
        habits: Habits,
        filer: User,
        reviewer: User,
        rng: random.Random,
    ) -> None:
        figures = self._figures(assignment)
        verdicts = [
            target.evaluate(
                _as_value(values[target.pk]),
                year=self.year,
                month=month,
                figure=figures.get((target.pk, assignment.pk, month)),
            ).verdict
            for target in assignment.targets()
        ]
        status = report_status(verdicts, ongoing=ongoing, started=started)
        exception_reason = ""
        if status == Status.LAGGING and rng.random() < 0.3:
            # The party sees it otherwise and asks that its word count.
            status, exception_reason = Status.IN_PROGRESS, rng.choice(EXCEPTION_REASONS)
        narrative = rng.choice(NARRATIVES[Status(status)])
        state = self._state(rng, month)
        required = [r.kind for r in assignment.item.evidence_requirements.all()]

        # When each step happens; a step after the day the demo stands on has not yet.
        deadline = self.checklist.filing_deadline(self.year, month)
        if rng.random() < habits.late_rate:
            day = deadline + datetime.timedelta(days=math.ceil(rng.expovariate(1 / 4)))
        else:
            window = (deadline - self._month_end(month)).days + 2
            day = deadline - datetime.timedelta(days=rng.randint(0, window))
        submitted = office_moment(rng, self.zone, day)
        returns = state == State.RETURNED or (
            state == State.APPROVED and rng.random() < RETURNED_ONCE_SHARE * 2
        )
        corrects = approves = state == State.APPROVED
        if state == State.DRAFT or submitted > self.stands_at:
            state, returns, corrects, approves = State.DRAFT, False, False, False
            day = self._month_end(month) + datetime.timedelta(days=rng.randint(1, 8))
            opened = min(
                office_moment(rng, self.zone, day), self.stands_at - datetime.timedelta(hours=2)
            )
        else:
            opened = submitted - datetime.timedelta(days=rng.randint(0, 2), hours=1)
        returned = office_later(rng, self.zone, submitted, (1, 4)) if returns else None
        if returned is not None and returned > self.stands_at:
            returns, corrects, returned = False, False, None
        corrects = corrects and returns
        resubmitted = (
            office_later(rng, self.zone, returned, (1, 5)) if corrects and returned else None
        )
        if resubmitted is not None and resubmitted > self.stands_at:
            corrects, approves, resubmitted = False, False, None
        approved = office_later(rng, self.zone, resubmitted or submitted, (1, 6))
        approves = approves and (corrects or not returns) and approved <= self.stands_at
        moments = _Moments(opened=opened)

        # A report returned for its evidence went in without it the first time (it could
        # not say 已完成 then).
        evidence_reason = returns and bool(required) and status != Status.COMPLETED
        evidence_reason = evidence_reason and rng.random() < 0.6
        attach_now = bool(required) and not evidence_reason
        attach_now = attach_now and (state != State.DRAFT or rng.random() < 0.5)

        report = progress_report_save(
            assignment=assignment,
            year=self.year,
            month=month,
            by=filer,
            status=status,
            narrative=narrative,
            values=values,
            version=None,
            exception_requested=bool(exception_reason),
            exception_reason=exception_reason,
        )
        if attach_now:
            self._attach(report, required, filer, moments, opened, rng)
        self.moments[report.pk] = moments
        if state == State.DRAFT:
            return
        report = progress_report_submit(report=report, by=filer)
        moments.submissions.append(submitted)
        moments.transitions.append(submitted)
        if returned is not None:
            if evidence_reason:
                labels = "、".join(str(Evidence.Kind(kind).label) for kind in required)
                comment = f"佐证材料不全,请补充{labels}后重新提交。"
            else:
                comment = rng.choice(RETURN_REASONS[1:])
            first = (Message.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
            report = progress_report_return(report=report, by=reviewer, comment=comment)
            last = Message.objects.aggregate(top=Max("pk"))["top"] or 0
            moments.reviewed = returned
            moments.transitions.append(returned)
            moments.returned_messages.append((first, last, returned, resubmitted))
        if resubmitted is not None:
            report = progress_report_save(
                assignment=assignment,
                year=self.year,
                month=month,
                by=filer,
                status=status,
                narrative=f"{CORRECTED}{narrative}",
                values=values,
                version=report.version,
                exception_requested=bool(exception_reason),
                exception_reason=exception_reason,
            )
            if evidence_reason:
                corrected = resubmitted - datetime.timedelta(minutes=rng.randint(10, 90))
                self._attach(report, required, filer, moments, corrected, rng)
            report = progress_report_submit(report=report, by=filer)
            moments.submissions.append(resubmitted)
            moments.transitions.append(resubmitted)
        if not approves:
            return
        exception_accepted = None
        if report.exception_state == ProgressReport.ExceptionState.PENDING:
            exception_accepted = rng.random() < 0.5
            self.decided[report.pk] = approved
        progress_report_approve(
            report=report,
            by=reviewer,
            comment=rng.choice(APPROVAL_COMMENTS),
            exception_accepted=exception_accepted,
        )
        moments.reviewed = approved
        moments.transitions.append(approved)

    def _attach(
        self,
        report: ProgressReport,
        kinds: Sequence[str],
        filer: User,
        moments: _Moments,
        at: datetime.datetime,
        rng: random.Random,
    ) -> None:
        for offset, kind in enumerate(kinds):
            upload = _evidence_file(kind, report.assignment.item.number, report.month, rng)
            evidence_add(report=report, upload=upload, kind=kind, by=filer)
            moments.evidence.append(at + datetime.timedelta(minutes=5 * (offset + 1)))

    # -- the moments --------------------------------------------------------------------

    def _record_moments(self) -> None:
        """Write the story's moments onto the rows the services stamped with their own."""
        _write_moments(
            ProgressReport,
            (
                "created_at",
                "updated_at",
                "first_submitted_at",
                "submitted_at",
                "reviewed_at",
                "exception_decided_at",
            ),
            [
                (
                    pk,
                    moments.opened,
                    moments.last,
                    moments.submissions[0] if moments.submissions else None,
                    moments.submissions[-1] if moments.submissions else None,
                    moments.reviewed,
                    self.decided.get(pk),
                )
                for pk, moments in self.moments.items()
            ],
        )
        for model, column, steps in (
            (ReportTransition, "at", {pk: m.transitions for pk, m in self.moments.items()}),
            (Evidence, "uploaded_at", {pk: m.evidence for pk, m in self.moments.items()}),
        ):
            rows = model.objects.filter(report__in=list(steps)).order_by("report_id", "pk")
            seen: Counter[int] = Counter()
            written = []
            for pk, report_id in rows.values_list("pk", "report_id"):
                written.append((pk, steps[report_id][seen[report_id]]))
                seen[report_id] += 1
            _write_moments(model, (column,), written)
        _write_moments(
            Message,
            ("created_at", "read_at"),
            [
                (pk, sent, read)
                for moments in self.moments.values()
                for first, last, sent, read in moments.returned_messages
                for pk in range(first, last + 1)
            ],
        )


def _write_moments(
    model: type[models.Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Set the datetime ``columns`` of rows given as (pk, value, …): one statement run for
    every row (``bulk_update`` builds a CASE per row and column, many times slower)."""
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    meta = model._meta
    names = []
    for column in columns:
        field = meta.get_field(column)
        assert isinstance(field, models.Field)  # noqa: S101 (columns name concrete fields)
        names.append(quote(field.column))
    assignments = ", ".join(f"{name} = %s" for name in names)
    statement = (
        f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608 (our own names)
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(statement, [(*map(adapt, values), pk) for pk, *values in rows])


def _rng(seed: int, *parts: object) -> random.Random:
    return random.Random(":".join(str(part) for part in (seed, *parts)))  # noqa: S311


def _as_value(given: ValueInput) -> TargetValue:
    return TargetValue(**{column: getattr(given, column) for column in VALUE_COLUMNS})


def reports_tell(*, checklist: Checklist, months: range, staff: DemoStaff, seed: int) -> None:
    """File, review and correct the demo's reports of July to October through the services,
    then give every step the moment it happened. Does nothing if the year has reports."""
    if ProgressReport.objects.filter(assignment__item__checklist=checklist).exists():
        return
    _Storyteller(checklist=checklist, months=months, staff=staff, seed=seed).tell()


def demo_staff(*, communities: Sequence[Community], units: Sequence[Unit]) -> DemoStaff:
    """The staff of the demo's communities and units, from their memberships."""
    of_community: dict[int, list[User]] = {}
    of_unit: dict[int, list[User]] = {}
    for community in communities:
        of_community[community.pk] = list(
            User.objects.filter(memberships__community=community).order_by("username")
        )
    for unit in units:
        of_unit[unit.pk] = list(User.objects.filter(memberships__unit=unit).order_by("username"))
    return DemoStaff(of_community=of_community, of_unit=of_unit)
