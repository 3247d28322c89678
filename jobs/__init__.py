"""Scheduled jobs, kept thin: the job table (``jobs.pipeline``: name -> a part's job function)
and the schedule as data, run by APScheduler (``jobs.scheduler``) or once from ``lapor jobs run``.
Only the CLI and the scheduler import this package."""
