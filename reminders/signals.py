"""The reminders' signals, declared here and connected by the apps above (signals go
downward only: ``docs/architecture.md``)."""

from __future__ import annotations

from django.dispatch import Signal

# Reminders were put in their digests (``digests_compose``): from now on they count as sent
# (the dashboard's late list shows how many each party was sent). Sent with no arguments.
reminders_sent = Signal()
