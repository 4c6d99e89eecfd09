"""English: day month year, as the street office writes dates in English (3 July 2017,
never 7/3/2017, which a reader in China takes for 7 March), and 24-hour times as in
Chinese."""

DATE_FORMAT = "j F Y"  # 3 July 2017
DATETIME_FORMAT = "j F Y H:i"  # 3 July 2017 14:05
YEAR_MONTH_FORMAT = "F Y"  # July 2017
MONTH_DAY_FORMAT = "j F"  # 3 July
MONTH_FORMAT = "F"  # July
MONTH_DAY_TIME_FORMAT = "j F H:i"  # 3 July 14:05
