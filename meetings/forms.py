"""Forms of the meetings pages: the list's filters and a meeting's record.

Their choices are built from lists the view already fetched (the user's recording scope,
the people who may attend), so that drawing a form costs no query."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Membership
from core.periods import FIRST_YEAR, LAST_YEAR, parse_int
from tasks.evidence import uploads_validate
from tasks.forms import MultipleFileField
from tasks.models import Item, Target
from tasks.periods import opening_period

from .access import RecordingScope
from .models import Meeting
from .services import MeetingDetails

STREET_CHOICE = ""
MONTH_PATTERN = re.compile(r"^([0-9]{4})-([0-9]{1,2})$")


def duty_label(duty: Target) -> str:
    """ "14. 社区层面联席会议(每两周)" — the duty as the forms and tables name it."""
    return f"{duty.item.number}. {duty.title}({duty.get_period_display()})"


class MonthField(forms.CharField):
    """A month as ``2017-07`` (the browser's month picker), cleaned to (year, month)."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2017-07"})
    default_error_messages = {"invalid": _("月份格式应为“年-月”,如 2017-07。")}

    def to_python(self, value: Any) -> tuple[int, int] | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        match = MONTH_PATTERN.match(text)
        try:
            if match is None:
                raise ValueError(text)
            year = parse_int(match.group(1), minimum=FIRST_YEAR, maximum=LAST_YEAR)
            month = parse_int(match.group(2), minimum=1, maximum=12)
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        assert year is not None and month is not None  # noqa: S101 (the pattern matched)
        return year, month

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, tuple):
            return f"{value[0]:04d}-{value[1]:02d}"
        return value


class MeetingFilterForm(forms.Form):
    """The list's filters (a GET form): month, duty, community. The choices are what the
    user may see; the month is one select of the months owed (``periods``, from
    ``tasks.periods.period_picker``), still read as ``2017-07`` so that links keep
    working."""

    month = MonthField(label=_("年月"), required=False)
    duty = forms.TypedChoiceField(label=_("例行工作"), required=False, coerce=int, empty_value=None)
    community = forms.ChoiceField(label=_("社区"), required=False)
    # Shown when the communities are too many to list (``searches_communities``): part of
    # a community's name, which narrows the office's table and the meetings.
    name = forms.CharField(
        label=_("查找社区"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("输入社区名称的一部分"),
                "autocomplete": "off",
            }
        ),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        duties: Sequence[Target],
        communities: Sequence[Community],
        street: bool = True,
        periods: Sequence[tuple[str, list[tuple[str, str]]]] = (),
        chosen: tuple[int, int] | None = None,
        searches_communities: bool = False,
    ) -> None:
        """``searches_communities``: ``communities`` are too many to list (only the one
        chosen is given): the ``name`` field finds them."""
        if chosen is not None and data is not None and not data.get("month"):
            data = data.copy()  # the select shows the month the page opened on
            data["month"] = f"{chosen[0]:04d}-{chosen[1]:02d}"
        super().__init__(data)
        if not searches_communities:
            del self.fields["name"]
        if periods:
            self.fields["month"].widget = forms.Select(
                choices=periods if len(periods) > 1 else periods[0][1]
            )
        self.fields["duty"].choices = [  # type: ignore[attr-defined]
            ("", _("全部例行工作")),
            *((duty.pk, duty_label(duty)) for duty in duties),
        ]
        self.fields["community"].choices = [  # type: ignore[attr-defined]
            ("", _("全部")),
            *([("street", _("街道层面"))] if street else []),
            *((str(c.pk), c.name) for c in communities),
        ]

    def chosen_month(self, today: datetime.date) -> tuple[int, int]:
        """The month asked for, or the period the list opens on
        (``tasks.periods.opening_period``: this month while the checklist owes it, else
        its latest month with reports — never a year without a checklist; this month when
        no checklist is in use), also when the other filters are wrong."""
        self.is_valid()
        chosen: tuple[int, int] | None = self.cleaned_data.get("month")
        return chosen or opening_period(today, held_in_month=True) or (today.year, today.month)


