"""Weekly briefing suite for Hanoi City Police Plan No. 375.

One package per pipeline stage (ingest, reconcile, progress, briefing, packs, sending) plus small
shared modules (paths, config, units, normalize, i18n, store). Notebooks in ``notebooks/`` call
these; the runner drives the notebooks with Papermill. What makes test data (the package
``synth``) and what measures the suite (``measure``) live beside it, not in it.
"""

__version__ = "0.1.0"


class PipelineError(Exception):
    """Base for errors a duty officer can act on: the message says what and where."""


class DeliveryError(PipelineError):
    """A delivery is missing, unreadable or malformed (names the file and what was expected)."""


class ConfigError(PipelineError):
    """config/plan.yaml is missing a key or holds a value of the wrong kind."""


class StorageError(PipelineError):
    """A folder cannot be written (read-only, no permission, disk full): names path and fix."""
