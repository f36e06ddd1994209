"""The MLLP listener against senders that misbehave, over loopback with raw sockets: each
message gets exactly one answer (a sender pairs answers with messages in order, so a second
answer to one message is taken for the next one's), nothing of a message the listener cannot
read is stored, and a sender that goes quiet or away stops no one else."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from ptbill.config import load_config
from ptbill.domain.visit import Visit
from ptbill.intake import hl7v2_export
from ptbill.intake.mllp import MAX_MESSAGE_BYTES, Listener, serve
from tests.factories import timed, visit_dict

START, END = b"\x0b", b"\x1c\r"


def _message(visit_id: str) -> bytes:
    d = visit_dict(timed("97110", 24))
    d.update(visit_id=visit_id, total_timed_minutes=24)
    return hl7v2_export.write_message(Visit.model_validate(d), 1, load_config(None)).encode()


def _frame(text: bytes) -> bytes:
    return START + text + END


def _msa(answer: bytes) -> list[str]:
    msa = next(s for s in answer.decode().split("\r") if s.startswith("MSA"))
    return msa.split("|")


async def _answers(port: int, payload: bytes, count: int, wait: float = 10) -> list[bytes]:
    """The first `count` answers to `payload`, and any that follow within half a second."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(payload)
    await writer.drain()
    received = b""
    try:
        while received.count(END) < count:
            chunk = await asyncio.wait_for(reader.read(1 << 16), timeout=wait)
            if not chunk:
                break
            received += chunk
        received += await asyncio.wait_for(reader.read(1 << 16), timeout=0.5)
    except TimeoutError:
        pass
    writer.close()
    return [a.removeprefix(START) for a in received.split(END) if a]


def _run(
    body: Callable[[int, list[tuple[str, str]]], Awaitable[None]], frame_seconds: float = 60
) -> list[tuple[str, str]]:
    stored: list[tuple[str, str]] = []
    listener = Listener(
        load_config(None),
        lambda v, cid: stored.append((v.visit_id, v.patient.last_name)),
        frame_seconds=frame_seconds,
    )

    async def main() -> None:
        server = await serve(listener, "127.0.0.1", 0)
        async with server:
            await body(server.sockets[0].getsockname()[1], stored)

    asyncio.run(main())
    return stored


def test_a_message_longer_than_the_bound_gets_one_ar_and_the_next_its_own_answer() -> None:
    big = _message("V-BIG").replace(b"\rFT1|", b"\rNTE|1||" + b"x" * MAX_MESSAGE_BYTES + b"\rFT1|")

    async def body(port: int, stored: list[tuple[str, str]]) -> None:
        answers = await _answers(port, _frame(big) + _frame(_message("V-NEXT")), 2)
        assert [_msa(a)[1] for a in answers] == ["AR", "AA"]
        assert _msa(answers[0])[2] == "DEMO00000001"  # the control id, read from its MSH
        assert f"longer than {MAX_MESSAGE_BYTES >> 20} MB" in answers[0].decode()

    assert _run(body) == [("V-NEXT", "Lee")]


def test_a_message_not_in_utf8_is_refused_not_stored_with_its_letters_replaced() -> None:
    latin1 = _message("V-LATIN").replace(b"|Lee^", "|Muñoz^".encode("latin-1"))

    async def body(port: int, stored: list[tuple[str, str]]) -> None:
        [answer] = await _answers(port, _frame(latin1), 1)
        assert _msa(answer)[1] == "AR" and "UTF-8" in answer.decode()

    assert _run(body) == []


def test_a_sender_that_resets_or_stalls_stops_no_other_sender() -> None:
    async def body(port: int, stored: list[tuple[str, str]]) -> None:
        loop = asyncio.get_running_loop()
        caught: list[object] = []
        loop.set_exception_handler(lambda _loop, context: caught.append(context))
        idle = await asyncio.open_connection("127.0.0.1", port)  # says nothing
        stalled = await asyncio.open_connection("127.0.0.1", port)  # half a message
        stalled[1].write(START + _message("V-HALF")[:40])
        await stalled[1].drain()
        # a sender gone with its answer unread: the listener's write meets a reset
        gone = await asyncio.open_connection("127.0.0.1", port)
        gone[1].write(_frame(_message("V-GONE")) * 3)
        await gone[1].drain()
        gone[1].transport.abort()
        [answer] = await _answers(port, _frame(_message("V-OTHER")), 1)
        assert _msa(answer)[1] == "AA"
        for _, writer in (idle, stalled):
            writer.close()
        await asyncio.sleep(0.2)
        assert caught == []  # no task died with an exception nobody retrieved

    stored = _run(body)
    assert ("V-OTHER", "Lee") in stored and all(vid != "V-HALF" for vid, _ in stored)


def test_a_sender_that_stops_within_a_message_is_closed_one_quiet_between_messages_is_not() -> None:
    async def body(port: int, stored: list[tuple[str, str]]) -> None:
        stalled = await asyncio.open_connection("127.0.0.1", port)
        stalled[1].write(START + _message("V-HALF")[:40])
        quiet = await asyncio.open_connection("127.0.0.1", port)
        quiet[1].write(_frame(_message("V-FIRST")) + b"\r\n")  # a line end, then nothing
        await asyncio.gather(stalled[1].drain(), quiet[1].drain())
        assert _msa(await asyncio.wait_for(quiet[0].readuntil(END), 5))[1] == "AA"
        # the stalled sender's connection is closed once its frame is past the bound
        assert await asyncio.wait_for(stalled[0].read(), 5) == b""
        await asyncio.sleep(1)  # the quiet one, three bounds later, is still heard
        quiet[1].write(_frame(_message("V-LATER")))
        assert _msa(await asyncio.wait_for(quiet[0].readuntil(END), 5))[1] == "AA"
        for _, writer in (stalled, quiet):
            writer.close()

    assert _run(body, frame_seconds=0.3) == [("V-FIRST", "Lee"), ("V-LATER", "Lee")]


def test_a_message_of_another_type_is_rejected_ar_as_hl7_answers_an_unsupported_type() -> None:
    """HL7 v2's acknowledgment rules answer a message type the receiver does not support with
    AR (application reject); AE, an error in a message of a type it takes, was answered."""
    admission = _message("V-ADT").replace(b"|DFT^P03|", b"|ADT^A01|", 1)

    async def body(port: int, stored: list[tuple[str, str]]) -> None:
        [answer] = await _answers(port, _frame(admission), 1)
        msa = _msa(answer)
        assert msa[1] == "AR" and "MSH-9" in msa[3] and "ADT" in msa[3]

    assert _run(body) == []
