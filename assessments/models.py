"""The annual assessment of communities (600分村居考核评价体系): a scheme of criteria per
checklist year, scores computed from approved reports and meeting compliance
(``assessments.scoring``), the street admin's adjustments, and published results.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from communities.models import Community
from tasks.models import Item, Pillar


class Scheme(models.Model):
    """The assessment scheme of one checklist year."""

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    checklist = models.OneToOneField(
        "tasks.Checklist",
        verbose_name=_("目标任务清单"),
        on_delete=models.CASCADE,
        related_name="scheme",
    )
    title = models.CharField(_("名称"), max_length=100, default="村居考核评价")
    total_points = models.DecimalField(
        _("总分"),
        max_digits=6,
        decimal_places=2,
        default=600,
        help_text=_("各考核项分值之和必须等于总分。"),
    )

    class Meta:
        verbose_name = _("考核方案")
        verbose_name_plural = _("考核方案")
        permissions = [
            ("view_scores", _("查看考核得分和排名")),
            ("publish_scores", _("发布考核结果")),
        ]

    def __str__(self) -> str:
        return f"{self.checklist.year}年度{self.title}"


class Criterion(models.Model):
    """One line of the scheme: points earned on an item or a target by a rule."""

    class Rule(models.TextChoices):
        PROPORTIONAL = "proportional", _("按完成比例计分")
        ALL_OR_NOTHING = "all_or_nothing", _("达标得满分,否则不得分")
        BANDS = "bands", _("分档计分")
        MANUAL = "manual", _("人工评分")

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="criteria"
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=1)
    title = models.CharField(_("考核项"), max_length=100)
    points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    item = models.ForeignKey(
        Item,
        verbose_name=_("任务"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="criteria",
        help_text=_("按该任务全部指标的平均完成程度计分。"),
    )
    pillar = models.ForeignKey(
        Pillar,
        verbose_name=_("板块"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="criteria",
        help_text=_("按该板块中分派给社区的各项任务的平均完成程度计分。"),
    )
    target = models.ForeignKey(
        "tasks.Target",
        verbose_name=_("指标"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="criteria",
        help_text=_("只按这一项指标计分(定期开展类按会议达标月数计)。"),
    )
    rule = models.CharField(
        _("计分规则"), max_length=20, choices=Rule.choices, default=Rule.PROPORTIONAL
    )
    bands = models.JSONField(
        _("分档"),
        default=list,
        blank=True,
        help_text=_("分档计分用:[[完成程度%, 得分%], …],如 [[100, 100], [80, 80], [60, 50]]。"),
    )

    class Meta:
        verbose_name = _("考核项")
        verbose_name_plural = _("考核项")
        ordering = ["scheme", "order", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(points__gte=0), name="criterion_points_positive"),
            models.CheckConstraint(
                condition=Q(rule="manual")
                | Q(pillar__isnull=False)
                | Q(item__isnull=False)
                | Q(target__isnull=False),
                name="criterion_has_a_basis_unless_manual",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}({self.points:g} 分)"


class ManualScore(models.Model):
    """The points a community earned on a criterion scored by hand."""

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    criterion = models.ForeignKey(
        Criterion, verbose_name=_("考核项"), on_delete=models.CASCADE, related_name="manual_scores"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.CASCADE, related_name="+"
    )
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    note = models.CharField(_("依据"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("人工评分")
        verbose_name_plural = _("人工评分")
        constraints = [
            models.UniqueConstraint(
                fields=["criterion", "community"], name="manual_score_unique_per_community"
            ),
            models.CheckConstraint(condition=Q(points__gte=0), name="manual_score_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.community} · {self.criterion.title}:{self.points:g}"


class ScoreAdjustment(models.Model):
    """Points the street admin adds or deducts, with the reason (加减分)."""

    # Every change, with who made it: the 修改记录 (docs/audit.md).
    history = HistoricalRecords()

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="adjustments"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.CASCADE, related_name="+"
    )
    points = models.DecimalField(
        _("加减分"), max_digits=6, decimal_places=2, help_text=_("扣分填负数。")
    )
    reason = models.TextField(_("理由"))
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调整人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    made_at = models.DateTimeField(_("调整时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("加减分")
        verbose_name_plural = _("加减分")
        ordering = ["made_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="adjustment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.points:+g}:{self.reason[:20]}"


class Publication(models.Model):
    """A year's results as published: frozen, whatever later happens to the reports. A
    re-publication is a new one with the next number."""

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="publications"
    )
    number = models.PositiveSmallIntegerField(_("第几次发布"))
    published_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True, help_text=_("重新发布时写明原因。"))
    as_of_month = models.PositiveSmallIntegerField(_("统计截至月份"))

    class Meta:
        verbose_name = _("考核结果发布")
        verbose_name_plural = _("考核结果发布")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="publication_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} 第 {self.number} 次发布"


class PublishedScore(models.Model):
    """A community's score sheet as published (every line, frozen as JSON)."""

    publication = models.ForeignKey(
        Publication, verbose_name=_("发布"), on_delete=models.CASCADE, related_name="scores"
    )
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="+"
    )
    rank = models.PositiveIntegerField(_("名次"))
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=2)
    sheet = models.JSONField(_("得分明细"))

    class Meta:
        verbose_name = _("已发布得分")
        verbose_name_plural = _("已发布得分")
        ordering = ["publication", "rank", "community__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "community"], name="published_score_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.total:g}(第 {self.rank} 名)"


class ScoreMonth(models.Model):
    """The state of the stored scores (``CommunityScore``) of one scheme and month scored:
    the day they are computed as of (the month's last day once it has ended; today while it
    runs, its meetings being judged up to today) and the scheme's criteria they were
    computed with. Scores whose day or criteria differ from what a page needs are computed
    again before it reads them (``assessments.summary``)."""

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.PositiveSmallIntegerField(_("统计截至月份"))
    as_of = models.DateField(_("计算截至日期"))
    criteria_key = models.CharField(_("考核项版本"), max_length=64)

    class Meta:
        verbose_name = _("考核得分汇总状态")
        verbose_name_plural = _("考核得分汇总状态")
        constraints = [
            models.UniqueConstraint(fields=["scheme", "month"], name="score_month_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.month}"


class CommunityScore(models.Model):
    """A community's points in a scheme up to a month, as ``scoring.score_sheets`` computes
    them, kept with every change that moves them (``assessments.summary``): the ranking
    reads a page of these instead of computing every sheet."""

    scheme = models.ForeignKey(
        Scheme, verbose_name=_("考核方案"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.PositiveSmallIntegerField(_("统计截至月份"))
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.CASCADE, related_name="+"
    )
    earned = models.DecimalField(_("考核项得分"), max_digits=8, decimal_places=2)
    adjusted = models.DecimalField(_("加减分"), max_digits=8, decimal_places=2)
    total = models.DecimalField(_("总分"), max_digits=8, decimal_places=2)

    class Meta:
        verbose_name = _("考核得分汇总")
        verbose_name_plural = _("考核得分汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "month", "community"], name="community_score_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["scheme", "month", "-total"], name="community_score_ranked"),
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.month}: {self.total:g}"
