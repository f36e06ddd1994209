"""The 270 and 271 (005010X279A1) and the 276 and 277 (005010X212) as their TR3s lay them out:
loops, repeats, segments with usage and maximum use, elements and allowed codes (ptbill.x12.tr3
says how to read a spec). pyx12 4.0 ships a 005010X212 277 map, but leaves it out of its map
index, and its loops are nested wrongly (the trailer sits outside the transaction set), so it
cannot check a 277 either: the 277 is described here too, after that map's usage and codes.

Element detail is given for the segments ptbill writes or reads; segments it neither writes nor
reads (HSD, MSG, III, MPI ...) carry their position and usage only.
"""

from __future__ import annotations

from ptbill.x12.tr3 import UNBOUNDED, Guide, Loop, Seg

_ANY = UNBOUNDED

# NM1 names: -06 prefix is never used; 10..12 are not used by these guides.
_NM1_TAIL = "-10 -11 -12"
_PROVIDER_CODES = "AD|AT|BI|CO|CV|H|HH|LA|OT|P1|P2|PC|PE|R|RF|SB|SK|SU"
_DTP = "01 02=D8|RD8 03"
_RECEIVERS = "1P|2B|36|80|FA|GP|P5|PR"  # NM101 of an information receiver

SERVICE_TYPES_ALLOWED = (
    "1|2|3|4|5|6|7|8|9|10|11|12|13|14|15|16|17|18|19|20|21|22|23|24|25|26|27|28|30|32|33|34|35|"
    "36|37|38|39|40|41|42|43|44|45|46|47|48|49|50|51|52|53|54|55|56|57|58|59|60|61|62|63|64|65|"
    "66|67|68|69|70|71|72|73|74|75|76|77|78|79|80|81|82|83|84|85|86|87|88|89|90|91|92|93|94|95|"
    "96|97|98|99|A0|A1|A2|A3|A4|A5|A6|A7|A8|A9|AA|AB|AC|AD|AE|AF|AG|AH|AI|AJ|AK|AL|AM|AN|AO|AQ|"
    "AR|B1|B2|B3|BA|BB|BC|BD|BE|BF|BG|BH|BI|BJ|BK|BL|BM|BN|BP|BQ|BR|BS|BT|BU|BV|BW|BX|BY|BZ|C1|"
    "CA|CB|CC|CD|CE|CF|CG|CH|CI|CJ|CK|CL|CM|CN|CO|CP|CQ|DG|DM|DS|GF|GN|GY|IC|MH|NI|ON|PT|PU|RN|"
    "RT|TC|TN|UC"
)
_EB_FLAGS = "?11=N|U|Y ?12=N|U|W|Y ?13 ?14"  # authorization, in network, procedure
EB01_CODES = "1|2|3|4|5|6|7|8|A|B|C|CB|D|E|F|G|H|I|J|K|L|M|MC|N|O|P|Q|R|S|T|U|V|W|X|Y"


def _hl(level: str, child: str, parent: bool = True) -> Seg:
    return Seg("HL", "R", 1, f"level {level}", f"01 {'02' if parent else '-02'} 03={level} {child}")


def _name_block(ref_codes: str, dtp_max: int, response: bool) -> list[Seg]:
    """The segments after the NM1 of a subscriber or dependent name loop (2100C/2100D)."""
    out = [
        Seg("REF", "S", 9, "additional identification", f"01={ref_codes} 02 -03 -04"),
        Seg("N3", "S", 1, "address", "01 ?02"),
        Seg("N4", "S", 1, "city, state, ZIP", "01 ?02 ?03 ?04 -05 -06 ?07"),
    ]
    if response:
        out.append(Seg("AAA", "S", 9, "request validation", "01=Y|N -02 ?03 04"))
    out += [
        Seg(
            "PRV",
            "S",
            1,
            "provider information",
            f"01={_PROVIDER_CODES} ?02=9K|D3|EI|HPI|PXC|SY|TJ ?03 -04 -05 -06",
        ),
        Seg("DMG", "S", 1, "demographics", "?01=D8 ?02 ?03=F|M|U -04 -05 -06 -07 -08 -09"),
        Seg("INS", "S", 1, "relationship", "01 02"),
        Seg("HI", "S", 1, "diagnosis", "01"),
        Seg("DTP", "S", dtp_max, "date", _DTP if response else "01=102|291 02=D8|RD8 03"),
    ]
    if response:
        out.append(Seg("MPI", "S", 1, "military personnel information", "01 02"))
    return out


