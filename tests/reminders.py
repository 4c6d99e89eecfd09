"""Helpers the reminder tests share: run the reminder job in this process at a moment of
2017, and read what each person received."""

from __future__ import annotations

import datetime

import time_machine
from django.contrib.auth.models import User

from notifications.models import Message
from notifications.services import messages_deliver
from reminders.services import digests_compose, reminders_plan
from tests.conftest import SHANGHAI


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def run_reminders(moment: datetime.datetime) -> None:
    """One run of the periodic job, as the worker runs it, at ``moment``."""
    with time_machine.travel(moment, tick=False):
        reminders_plan(now=moment)
        digests_compose(now=moment)
        messages_deliver(now=moment)


def inbox(user: User) -> list[Message]:
    return list(Message.objects.filter(recipient=user).order_by("created_at", "pk"))
