"""Signals the meeting register sends when what counts towards a duty changes, so that the
apps above (the dashboards' summary tables) keep up within the same transaction.

``meetings.services`` sends them; receivers run synchronously, inside the sender's
transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

# A duty's meetings changed for a party: a meeting was recorded, scheduled, changed or
# cancelled. Arguments: ``target_id`` (the duty), ``community_id`` (None: the street).
# Every month of the duty's year may change (a gap runs on into the following months).
meetings_changed = Signal()