class AttendeeChoices:
    """The people who may be put down as attendees: the staff of the communities the user
    may record for and every unit's staff, grouped by place (one query), and a meeting's
    present attendees even if they have moved on since."""

    def __init__(self, communities: Sequence[Community], present: Sequence[Any] = ()) -> None:
        memberships = (
            Membership.objects.filter(user__is_active=True)
            .filter(Q(community__in=[c.pk for c in communities]) | Q(unit__isnull=False))
            .select_related("user", "community", "unit")
            .order_by("community__order", "unit__order", "user__username")
        )
        self.users: dict[int, Any] = {}
        self.communities_of: dict[int, set[int]] = {}
        self.unit_staff: set[int] = set()
        groups: dict[str, list[tuple[str, str]]] = {}
        for membership in memberships:
            user = membership.user
            self.users[user.pk] = user
            if membership.community_id is not None:
                self.communities_of.setdefault(user.pk, set()).add(membership.community_id)
            else:
                self.unit_staff.add(user.pk)
            place = str(membership.community or membership.unit)
            groups.setdefault(place, []).append((str(user.pk), person_label(user)))
        self.present = {user.pk for user in present}
        for user in present:
            if user.pk not in self.users:
                self.users[user.pk] = user
                groups.setdefault(str(_("其他")), []).append((str(user.pk), person_label(user)))
        self.choices = list(groups.items())

    def may_attend(self, user_pk: int, community: Community | None) -> bool:
        """Unit staff attend any meeting; community staff their own community's and the
        street's; a present attendee stays."""
        if user_pk in self.unit_staff or user_pk in self.present:
            return True
        places = self.communities_of.get(user_pk, set())
        return community is None or community.pk in places


def person_label(user: Any) -> str:
    """ "王芳(wangfang)", or the username alone when it is the whole name."""
    full_name = user.get_full_name()
    if full_name and full_name != user.username:
        return f"{full_name}({user.username})"
    return user.username


