"""Messages to people and group chats, and the outbox that hands work to Celery.

This app delivers and knows nothing of what a message is about: ``reminders`` decides who
is reminded of what and gathers it into digests, the workflow (``tasks``) and the urging
notices (``dashboards``) write their messages through ``notify``. Messages are delivered by
claiming them in batches with one conditional update (``FOR UPDATE SKIP LOCKED``), so any
number of workers may run and none sends twice.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communities.models import Community, Unit


class WebhookEndpoint(models.Model):
    """A group chat robot (企业微信 / 钉钉) of a community or unit that receives its reminders."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("企业微信群机器人")
        DINGTALK = "dingtalk", _("钉钉群机器人")

    community = models.OneToOneField(
        Community,
        verbose_name=_("社区"),
        on_delete=models.CASCADE,
        related_name="webhook",
        null=True,
        blank=True,
    )
    unit = models.OneToOneField(
        Unit,
        verbose_name=_("单位"),
        on_delete=models.CASCADE,
        related_name="webhook",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    url = models.CharField(
        _("Webhook 地址"),
        max_length=500,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=_("群机器人的 Webhook 地址,含 key 或 access_token。"),
    )
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("群机器人")
        verbose_name_plural = _("群机器人")
        constraints = [
            models.CheckConstraint(
                condition=(Q(community__isnull=False) & Q(unit__isnull=True))
                | (Q(community__isnull=True) & Q(unit__isnull=False)),
                name="webhook_has_exactly_one_party",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community or self.unit} · {self.get_kind_display()}"


class MessageQuerySet(models.QuerySet["Message"]):
    def for_user(self, user: User) -> MessageQuerySet:
        return self.filter(recipient=user)

    def unread(self) -> MessageQuerySet:
        return self.filter(read_at__isnull=True)

    # The header's unread count is kept in the cache (notifications/unread.py): every
    # bulk write that may change it renews its version; a row's save and delete send signals.
    def bulk_create(self, objs: Iterable[Message], *args: Any, **kwargs: Any) -> list[Message]:
        from .unread import unread_changed

        created = super().bulk_create(objs, *args, **kwargs)
        unread_changed(message.recipient_id for message in created)
        return created

    def update(self, **kwargs: Any) -> int:
        from .unread import unread_changed_for_everyone

        rows = super().update(**kwargs)
        if rows and {"read_at", "recipient", "recipient_id"} & kwargs.keys():
            unread_changed_for_everyone()
        return rows

    def delete(self) -> tuple[int, dict[str, int]]:
        from .unread import unread_changed_for_everyone

        deleted = super().delete()
        unread_changed_for_everyone()
        return deleted

    def claimable(self, *, now: datetime.datetime) -> MessageQuerySet:
        """Waiting to be delivered, or claimed by a worker that has not finished within the
        lease (it died): the lease is ``REMINDER_CLAIM_SECONDS``."""
        stale = now - datetime.timedelta(seconds=settings.REMINDER_CLAIM_SECONDS)
        return self.filter(
            Q(delivery_state=Message.Delivery.PENDING)
            | Q(delivery_state=Message.Delivery.SENDING, claimed_at__lt=stale)
        )


class Message(models.Model):
    """One message to a person (in the portal, and by email) or to a group chat (webhook)."""

    class Kind(models.TextChoices):
        DIGEST = "digest", _("提醒")
        REPORT_RETURNED = "report_returned", _("进展被退回")
        EXTENSION_REQUESTED = "extension_requested", _("延期申请")
        EXTENSION_DECIDED = "extension_decided", _("延期审批结果")
        URGE = "urge", _("催办")

    class Delivery(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENDING = "sending", _("发送中")
        SENT = "sent", _("已发送")
        SKIPPED = "skipped", _("无需发送")
        FAILED = "failed", _("发送失败")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="messages",
        null=True,
        blank=True,
    )
    webhook = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("群机器人"),
        on_delete=models.CASCADE,
        related_name="messages",
        null=True,
        blank=True,
    )
    kind = models.CharField(_("类型"), max_length=30, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"))
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    delivery_state = models.CharField(
        _("发送状态"), max_length=10, choices=Delivery.choices, default=Delivery.PENDING
    )
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(recipient__isnull=False) & Q(webhook__isnull=True))
                | (Q(recipient__isnull=True) & Q(webhook__isnull=False)),
                name="message_has_exactly_one_recipient",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="message_inbox"),
            models.Index(fields=["delivery_state", "claimed_at"], name="message_delivery"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class OutboxMessage(models.Model):
    """A Celery task a web request asked for, written in the request's own transaction.

    The relay (``notifications.jobs.outbox_relay``) publishes it to the broker later, so a
    broker that is down never breaks a page, and work asked for is never lost."""

    task = models.CharField(_("任务"), max_length=200)
    kwargs = models.JSONField(_("参数"), default=dict)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    published_at = models.DateTimeField(_("投递时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("投递次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)

    class Meta:
        verbose_name = _("待投递任务")
        verbose_name_plural = _("待投递任务")
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(published_at__isnull=True),
                name="outbox_unpublished",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.kwargs}"
