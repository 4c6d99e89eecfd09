"""Chinese, the source language. Django's zh_Hans formats, except the day within the year:
Django writes 07月3日, the portal (and its tests) 7月3日."""

DATE_FORMAT = "Y年n月j日"  # 2017年7月3日
DATETIME_FORMAT = "Y年n月j日 H:i"  # 2017年7月3日 14:05
YEAR_MONTH_FORMAT = "Y年n月"  # 2017年7月
MONTH_DAY_FORMAT = "n月j日"  # 7月3日
MONTH_FORMAT = "n月"  # 7月
MONTH_DAY_TIME_FORMAT = "n月j日 H:i"  # 7月3日 14:05
