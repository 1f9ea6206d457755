"""Every path the suite uses, in one place. Imports nothing of the project.

Defaults are the project folders; tests and benchmarks point a :class:`Workspace` elsewhere,
either explicitly or through the environment variables ``CATP_RAW_DIR``,
``CATP_PROCESSED_DIR``, ``CATP_OUTPUT_DIR``, ``CATP_TRUTH_DIR`` and ``CATP_SECRETS_DIR``;
``CATP_PLAN_FILE`` names another campaign configuration than ``config/plan.yaml`` (a test's
copy: the notebooks' kernels inherit it from the runner); ``CATP_PACKS_FILE`` and
``CATP_SENDING_FILE`` the same for the packs' options and the sending settings.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "config"
PLAN_FILE = CONFIG_DIR / "plan.yaml"  # the campaign: peak, targets, rules
PACKS_FILE = CONFIG_DIR / "packs.yaml"  # the packs' options (unit_packs)
SENDING_FILE = CONFIG_DIR / "sending.yaml"  # e-mailing the packs (SMTP, sender)
ALIASES_FILE = CONFIG_DIR / "aliases.yaml"
CONTACTS_FILE = CONFIG_DIR / "unit_contacts.csv"
UNITS_FILE = CONFIG_DIR / "units.csv"  # the 126 units: official codes (helpers.units)
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
TEMPLATES_DIR = PROJECT_ROOT / "reports" / "templates"
I18N_DIR = TEMPLATES_DIR / "i18n"
DATA_DIR = PROJECT_ROOT / "data"
BENCH_DIR = PROJECT_ROOT / "reports" / "bench"

PACKAGE_DIR = Path(__file__).resolve().parent  # the helpers source: its hash is the code version

WEEK_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def plan_file() -> Path:
    """The campaign configuration in use: ``CATP_PLAN_FILE`` when set, else config/plan.yaml."""
    return (
        Path(os.environ["CATP_PLAN_FILE"]).resolve()
        if os.environ.get("CATP_PLAN_FILE")
        else PLAN_FILE
    )


def packs_file() -> Path:
    """The packs' options in use: ``CATP_PACKS_FILE`` when set, else config/packs.yaml."""
    return (
        Path(os.environ["CATP_PACKS_FILE"]).resolve()
        if os.environ.get("CATP_PACKS_FILE")
        else PACKS_FILE
    )


def sending_file() -> Path:
    """The sending settings in use: ``CATP_SENDING_FILE`` when set, else config/sending.yaml."""
    env = os.environ.get("CATP_SENDING_FILE")
    return Path(env).resolve() if env else SENDING_FILE


def _pick(explicit: str | os.PathLike | None, env: str, default: Path) -> Path:
    if explicit:
        return Path(explicit).resolve()
    if os.environ.get(env):
        return Path(os.environ[env]).resolve()
    return default


@dataclass(frozen=True)
class Workspace:
    """Where one run reads and writes: raw deliveries, processed tables, outputs, truth.

    ``secrets`` holds the unit pack passwords (never in git); unset, it is the folder
    ``secrets`` beside the processed tables (``data/secrets/`` for the project folders).
    """

    raw: Path
    processed: Path
    output: Path
    truth: Path
    secrets: Path | None = None

    def secrets_dir(self) -> Path:
        return self.secrets or self.processed.parent / "secrets"

    def incremental_dir(self) -> Path:
        """What the incremental runs remember: each week's step keys and a file-hash cache."""
        return self.processed / ".incremental"

    def delivery(self, week: str) -> Path:
        return self.raw / week

    def processed_week(self, week: str) -> Path:
        return self.processed / week

    def output_week(self, week: str) -> Path:
        return self.output / week

    def deliveries(self) -> list[str]:
        """Delivery folder names (YYYY-MM-DD, a real calendar day), oldest first."""
        if not self.raw.is_dir():
            return []
        return sorted(p.name for p in self.raw.iterdir() if p.is_dir() and is_week(p.name))

    def other_folders(self) -> list[str]:
        """Folders in the raw folder that are not deliveries (``2025-12-21 (1)``,
        ``2025-99-99``, ``old``): never read, so the suite names them (hidden ones aside)."""
        if not self.raw.is_dir():
            return []
        return sorted(
            p.name
            for p in self.raw.iterdir()
            if p.is_dir() and not p.name.startswith(".") and not is_week(p.name)
        )


def is_week(name: str) -> bool:
    """Whether ``name`` is a date written YYYY-MM-DD that exists in the calendar."""
    if not WEEK_PATTERN.match(name):
        return False
    try:
        date.fromisoformat(name)
    except ValueError:
        return False
    return True


def workspace(
    raw_dir: str | os.PathLike | None = None,
    processed_dir: str | os.PathLike | None = None,
    output_dir: str | os.PathLike | None = None,
    truth_dir: str | os.PathLike | None = None,
    secrets_dir: str | os.PathLike | None = None,
) -> Workspace:
    """The workspace for a run; empty arguments fall back to env vars, then project folders.

    The secrets folder without an argument or ``CATP_SECRETS_DIR`` is the one beside the
    processed tables, so a run on other data keeps other passwords.
    """
    secrets = secrets_dir or os.environ.get("CATP_SECRETS_DIR")
    return Workspace(
        raw=_pick(raw_dir, "CATP_RAW_DIR", DATA_DIR / "raw"),
        processed=_pick(processed_dir, "CATP_PROCESSED_DIR", DATA_DIR / "processed"),
        output=_pick(output_dir, "CATP_OUTPUT_DIR", PROJECT_ROOT / "reports" / "output"),
        truth=_pick(truth_dir, "CATP_TRUTH_DIR", DATA_DIR / "synthetic-truth"),
        secrets=Path(secrets).resolve() if secrets else None,
    )
