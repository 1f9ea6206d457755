"""The messages as saved from the City People's Committee mail system: a folder of ``.eml``
files, or a maildir (``cur/``, ``new/``), each read with Python's ``email`` package
(``policy.default``) into its sender, Date, Message-ID and attachments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path, PurePosixPath, PureWindowsPath

MAILDIR_PARTS = ("cur", "new")  # tmp/ holds messages still being written: never read
MESSAGE_SUFFIX = ".eml"


@dataclass(frozen=True)
class Attachment:
    name: str  # the file name the sender gave, without any folder
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name.lower()).suffix


@dataclass(frozen=True)
class Message:
    file: str  # where it was read, relative to the folder given (FROM)
    sender: str  # the bare From address, lower-case
    date: datetime | None  # the Date header, aware (UTC when it gave no offset); None: absent
    date_text: str  # the Date header as written, for the log when it cannot be read
    message_id: str
    attachments: tuple[Attachment, ...]
    sha256: str  # of the message file: its key in the log when it has no Message-ID

    @property
    def key(self) -> str:
        return self.message_id or f"sha256:{self.sha256}"


@dataclass(frozen=True)
class Unreadable:
    file: str
    reason: str
    sha256: str


def message_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The message files of ``folder`` in reading order (its ``.eml`` files by name, then a
    maildir's cur/ and new/), and the other files found there (said, never read)."""
    messages: list[Path] = []
    others: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_file():
            (messages if path.suffix.lower() == MESSAGE_SUFFIX else others).append(path)
    for part in MAILDIR_PARTS:
        box = folder / part
        if box.is_dir():
            messages += [p for p in sorted(box.iterdir()) if p.is_file()]
    return [p for p in messages if not p.name.startswith(".")], others


def _date(msg: EmailMessage) -> tuple[datetime | None, str]:
    header = msg["Date"]
    if header is None:
        return None, ""
    text = str(header)
    when = getattr(header, "datetime", None)
    if not isinstance(when, datetime):
        return None, text
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), text


def _attachments(msg: EmailMessage) -> tuple[Attachment, ...]:
    found = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if not name and part.get_content_disposition() != "attachment":
            continue  # the message's text, not a file
        # the name only: a sender's folders (C:\Users\...\x.xlsx) never reach the disk
        name = PureWindowsPath(PurePosixPath(name or "attachment").name).name or "attachment"
        payload = part.get_payload(decode=True)
        found.append(Attachment(name, payload if isinstance(payload, bytes) else b""))
    return tuple(found)


def read_message(path: Path, shown: str) -> Message | Unreadable:
    """One saved message, or why it cannot be read (the reason names what is missing)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Unreadable(shown, f"cannot be read ({exc.strerror or exc})", "")
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        return Unreadable(shown, "the file is empty", digest)
    try:
        msg = BytesParser(policy=policy.default).parsebytes(data)
        if not isinstance(msg, EmailMessage):  # policy.default always builds one
            return Unreadable(shown, "not an e-mail message", digest)
        if all(msg[h] is None for h in ("From", "Date", "Message-ID")):
            return Unreadable(shown, "no e-mail headers (From, Date, Message-ID)", digest)
        addresses = getattr(msg["From"], "addresses", ()) if msg["From"] is not None else ()
        sender = next((a.addr_spec for a in addresses if a.addr_spec), "")
        if "@" not in sender:
            return Unreadable(shown, "no sender address in its From header", digest)
        when, when_text = _date(msg)
        message_id = str(msg["Message-ID"] or "").strip()
        return Message(
            shown, sender.lower(), when, when_text, message_id, _attachments(msg), digest
        )
    except Exception as exc:  # noqa: BLE001 - a damaged message is said, the others still read
        return Unreadable(shown, f"cannot be parsed ({type(exc).__name__}: {exc})", digest)
