"""The portal's date formats by language (``FORMAT_MODULE_PATH``): what Django's own
``django/conf/locale/<lang>/formats.py`` gives, with the few names the portal changes or
adds. ``core.dates`` and the templates (``|date:"MONTH_DAY_FORMAT"``) read them through
``django.utils.formats``; a name missing here falls through to Django's module.

Names the portal adds (``get_format`` reads any name a format module defines, so every
language here must define each of them, or ``|date`` prints the name's letters):

- ``MONTH_FORMAT``: a month on its own (7月 / July);
- ``MONTH_DAY_TIME_FORMAT``: a day and time within the year (7月3日 14:05 / 3 July 14:05).
"""
