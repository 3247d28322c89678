"""Scheduled jobs: thin functions over ``publisher`` and ``classifiers`` (see jobs.pipeline),
declared as data and run by APScheduler (jobs.scheduler) or once from ``lapor jobs run``."""
