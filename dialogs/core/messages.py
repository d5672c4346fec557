"""What a resident or staff member sends, and what kiezbot answers — messenger-neutral.

Replies carry text in Telegram's HTML subset (the one markup every transport can render or strip):
flows build it with :func:`dialogs.core.text.esc` around everything a person typed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

# Telegram's hard limits (Bot API): they bind every transport so a flow never produces
# something Telegram would reject.
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

InboundKind = Literal["text", "command", "press", "voice", "photo", "location", "document", "sticker", "other"]


@dataclass(frozen=True)
class Sender:
    """Who sent an update and from where."""

    chat_id: int
    user_id: int
    language_code: str | None = None
    display_name: str = ""
    chat_kind: Literal["private", "group"] = "private"
    channel: Literal["telegram", "whatsapp"] = "telegram"     # the terminal chat stands in for Telegram


@dataclass(frozen=True)
class Inbound:
    """One update from a person, reduced to what the flows need."""

    kind: InboundKind
    sender: Sender
    text: str = ""           # message text; for commands the arguments after the command
    command: str = ""        # command name without slash, lower case ("start")
    data: str = ""           # callback data of a pressed button
    file_id: str = ""        # voice note, photo or document
    file_size: int = 0
    duration: int = 0        # voice note length in seconds
    file_name: str = ""
    latitude: float | None = None
    longitude: float | None = None
    message_id: int | None = None   # the message a pressed button belongs to

    @staticmethod
    def parse_text(sender: Sender, text: str, message_id: int | None = None) -> "Inbound":
        """A typed line: "/cmd args" becomes a command (``/cmd@botname`` too), anything else text."""
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            head, _, rest = stripped[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            if name.replace("_", "").isalnum():
                return Inbound("command", sender, text=rest.strip(), command=name, message_id=message_id)
        return Inbound("text", sender, text=text, message_id=message_id)

    def parts(self, n: int, *, rest: bool = False) -> tuple[str, ...]:
        """The first ``n`` fields of a pressed button's data after its flow's prefix, ``""`` where missing.

        ``"idea:kind:project"`` gives ``("kind", "project")`` for ``parts(2)``, and ``"idea"`` or forged
        short data ``("", "")``, so a flow can unpack and compare without index checks. Fields beyond
        ``n`` are dropped, or with ``rest`` kept in the last one, colons and all:
        ``"bcast:aud:area:x"`` gives ``("aud", "area:x")`` for ``parts(2, rest=True)``.
        """
        fields = self.data.split(":", n if rest else -1)[1:n + 1]
        return (*fields, *[""] * (n - len(fields)))


@dataclass(frozen=True)
class Button:
    label: str
    data: str = ""           # callback data (<= 64 bytes)
    url: str = ""            # or a link

    def __post_init__(self) -> None:
        if bool(self.data) == bool(self.url):
            raise ValueError("a button needs exactly one of data or url")
        if self.data and len(self.data.encode()) > MAX_CALLBACK_DATA:
            raise ValueError(f"callback data over {MAX_CALLBACK_DATA} bytes: {self.data!r}")


@dataclass(frozen=True)
class Venue:
    latitude: float
    longitude: float
    title: str
    address: str


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    caption: str = ""        # HTML, <= 1024 characters


@dataclass(frozen=True)
class Media:
    """A photo or voice note a person sent, passed on by its messenger file id (e.g. to the staff chat)."""

    kind: Literal["photo", "voice"]
    file_id: str
    caption: str = ""        # HTML, <= 1024 characters


@dataclass
class Reply:
    """One message from kiezbot.

    ``edit`` asks the transport to replace the message whose button was pressed instead of
    sending a new one (menus that change in place).
    """

    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    venue: Venue | None = None
    document: Document | None = None
    media: list[Media] = field(default_factory=list)
    edit: bool = False
    chat_id: int | None = None   # None: the chat the update came from
    # Take back earlier messages of kiezbot in the recipient chat (Telegram message ids): each is
    # deleted, or where Telegram no longer allows that, overwritten with ``text``.
    withdraw: list[int] = field(default_factory=list)
    # Draw an earlier message of kiezbot in the recipient chat (Telegram message id) again in place: its
    # text (or caption) and buttons become these; where Telegram no longer allows that (the message is
    # gone, or can no longer be edited), the reply is sent as a new message instead.
    replace: int | None = None


class Handled(NamedTuple):
    """What one update came to: the replies for its chat (sent after the commit), a toast for a pressed
    button, and whether it queued outbox messages — then the transport kicks the delivery engine, so they
    go out now rather than at its next tick; most updates queue nothing and cost it nothing."""

    replies: list[Reply]
    toast: str | None = None
    queued: bool = False


def reply_to_dict(reply: Reply) -> dict:
    """JSON-able form of a reply, for the durable outbox."""
    import base64
    out: dict = {"text": reply.text}
    if reply.buttons:
        out["buttons"] = [[{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in reply.buttons]
    if reply.venue:
        v = reply.venue
        out["venue"] = {"latitude": v.latitude, "longitude": v.longitude, "title": v.title, "address": v.address}
    if reply.document:
        d = reply.document
        out["document"] = {"filename": d.filename, "caption": d.caption,
                           "content": base64.b64encode(d.content).decode("ascii")}
    if reply.media:
        out["media"] = [{"kind": m.kind, "file_id": m.file_id, "caption": m.caption} for m in reply.media]
    if reply.withdraw:
        out["withdraw"] = list(reply.withdraw)
    if reply.replace is not None:
        out["replace"] = reply.replace
    return out


def reply_from_dict(data: dict) -> Reply:
    import base64
    buttons = [[Button(b["label"], b.get("data") or "", b.get("url") or "") for b in row]
               for row in data.get("buttons") or []]
    venue = Venue(**data["venue"]) if data.get("venue") else None
    document = None
    if data.get("document"):
        d = data["document"]
        document = Document(d["filename"], base64.b64decode(d["content"]), d.get("caption") or "")
    media = [Media(m["kind"], m["file_id"], m.get("caption") or "") for m in data.get("media") or []]
    return Reply(text=data.get("text") or "", buttons=buttons, venue=venue, document=document, media=media,
                 withdraw=[int(i) for i in data.get("withdraw") or []],
                 replace=int(data["replace"]) if data.get("replace") is not None else None)
