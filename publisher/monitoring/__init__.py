"""Monitoring of answered and unanswered complaints: working-day calendar, statistics per
agency and per PIC, responsiveness ranking, overdue cases, CSV export and SVG charts.

Errors: a holiday file that cannot be read raises :class:`publisher.core.errors.ConfigError`
naming ``LAPOR_HOLIDAY_FILES`` and the file.
"""