def _inquiry(level: str, usage: str) -> Loop:
    """2110C / 2110D of a 270: one EQ and what qualifies it."""
    return Loop(
        f"2110{level}",
        "eligibility or benefit inquiry",
        usage,
        99,
        (
            Seg(
                "EQ",
                "R",
                1,
                "eligibility or benefit inquiry",
                f"?01={SERVICE_TYPES_ALLOWED} ?02 ?03=FAM -04 ?05",
            ),
            Seg("AMT", "S", 1, "spend down amount", "01=R 02 -03"),
            Seg("AMT", "S", 1, "spend down total billed amount", "01=PB 02 -03"),
            Seg("III", "S", 1, "additional inquiry information", "01=ZZ 02"),
            Seg("REF", "S", 1, "prior authorization or referral", "01=9F|G1 02 -03 -04"),
            Seg("DTP", "S", 1, "eligibility or benefit date", "01=291 02=D8|RD8 03"),
        ),
    )


def _benefit(level: str) -> Loop:
    """2110C / 2110D of a 271: one EB and what qualifies it."""
    entity = Loop(
        f"2120{level}",
        "benefit related entity",
        "S",
        23,
        (
            Seg(
                "NM1",
                "R",
                1,
                "benefit related entity name",
                "01 02=1|2 ?03 ?04 ?05 -06 ?07 ?08 ?09 ?10 -11 -12",
            ),
            Seg("N3", "S", 1, "address", "01 ?02"),
            Seg("N4", "S", 1, "city, state, ZIP", "01 ?02 ?03 ?04 -05 -06 ?07"),
            Seg("PER", "S", 3, "contact", "01=IC ?02 ?03 ?04 ?05 ?06 ?07 ?08 -09"),
            Seg("PRV", "S", 1, "provider information", "01 ?02 ?03 -04 -05 -06"),
        ),
    )
    return Loop(
        f"2110{level}",
        "eligibility or benefit information",
        "S",
        _ANY,
        (
            Seg(
                "EB",
                "R",
                1,
                "eligibility or benefit information",
                f"01={EB01_CODES} ?02 ?03 ?04 ?05 ?06 ?07 ?08 ?09 ?10 {_EB_FLAGS}",
            ),
            Seg("HSD", "S", 9, "health care services delivery", "?01 ?02 ?03 ?04 ?05 ?06 ?07 ?08"),
            Seg("REF", "S", 9, "additional identification", "01 02 ?03 -04"),
            Seg("DTP", "S", 20, "eligibility or benefit date", _DTP),
            Seg("AAA", "S", 9, "request validation", "01=Y|N -02 ?03 04"),
            Seg("MSG", "S", 10, "message text", "01 -02 -03"),
            Loop(
                f"2115{level}",
                "additional information",
                "S",
                10,
                (Seg("III", "R", 1, "additional information", "01=GR|NI|ZZ 02 ?03"),),
            ),
            Seg("LS", "S", 1, "loop header", "01=2120"),
            entity,
            Seg("LE", "S", 1, "loop trailer", "01=2120"),
        ),
    )


