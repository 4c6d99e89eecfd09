"""Registers that give a target's figure instead of the party's report.

Some targets are not measured by what a party types into its monthly report but by a
register kept elsewhere: a frequency target (``Target.Kind.FREQUENCY``, items 3, 14 and
16) by the meeting register (``meetings``). ``tasks`` may not import the apps above it,
so such an app registers a **figure source** for the target kind at startup
(``MeetingsConfig.ready``), and ``Target.evaluate``, ``ProgressReport.evaluate``,
``evaluate_assignment_month`` and the summary tables ask this module for the figures.

A source is batched: one call judges many assignments × months of one checklist in a
few queries, so a page or a rebuild asks once, not once per cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .models import Assignment, Checklist


@dataclass(frozen=True)
class Figure:
    """A register's judgement of one target for one assignment and month."""

    verdict: str  # a ``Target.Verdict`` value
    measured: str  # "2/2 次"
    explanation: str


# (target pk, assignment pk, month): the checklist's year is implied.
FigureKey = tuple[int, int, int]


class FigureSource(Protocol):
    def __call__(
        self, *, checklist: Checklist, assignments: Sequence[Assignment], months: Sequence[int]
    ) -> dict[FigureKey, Figure]: ...


_sources: dict[str, FigureSource] = {}


def figure_source_register(kind: str, source: FigureSource) -> None:
    """Make ``source`` the one source of the figures of targets of ``kind`` (called from
    an ``AppConfig.ready``; registering again replaces the source)."""
    _sources[kind] = source


def is_registered(kind: str) -> bool:
    """Whether targets of ``kind`` are judged from a register, not from a typed value."""
    return kind in _sources


def registered_kinds() -> frozenset[str]:
    return frozenset(_sources)


def figures(
    *, checklist: Checklist, assignments: Iterable[Assignment], months: Iterable[int]
) -> dict[FigureKey, Figure]:
    """The registers' figures of every registered-kind target of ``assignments`` (of
    ``checklist``, with their item's targets prefetched) in ``months``. No query when none
    of the assignments has such a target."""
    assignments = list(assignments)
    months = sorted(set(months))
    found: dict[FigureKey, Figure] = {}
    if not months:
        return found
    for kind, source in _sources.items():
        concerned = [a for a in assignments if any(t.kind == kind for t in a.targets())]
        if concerned:
            found.update(source(checklist=checklist, assignments=concerned, months=months))
    return found