class MeetingForm(forms.Form):
    """A meeting's record, to schedule or record one, or to change it. The duty and
    community offered are the user's recording scope; ``clean`` refuses any other pair."""

    duty = forms.TypedChoiceField(
        label=_("例行工作"),
        coerce=int,
        error_messages={"required": _("请选择例行工作。")},
    )
    community = forms.ChoiceField(
        label=_("社区"), required=False, help_text=_("街道层面的例行工作不选社区。")
    )
    state = forms.ChoiceField(
        label=_("状态"),
        choices=[
            (Meeting.State.HELD.value, _("已召开(记录已开的会议)")),
            (Meeting.State.SCHEDULED.value, _("已安排(会前提醒参会人员)")),
        ],
        initial=Meeting.State.HELD.value,
        widget=forms.RadioSelect,
    )
    starts_at = forms.DateTimeField(
        label=_("时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": _("请填写会议时间。"),
            "invalid": _("时间格式不对,请按“2017-07-14 14:00”填写。"),
        },
    )
    place = forms.CharField(label=_("地点"), max_length=200, required=False)
    topics = forms.CharField(
        label=_("议题"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    attendees = forms.TypedMultipleChoiceField(
        label=_("参会人员"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("按住 Ctrl(苹果电脑为 ⌘)可选多人。会前提醒发给他们。"),
    )
    other_attendees = forms.CharField(
        label=_("其他参会人员"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不在本系统中的参会人员,每行一人,如“甲物业 王经理”。"),
    )
    minutes = forms.CharField(
        label=_("会议纪要"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    items = forms.TypedMultipleChoiceField(
        label=_("涉及任务"),
        required=False,
        coerce=int,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    attachments = MultipleFileField(label=_("附件"), required=False)

    def __init__(
        self,
        data: Any = None,
        files: Any = None,
        *,
        scope: RecordingScope,
        attendee_choices: AttendeeChoices,
        items: Sequence[Item],
        meeting: Meeting | None = None,
        initial: dict[str, Any] | None = None,
    ) -> None:
        self.scope = scope
        self.attendee_choices = attendee_choices
        self.meeting = meeting
        self.duties = {duty.pk: duty for duty in scope.recordable_duties}
        self.communities = {c.pk: c for c in scope.communities()}
        self.items_by_pk = {item.pk: item for item in items}
        if meeting is not None:
            initial = {
                "duty": meeting.target_id,
                "community": str(meeting.community_id or STREET_CHOICE),
                "state": meeting.state,
                "starts_at": meeting.starts_at,
                "place": meeting.place,
                "topics": meeting.topics,
                "attendees": [user.pk for user in meeting.attendees.all()],
                "other_attendees": meeting.other_attendees,
                "minutes": meeting.minutes,
                "items": [item.pk for item in meeting.items.all()],
            }
        super().__init__(data, files, initial=initial)
        self.fields["duty"].choices = [  # type: ignore[attr-defined]
            ("", _("请选择")),
            *((duty.pk, duty_label(duty)) for duty in scope.recordable_duties),
        ]
        community_choices: list[tuple[str, Any]] = []
        if scope.includes_street():
            community_choices.append((STREET_CHOICE, _("街道层面(不选社区)")))
        else:
            community_choices.append((STREET_CHOICE, _("请选择")))
        community_choices += [(str(c.pk), c.name) for c in self.communities.values()]
        self.fields["community"].choices = community_choices  # type: ignore[attr-defined]
        self.fields["attendees"].choices = attendee_choices.choices  # type: ignore[attr-defined]
        self.fields["items"].choices = [  # type: ignore[attr-defined]
            (item.pk, f"{item.number}. {item.text[:30]}") for item in items
        ]

    def clean_attachments(self) -> list[UploadedFile]:
        return uploads_validate(self.cleaned_data.get("attachments") or [])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        duty = self.duties.get(cleaned.get("duty") or 0)
        community_pk = cleaned.get("community") or STREET_CHOICE
        # A valid choice: the street ("") or a community's primary key.
        community = (
            self.communities.get(int(community_pk)) if community_pk != STREET_CHOICE else None
        )
        cleaned["target"], cleaned["community_object"] = duty, community
        if duty is not None and "community" not in self.errors:
            if duty.level == Target.Level.STREET and community is not None:
                self.add_error("community", _("街道层面的例行工作不属于某个社区,请不要选择社区。"))
            elif duty.level == Target.Level.PARTY and community is None:
                self.add_error("community", _("请选择开展这项例行工作的社区。"))
            elif not self.scope.allows(duty, community):
                self.add_error(
                    "community",
                    _("您不能为%(community)s记录第 %(item)s 项的这项例行工作。")
                    % {"community": community or _("街道"), "item": duty.item.number},
                )
        starts_at = cleaned.get("starts_at")
        if duty is not None and isinstance(starts_at, datetime.datetime):
            year = duty.item.checklist.year
            if timezone.localtime(starts_at).year != year:
                self.add_error("starts_at", _("会议时间须在 %(year)s 年内。") % {"year": year})
            elif cleaned.get("state") == Meeting.State.HELD and starts_at > timezone.now():
                self.add_error("starts_at", _("会议时间在将来,不能记为已召开;请选择“已安排”。"))
        if cleaned.get("state") == Meeting.State.HELD:
            has_files = bool(cleaned.get("attachments")) or bool(
                self.meeting is not None and self.meeting.attachments.all()
            )
            if not (cleaned.get("minutes") or "").strip() and not has_files:
                self.add_error(
                    "minutes",
                    _("已召开的会议请填写会议纪要,或上传会议记录、签到表等附件。"),
                )
        strangers = [
            person_label(self.attendee_choices.users[pk])
            for pk in cleaned.get("attendees") or []
            if not self.attendee_choices.may_attend(pk, community)
        ]
        if strangers and "community" not in self.errors:
            self.add_error(
                "attendees",
                _("%(names)s不是%(community)s或街道各单位的人员。")
                % {"names": "、".join(strangers), "community": community or _("街道")},
            )
        return cleaned

    def details(self) -> MeetingDetails:
        """The cleaned record for the services."""
        data = self.cleaned_data
        return MeetingDetails(
            target=data["target"],
            community=data["community_object"],
            starts_at=data["starts_at"],
            place=data["place"],
            topics=data["topics"],
            attendees=[self.attendee_choices.users[pk] for pk in data["attendees"]],
            other_attendees=data["other_attendees"],
            minutes=data["minutes"],
            items=[self.items_by_pk[pk] for pk in data["items"]],
        )
