"""Collecting the reports units return by mail (``make collect-reports``).

``mail`` reads the messages as saved from the City People's Committee mail system (``.eml``
files or a maildir); ``run`` classifies each attachment (an issued form by its hidden identity,
a unit's own workbook by its sender), keeps the newest of repeated sends, and puts each into
its delivery folder; ``log`` is the collection log beside the deliveries.
"""

from helpers.collect.log import COLUMNS, LOG_NAME, OLDER_DIR, read_log
from helpers.collect.run import Report, collect, summary

__all__ = ["COLUMNS", "LOG_NAME", "OLDER_DIR", "Report", "collect", "read_log", "summary"]