def _subscriber_levels(response: bool) -> Loop:
    """2000C (with 2100C and 2110C) and its 2000D (with 2100D and 2110D)."""
    sub_refs = "18|1L|1W|3H|6P|CT|EA|EJ|F6|GH|HJ|IG|N6|NQ|SY|Y4"
    dep_refs = "18|1L|1W|6P|CT|EA|EJ|F6|GH|HJ|IF|IG|MRC|N6|SY|Y4"
    dtp_max = 9 if response else 2
    trn = Seg(
        "TRN",
        "S",
        3 if response else 2,
        "trace number",
        f"01={'1|2' if response else '1'} 02 03 ?04",
    )
    dependent = Loop(
        "2000D",
        "dependent level",
        "S",
        _ANY,
        (
            _hl("23", "04=0" if not response else "04=0|1"),
            trn,
            Loop(
                "2100D",
                "dependent name",
                "R",
                1,
                (
                    Seg(
                        "NM1",
                        "R",
                        1,
                        "dependent name",
                        f"01=03 02=1 ?03 ?04 ?05 -06 ?07 -08 -09 {_NM1_TAIL}",
                    ),
                    *_name_block(dep_refs, dtp_max, response),
                    _benefit("D") if response else _inquiry("D", "R"),
                ),
            ),
        ),
    )
    return Loop(
        "2000C",
        "subscriber level",
        "S" if response else "R",
        _ANY,
        (
            _hl("22", "04=0|1"),
            trn,
            Loop(
                "2100C",
                "subscriber name",
                "R",
                1,
                (
                    Seg(
                        "NM1",
                        "R",
                        1,
                        "subscriber name",
                        f"01=IL 02=1|2 ?03 ?04 ?05 -06 ?07 ?08=II|MI ?09 {_NM1_TAIL}",
                    ),
                    *_name_block(sub_refs, dtp_max, response),
                    _benefit("C") if response else _inquiry("C", "S"),
                ),
            ),
            dependent,
        ),
    )


def _source_and_receiver(response: bool) -> Loop:
    aaa = Seg("AAA", "S", 9, "request validation", "01=Y|N -02 ?03 04")
    source_name = [
        Seg(
            "NM1",
            "R",
            1,
            "information source name",
            f"01=2B|36|GP|P5|PR 02=1|2 03 ?04 ?05 -06 ?07 08=24|46|FI|NI|PI|XV|XX 09 {_NM1_TAIL}",
        )
    ]
    if response:
        source_name += [
            Seg(
                "PER", "S", 3, "information source contact", "01=IC ?02 ?03 ?04 ?05 ?06 ?07 ?08 -09"
            ),
            aaa,
        ]
    receiver_name = [
        Seg(
            "NM1",
            "R",
            1,
            "information receiver name",
            f"01={_RECEIVERS} 02=1|2 03 ?04 ?05 -06 ?07 08=24|34|FI|PI|PP|SV|XV|XX 09 {_NM1_TAIL}",
        ),
        Seg(
            "REF",
            "S",
            9,
            "information receiver additional identification",
            "01=0B|1C|1D|1J|4A|CT|EL|EO|HPI|JD|N5|N7|Q4|SY|TJ 02 ?03 -04",
        ),
        Seg("N3", "S", 1, "information receiver address", "01 ?02"),
        Seg("N4", "S", 1, "information receiver city, state, ZIP", "01 ?02 ?03 ?04 -05 -06 ?07"),
    ]
    if response:
        receiver_name.append(aaa)
    receiver_name.append(
        Seg(
            "PRV",
            "S",
            1,
            "information receiver provider information",
            f"01={_PROVIDER_CODES} ?02=PXC ?03 -04 -05 -06",
        )
    )
    receiver = Loop(
        "2000B",
        "information receiver level",
        "S" if response else "R",
        _ANY,
        (
            _hl("21", "04=0|1" if response else "04=1"),
            Loop("2100B", "information receiver name", "R", 1, tuple(receiver_name)),
            _subscriber_levels(response),
        ),
    )
    head: list[Seg | Loop] = [_hl("20", "04=0|1" if response else "04=1", parent=False)]
    if response:
        head.append(aaa)
    return Loop(
        "2000A",
        "information source level",
        "R",
        _ANY,
        (*head, Loop("2100A", "information source name", "R", 1, tuple(source_name)), receiver),
    )


def _header(bht: str, source: Loop) -> Loop:
    return Loop(
        "header",
        "header",
        "R",
        1,
        (Seg("BHT", "R", 1, "beginning of hierarchical transaction", bht), source),
    )


