"""A live HL7 v2 listener over MLLP (asyncio): each DFT^P03 is read as one visit and stored
by the caller's `store` (the ledger, as one import), and answered with an HL7 ACK:

- AA: the visit was stored;
- AE: the message was read but refused (the reason in MSA-3 and ERR): an unknown payer, a
  field that is wrong, an input the ledger refused. Nothing of it was stored;
- AR: the message could not be read at all (no MSH, not a frame of text).

A refused message never stops the listener, and a message is stored whole or not at all
(`store` runs in one database transaction). python-hl7 frames the messages (hl7.mllp) and
builds the acknowledgements; ptbill.intake.hl7v2 maps the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

import hl7
from hl7.mllp import HL7StreamReader, HL7StreamWriter, InvalidBlockError, start_hl7_server

from ptbill.config.profiles import Config
from ptbill.domain.visit import Visit
from ptbill.errors import InputError, InputErrors
from ptbill.intake import hl7v2

log = logging.getLogger("ptbill.mllp")
Store = Callable[[Visit, str], None]  # raises InputError(s) to refuse
# Hears each answer: (control id, ACK code, visit id or None, the reason or "").
Heard = Callable[[str, str, str | None, str], None]
_MAX_TEXT = 900  # MSA-3 / ERR-8 length kept (ACK receivers truncate long text)


@dataclass
class Tally:
    accepted: int = 0
    refused: int = 0
    unreadable: int = 0


class Listener:
    def __init__(
        self, config: Config, store: Store, origin: str = "mllp", heard: Heard | None = None
    ) -> None:
        self.config, self.store, self.origin, self.heard = config, store, origin, heard
        self.lock = asyncio.Lock()  # one message stored at a time (one ledger writer)
        self.tally = Tally()

    async def connection(self, reader: HL7StreamReader, writer: HL7StreamWriter) -> None:
        """Answer each framed message of one connection until the sender closes it."""
        try:
            while True:
                try:
                    block = await reader.readblock()
                except asyncio.IncompleteReadError:
                    return  # the sender closed the connection
                except (InvalidBlockError, ValueError) as e:
                    self.tally.unreadable += 1
                    writer.writeblock(_bare_ack("AR", "", f"not an MLLP frame: {e}").encode())
                    await writer.drain()
                    continue
                text = block.decode("utf-8", errors="replace")
                writer.writeblock((await self.answer(text)).encode())
                await writer.drain()
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
    return await start_hl7_server(listener.connection, host, port)
