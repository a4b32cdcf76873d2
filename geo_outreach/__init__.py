"""geo_outreach: where to put anti-fraud outreach effort, shown on maps that open offline."""

__version__ = "0.1.0"
