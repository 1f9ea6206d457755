"""Unit packs to the units: the address book, the cover message, sending and its log.

    python -m helpers.sending --week 2025-11-23 [--dry-run] [--force]

``contacts`` reads and checks ``config/unit_contacts.csv``; ``message`` writes one unit's
e-mail; ``send`` sends them (or writes ``.eml`` files) and logs each send.
"""

from helpers.sending.contacts import Contact, is_placeholder, load_contacts
from helpers.sending.message import cover_text, unit_message
from helpers.sending.send import SendReport, read_log, send_packs, smtp_settings, summary

__all__ = [
    "Contact",
    "SendReport",
    "cover_text",
    "is_placeholder",
    "load_contacts",
    "read_log",
    "send_packs",
    "smtp_settings",
    "summary",
    "unit_message",
]
