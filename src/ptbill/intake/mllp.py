"""A live HL7 v2 listener over MLLP (asyncio): each DFT^P03 is read as one visit and stored
by the caller's `store` (the ledger, as one import), and answered with an HL7 ACK:

- AA: the visit was stored;
- AE: the message was read but refused (the reason in MSA-3 and ERR): an unknown payer, a
  field that is wrong, an input the ledger refused. Nothing of it was stored;
- AR: the message could not be read at all (no MSH, not an MLLP frame, not UTF-8, longer
  than MAX_MESSAGE_BYTES), or is not a DFT^P03 (HL7 rejects a type the receiver does not take).

Each message gets one answer, in order (a sender pairs them so: a second answer to one message
would be taken for the next one's). A refused message never stops the listener, a sender that
goes quiet or away stops no other, and a message is stored whole or not at all (`store` runs
in one database transaction). The frames are read here, on python-hl7's stream (hl7.mllp), whose
own readblock answered a long message once for every 64 KB of it; python-hl7 builds the
acknowledgements, and ptbill.intake.hl7v2 maps the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import hl7
from hl7.mllp import HL7StreamReader, HL7StreamWriter, start_hl7_server

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors
from ptbill.intake import hl7v2

log = logging.getLogger("ptbill.mllp")
Store = Callable[[Visit, str], None]  # raises InputError(s) to refuse
# Hears each answer: (control id, ACK code, visit id or None, the reason or "").
Heard = Callable[[str, str, str | None, str], None]
_MAX_TEXT = 900  # MSA-3 / ERR-8 length kept (ACK receivers truncate long text)
START, END = b"\x0b", b"\x1c\r"  # an MLLP frame: <VT> message <FS><CR>
_BETWEEN = frozenset((b" ", b"\t", b"\r", b"\n"))  # passed over between frames (not <VT>)
# The longest message read (a DFT^P03 is one visit, a few KB: its notes and ZPV fields have
# room to spare, as a JSON visit has within the same bound); a longer one is answered AR and
# passed over to its end, never held whole.
MAX_MESSAGE_BYTES = 2 << 20
# A frame begun must end within this (2 MB at a slow 100 KB/s takes 20 s): a sender that stops
# in the middle of a message is closed, its connection not held for ever.
FRAME_SECONDS = 60.0


class _Unreadable(Exception):
    """A frame answered AR without reading it: the reason, and what of it was seen."""

    def __init__(self, reason: str, seen: bytes) -> None:
        super().__init__(reason)
        self.reason, self.seen = reason, seen


async def read_frame(reader: asyncio.StreamReader, frame_seconds: float = FRAME_SECONDS) -> str:
    """The next frame's message (IncompleteReadError when the sender closes the connection
    first; TimeoutError when a frame begun is not ended within `frame_seconds`), or
    _Unreadable: not a frame, longer than MAX_MESSAGE_BYTES (read past to its end), not UTF-8.
    Between frames a sender may stay quiet as long as it likes."""
    head = await reader.readexactly(1)
    while head in _BETWEEN:  # (a line end between frames is no fault)
        head = await reader.readexactly(1)
    async with asyncio.timeout(frame_seconds):
        return await _rest_of_frame(reader, head)


async def _rest_of_frame(reader: asyncio.StreamReader, head: bytes) -> str:
    try:
        block = head + await reader.readuntil(END)
    except asyncio.LimitOverrunError as e:
        seen = head + await reader.readexactly(e.consumed)
        while True:  # pass over the rest of the message, a buffer at a time
            try:
                await reader.readuntil(END)
                break
            except asyncio.LimitOverrunError as more:
                await reader.readexactly(more.consumed)
        raise _Unreadable(
            f"the message is longer than {MAX_MESSAGE_BYTES >> 20} MB, the most a visit may take: "
            "it was not read. Fix: send one visit a message (keep documents out of it)",
            seen.lstrip(b" \t\r\n" + START),
        ) from None
    block = block[: -len(END)].lstrip(b" \t\r\n")  # (a line end between frames is no fault)
    if not block.startswith(START):
        raise _Unreadable("not an MLLP frame: it does not begin with <VT> (0x0B)", block)
    try:
        return block[1:].decode("utf-8")
    except UnicodeDecodeError as e:
        raise _Unreadable(
            f"the message is not UTF-8 text (byte {e.start + 1} is 0x{block[1 + e.start]:02X}). "
            "Fix: send it in UTF-8 (the interface's character set)",
            block[1:],
        ) from None


@dataclass
class Tally:
    accepted: int = 0
    refused: int = 0
    unreadable: int = 0


class Listener:
    def __init__(
        self,
        config: Config,
        store: Store,
        origin: str = "mllp",
        heard: Heard | None = None,
        frame_seconds: float = FRAME_SECONDS,
    ) -> None:
        self.config, self.store, self.origin, self.heard = config, store, origin, heard
        self.frame_seconds = frame_seconds
        self.lock = asyncio.Lock()  # one message stored at a time (one ledger writer)
        self.tally = Tally()

    async def connection(self, reader: HL7StreamReader, writer: HL7StreamWriter) -> None:
        """Answer each framed message of one connection until the sender closes it."""
        try:
            while True:
                try:
                    text = await read_frame(reader, self.frame_seconds)
                except asyncio.IncompleteReadError:
                    return  # the sender closed the connection (a message cut short is dropped)
                except TimeoutError:
                    log.info("a sender stopped within a message: its connection was closed")
                    return
                except _Unreadable as e:
                    self.tally.unreadable += 1
                    # its MSH, if it has one, names it in the answer
                    seen = e.seen[:4096].split(b"\r", 1)[0].decode("utf-8", errors="replace")
                    log.info("a message could not be read: %s", e.reason.split(":")[0])
                    reply = ack(seen, "AR", e.reason)
                    if self.heard is not None:
                        self.heard(hl7v2.control_id(seen.split("\r")), "AR", None, e.reason)
                else:
                    reply = await self.answer(text)
                writer.writeblock(reply.encode())
                await writer.drain()
        except ConnectionError:  # the sender went away with its answer unsent
            log.info("a sender's connection was lost")
        finally:
            writer.close()

    async def answer(self, text: str) -> str:
        """The ACK of one message, after storing it (or not)."""
        reply, stored = await self._answer(text)
        if self.heard is not None:
            msa = next((s for s in reply.split("\r") if s.startswith("MSA")), "MSA||")
            fields = msa.split("|") + ["", "", ""]
            self.heard(fields[2], fields[1], stored, hl7v2.unescape(fields[3]))
        return reply

    async def _answer(self, text: str) -> tuple[str, str | None]:
        """The ACK, and the id of the visit stored (None when none was)."""
        try:
            visit = hl7v2.read_one(text, self.origin, self.config)
        except hl7v2.Refused as r:
            code = "AR" if r.unreadable else "AE"
            self.tally.unreadable += r.unreadable
            self.tally.refused += not r.unreadable
            log.info("message %s: %s (%d problem(s))", r.control_id or "?", code, len(r.errors))
            return ack(text, code, _reason(r.errors)), None
        except Exception:  # never let one message stop the listener
            log.exception("a message could not be read")
            self.tally.unreadable += 1
            return ack(text, "AR", "the message could not be read"), None
        _, lines = next(hl7v2.messages(text))
        cid = hl7v2.control_id(lines)
        try:
            async with self.lock:
                await asyncio.to_thread(self.store, visit, cid)
        except InputErrors as e:
            self.tally.refused += 1
            return ack(text, "AE", _reason(e.errors)), None
        except InputError as e:
            self.tally.refused += 1
            return ack(text, "AE", _reason([e])), None
        except Exception:  # a database failure: the transaction rolled back, the sender retries
            log.exception("message %s: could not be stored", cid)
            self.tally.refused += 1
            return ack(text, "AE", "the ledger could not store the message; send it again"), None
        self.tally.accepted += 1
        log.info("message %s: AA, visit %s stored", cid, visit.visit_id)
        return ack(text, "AA", ""), visit.visit_id


def _reason(errors: list[InputError]) -> str:
    first = errors[0]
    text = f"{first.field + ': ' if first.field else ''}{first.problem}. Fix: {first.fix}"
    if len(errors) > 1:
        text += f" (and {len(errors) - 1} more)"
    return text[:_MAX_TEXT]


def ack(text: str, code: str, reason: str) -> str:
    """The HL7 ACK of a message (python-hl7's, with the reason in MSA-3 and an ERR segment);
    a message without a readable MSH gets a bare ACK."""
    try:
        message = hl7.parse(text.strip("\x0b\x1c\r\n").replace("\r\n", "\r").replace("\n", "\r"))
        reply = message.create_ack(ack_code=code)
    except Exception:  # python-hl7 raises several kinds on text that is not HL7
        return _bare_ack(code, hl7v2.control_id(text.split("\r")), reason)
    out = str(reply).rstrip("\r")
    if reason:
        out += f"|{hl7v2.escape(reason)}\rERR||||E||||{hl7v2.escape(reason)}"
    return out


def _bare_ack(code: str, control_id: str, reason: str) -> str:
    return (
        f"MSH|^~\\&|PTBILL||||||ACK|{hl7v2.escape(control_id) or 'UNKNOWN'}|P|2.5\r"
        f"MSA|{code}|{hl7v2.escape(control_id)}|{hl7v2.escape(reason[:_MAX_TEXT])}"
    )


async def serve(listener: Listener, host: str, port: int) -> asyncio.Server:
    """Start listening (the server is returned started; close it to stop)."""
    return await start_hl7_server(listener.connection, host, port, limit=MAX_MESSAGE_BYTES)