ELIGIBILITY_INQUIRY = Guide(
    "270",
    "005010X279A1",
    "HS",
    "270 eligibility, coverage or benefit inquiry",
    _header("01=0022 02=01|13 ?03 04 05 ?06=RT", _source_and_receiver(response=False)),
)

ELIGIBILITY_RESPONSE = Guide(
    "271",
    "005010X279A1",
    "HB",
    "271 eligibility, coverage or benefit information",
    _header("01=0022 02=06|11 ?03 04 05 -06", _source_and_receiver(response=True)),
)


def _stc(claim: bool) -> Seg:
    amounts = "?04 ?05 ?06 -07 ?08 ?09" if claim else "-04 -05 -06 -07 -08 -09"
    return Seg("STC", "R", _ANY, "status information", f"01 02 -03 {amounts} ?10 ?11 -12")


def _claim_loop(level: str, usage: str, answer: bool) -> Loop:
    """2200D / 2200E: one claim asked about (276) or answered (277), and its lines."""
    codes = (
        ("1K", "BLT", "LU", "EJ", "XZ", "D9")
        if not answer
        else ("1K", "BLT", "EJ", "XZ", "VV", "D9")
    )
    tail = "-03" if answer else "-03 -04"
    refs = [Seg("REF", "S", 1, f"reference {code}", f"01={code} 02 {tail}") for code in codes]
    head: list[Seg] = [
        Seg(
            "TRN", "R", 1, "claim status tracking number", f"01={'2' if answer else '1'} 02 -03 -04"
        )
    ]
    if answer:
        head.append(_stc(claim=True))
    amount = [] if answer else [Seg("AMT", "S", 1, "claim submitted charges", "01=T3 02 -03")]
    line_head = (
        [
            Seg("SVC", "R", 1, "service line information", "01 02 03 ?04 -05 ?06 07"),
            _stc(claim=False),
        ]
        if answer
        else [Seg("SVC", "R", 1, "service line information", "01 02 -03 ?04 -05 -06 ?07")]
    )
    lines = Loop(
        f"22{'2' if answer else '1'}0{level}",
        "service line information",
        "S",
        _ANY,
        (
            *line_head,
            Seg("REF", "S", 1, "service line item identification", f"01=FJ 02 {tail}"),
            Seg("DTP", "R", 1, "service line date", "01=472 02=D8|RD8 03"),
        ),
    )
    return Loop(
        f"2200{level}",
        "claim status tracking number",
        usage,
        _ANY,
        (
            *head,
            *refs,
            *amount,
            Seg("DTP", "S", 1, "claim service date", "01=472 02=D8|RD8 03"),
            lines,
        ),
    )


def _named(loop_id: str, name: str, spec: str, repeat: int = 1) -> Loop:
    """A name loop holding only its NM1."""
    return Loop(loop_id, name, "R", repeat, (Seg("NM1", "R", 1, name, f"{spec} {_NM1_TAIL}"),))


_PAYER_NAME = "01=PR 02=2 03 -04 -05 -06 -07 08=PI|XV 09"
_RECEIVER_NAME = "01=41 02=1|2 ?03 ?04 ?05 -06 -07 08=46 09"
_PROVIDER_NAME = "01=1P 02=1|2 ?03 ?04 ?05 -06 ?07 08=FI|SV|XX 09"
_SUBSCRIBER_NAME = "01=IL 02=1|2 03 ?04 ?05 -06 ?07 08=24|II|MI 09"
_PATIENT_NAME = "01=QC 02=1 03 ?04 ?05 -06 ?07 -08 -09"
_DEMOGRAPHICS = "01=D8 02 ?03=F|M|U"

