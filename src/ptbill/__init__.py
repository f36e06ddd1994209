"""ptbill: an open-source billing engine for outpatient physical therapy."""

__version__ = "0.1.0"
