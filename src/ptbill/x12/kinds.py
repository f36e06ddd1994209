"""What kind of X12 file this is, from its envelope: the functional group (GS01), its version
(GS08) and transaction set (ST01), or a TA1 with no group at all.

ptbill reads 835 remittances (`ptbill remit`, `ptbill post`), 999, 277CA and TA1
acknowledgments (`ptbill ack`, `ptbill ack-apply`), 271 eligibility responses (`ptbill
eligibility read`) and 277 claim status responses (`ptbill status read`); it writes 837P claims,
270 inquiries and 276 requests. A file of another
kind given to a reader is refused by naming what it is and what reads it (`WrongKind`), never
with advice about a damaged file.
"""

from __future__ import annotations

from dataclasses import dataclass

from ptbill.errors import InputError
from ptbill.x12.errors import X12Error

# What to do about a damaged file of each kind ptbill reads (by FileKind.reads).
DAMAGED = {
    "remit": "check that this is the whole 835 file as the payer sent it (005010X221A1); if "
    "it was cut or altered, ask the payer or clearinghouse to send it again",
    "ack": "check that this is the whole 999, 277CA or TA1 file as it was received; if it was "
    "cut or altered, ask the clearinghouse to send it again",
}
# The ptbill commands that read a kind (FileKind.reads), and what they do with it.
READERS = {
    "ack": "read it with `ptbill ack`; `ptbill ack-apply` applies it to the ledger",
    "remit": "read it with `ptbill remit`; `ptbill post` posts it to the ledger",
    "eligibility": "read it with `ptbill eligibility read`; `ptbill eligibility apply` applies "
    "it to the ledger",
    "status": "apply it with `ptbill status read`",
}
_CLAIMS_FIX = (
    "ptbill writes 837 claims and reads the answers to them: give it the 999, 277CA or 835 "
    "that came back"
)
# What ptbill writes, and the answer to give it instead (by label).
_REQUESTS = {
    "270": "ptbill writes 270 inquiries (`ptbill eligibility request`) and reads the 271 "
    "answers: give it the 271 that came back",
    "276": "ptbill writes 276 requests (`ptbill status request`) and reads the 277 answers: "
    "give it the 277 that came back",
}


@dataclass(frozen=True, slots=True)
class FileKind:
    """One kind of X12 file: its short label, what it is in words, and the ptbill command that
    reads it (None: none does)."""

    label: str  # 835, 999, 277CA, TA1, 837P...
    what: str  # "a 999 acknowledgment"
    reads: str | None = None

    @property
    def fix(self) -> str:
        """What to do with a file of this kind (in the command line's words)."""
        if self.reads is not None:
            return READERS[self.reads]
        if self.label.startswith("837"):
            return _CLAIMS_FIX
        if self.label in _REQUESTS:
            return _REQUESTS[self.label]
        return (
            f"ptbill does not read {self.label} files yet; look the "
            "answer up in the payer's "
            "or clearinghouse's portal"
        )


KIND_835 = FileKind("835", "an 835 remittance", "remit")
KIND_999 = FileKind("999", "a 999 acknowledgment", "ack")
KIND_277CA = FileKind("277CA", "a 277CA claim acknowledgment", "ack")
KIND_TA1 = FileKind("TA1", "a TA1 interchange acknowledgment", "ack")
_997 = FileKind("997", "a 997 functional acknowledgment (the 4010 form of the 999)")
KIND_277 = FileKind("277", "a 277 claim status response", "status")
KIND_270 = FileKind("270", "a 270 eligibility inquiry")
KIND_271 = FileKind("271", "a 271 eligibility response", "eligibility")
KIND_276 = FileKind("276", "a 276 claim status request")
KIND_837P = FileKind("837P", "an 837P professional claim")
_837 = {
    "X222": KIND_837P,
    "X098": KIND_837P,
    "X223": FileKind("837I", "an 837I institutional claim"),
    "X096": FileKind("837I", "an 837I institutional claim"),
    "X224": FileKind("837D", "an 837D dental claim"),
    "X097": FileKind("837D", "an 837D dental claim"),
}
_OTHER_GROUPS = {
    "HC": FileKind("837", "an 837 claim"),
    "HS": KIND_270,
    "HB": KIND_271,
    "HR": KIND_276,
    "HI": FileKind("278", "a 278 services review"),
    "BE": FileKind("834", "an 834 benefit enrollment"),
    "RA": FileKind("820", "an 820 premium payment"),
}


def kind_of_group(gs01: str, version: str) -> FileKind | None:
    """The kind of a functional group by GS01 and GS08 (None: a group ptbill does not know)."""
    release = version[6:10]  # 005010X221A1 -> X221
    if gs01 == "HP":
        return KIND_835
    if gs01 == "FA":
        return KIND_999 if release != "X230" and not version.startswith("004") else _997
    if gs01 == "HN":
        return KIND_277CA if release == "X214" else KIND_277
    if gs01 == "HC":
        return _837.get(release, _OTHER_GROUPS["HC"])
    return _OTHER_GROUPS.get(gs01)


class WrongKind(X12Error):
    """A file (or group) of another kind than the reader's: `found` says what it is."""

    def __init__(self, found: FileKind, wanted: str, *, element: str | None = None) -> None:
        self.found = found
        super().__init__(f"this is {found.what}, not {wanted}", element=element)


class WrongKindError(InputError):
    """The InputError for a file of another kind; `found` lets an edge word the fix its way."""

    def __init__(self, file: str, field: str | None, problem: str, found: FileKind) -> None:
        self.found = found
        super().__init__(file, problem, found.fix, field=field)

    def reworded(self, fix: str) -> InputError:
        return InputError(self.file, self.problem, fix, field=self.field)


def input_error(file: str, error: X12Error, reader: str) -> InputError:
    """The InputError for an X12Error met by `reader` (remit or ack) reading `file`: a file of
    another kind is named with what reads it; any other error gets what to do about a damaged
    file."""
    where = error.where() or None
    if isinstance(error, WrongKind):
        return WrongKindError(file, where, error.problem, error.found)
    return InputError(file, error.problem, error.fix or DAMAGED[reader], field=where)