_REQUEST_DEPENDENT = Loop(
    "2000E",
    "dependent level",
    "S",
    _ANY,
    (
        _hl("23", "?04=0"),
        Seg("DMG", "R", 1, "patient demographics", _DEMOGRAPHICS),
        _named("2100E", "patient name", _PATIENT_NAME),
        _claim_loop("E", "R", answer=False),
    ),
)
_REQUEST_SUBSCRIBER = Loop(
    "2000D",
    "subscriber level",
    "R",
    _ANY,
    (
        _hl("22", "04=0|1"),
        Seg("DMG", "S", 1, "subscriber demographics", _DEMOGRAPHICS),
        _named("2100D", "subscriber name", _SUBSCRIBER_NAME),
        _claim_loop("D", "S", answer=False),
        _REQUEST_DEPENDENT,
    ),
)
_REQUEST_PROVIDER = Loop(
    "2000C",
    "service provider level",
    "R",
    _ANY,
    (_hl("19", "04=1"), _named("2100C", "provider name", _PROVIDER_NAME, 2), _REQUEST_SUBSCRIBER),
)
_REQUEST_RECEIVER = Loop(
    "2000B",
    "information receiver level",
    "R",
    _ANY,
    (
        _hl("21", "04=1"),
        _named("2100B", "information receiver name", _RECEIVER_NAME),
        _REQUEST_PROVIDER,
    ),
)
STATUS_REQUEST = Guide(
    "276",
    "005010X212",
    "HR",
    "276 health care claim status request",
    _header(
        "01=0010 02=13 03 04 05 -06",
        Loop(
            "2000A",
            "information source level",
            "R",
            _ANY,
            (
                _hl("20", "04=1", parent=False),
                _named("2100A", "payer name", _PAYER_NAME),
                _REQUEST_RECEIVER,
            ),
        ),
    ),
)


def _trace(trace_type: str) -> Loop:
    level = "B" if trace_type == "2" else "C"
    return Loop(
        f"2200{level}",
        "trace identifier",
        "S",
        1,
        (Seg("TRN", "R", 1, "trace identifier", f"01={trace_type} 02 -03 -04"), _stc(claim=False)),
    )


_ANSWER_DEPENDENT = Loop(
    "2000E",
    "dependent level",
    "S",
    _ANY,
    (
        _hl("23", "-04"),
        _named("2100E", "dependent name", _PATIENT_NAME),
        _claim_loop("E", "R", answer=True),
    ),
)
_ANSWER_SUBSCRIBER = Loop(
    "2000D",
    "subscriber level",
    "S",
    _ANY,
    (
        _hl("22", "04=0|1"),
        _named("2100D", "subscriber name", _SUBSCRIBER_NAME),
        _claim_loop("D", "S", answer=True),
        _ANSWER_DEPENDENT,
    ),
)
_ANSWER_PROVIDER = Loop(
    "2000C",
    "service provider level",
    "S",
    _ANY,
    (
        _hl("19", "04=0|1"),
        _named("2100C", "provider name", _PROVIDER_NAME, 2),
        _trace("1"),
        _ANSWER_SUBSCRIBER,
    ),
)
_ANSWER_RECEIVER = Loop(
    "2000B",
    "information receiver level",
    "R",
    _ANY,
    (
        _hl("21", "04=0|1"),
        _named("2100B", "information receiver name", _RECEIVER_NAME),
        _trace("2"),
        _ANSWER_PROVIDER,
    ),
)
_PAYER_CONTACT = "01=IC ?02 03=ED|EM|FX|TE 04 ?05 ?06 ?07 ?08 -09"
STATUS_RESPONSE = Guide(
    "277",
    "005010X212",
    "HN",
    "277 health care claim status response",
    _header(
        "01=0010 02=08 03 04 05 06=DG",
        Loop(
            "2000A",
            "information source level",
            "R",
            _ANY,
            (
                _hl("20", "04=1", parent=False),
                Loop(
                    "2100A",
                    "payer name",
                    "R",
                    1,
                    (
                        Seg("NM1", "R", 1, "payer name", f"{_PAYER_NAME} {_NM1_TAIL}"),
                        Seg("PER", "S", 1, "payer contact", _PAYER_CONTACT),
                    ),
                ),
                _ANSWER_RECEIVER,
            ),
        ),
    ),
)

GUIDES = {
    "270": ELIGIBILITY_INQUIRY,
    "271": ELIGIBILITY_RESPONSE,
    "276": STATUS_REQUEST,
    "277": STATUS_RESPONSE,
}
