"""Documentation: a signed note, a purpose and response for every billed timed code, and the
total times (billing-rules.md D-9, U-9, D-13)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ptbill.reference.catalog import catalog
from ptbill.scrub.findings import Hit
from ptbill.scrub.params import NoParams, Params, param
from ptbill.scrub.registry import rule
from ptbill.scrub.review import Needs, Review
from ptbill.scrub.rules._dates import days_after


@rule("DOC-UNSIGNED", "documentation", "error", ("D-9", "MBPM15-220.3E"))
def unsigned(r: Review, p: NoParams) -> Iterator[Hit]:
    """A treatment note that is not signed.

    *What it checks*: the visit has `signed` (the signer's NPI and the date).
    *Why payers care*: every treatment note must carry the signature and professional
    identification of who furnished or supervised the service (D-9); unsigned notes do not
    support the claim on review.
    *Fails*: `"signed": null`.
    *Passes*: `"signed": {"by_npi": "1234567893", "date": "2026-03-02"}`.
    *Fix*: have the treating therapist sign the note, then bill.
    """
    if r.visit.signed is None:
        yield Hit(
            f"the treatment note for {r.dos} is not signed",
            "have the treating therapist sign the note before billing",
        )


@dataclass(frozen=True, slots=True)
class SignatureParams(Params):
    late_days: int = param(7, "a signature more than this many days after the visit is late")


@rule(
    "DOC-SIGNATURE-DATE",
    "documentation",
    "error",
    ("D-9", "D-13", "MBPM15-220.3"),
    params=SignatureParams,
    needs=Needs.SIGNED,
)
def signature_date(r: Review, p: SignatureParams) -> Iterator[Hit]:
    """A note signed before the visit, after the as-of date, or long after the visit.

    *What it checks*: the signature date is on or after the date of service and on or before
    the as-of date; more than `late_days` (7) after the visit is a warning.
    *Why payers care*: a note signed before the service did not document it; contractors
    expect notes in the record within about a week (D-13).
    *Fails*: date of service 2026-03-02, signed 2026-03-01.
    *Passes*: signed 2026-03-02.
    *Fix*: correct the signature date, or sign the note now and let the late date stand.
    """
    s = r.visit.signed
    if s is None:
        return
    if s.date < r.dos:
        yield Hit(
            f"the note is signed {s.date}, before the date of service {r.dos}",
            "correct the signature date",
        )
    elif s.date > r.as_of:
        yield Hit(
            f"the note is signed {s.date}, after the as-of date {r.as_of}",
            "correct the signature date",
        )
    elif s.date > days_after(r.dos, p.late_days):
        yield Hit(
            f"the note for {r.dos} was signed {s.date}, {(s.date - r.dos).days} days later",
            "sign notes within a week of the visit",
            severity="warning",
        )


@rule("DOC-SIGNER", "documentation", "warning", ("D-9",), needs=Needs.SIGNED)
def signer(r: Review, p: NoParams) -> Iterator[Hit]:
    """A note signed by someone other than the rendering or supervising provider.

    *What it checks*: `signed.by_npi` is the rendering or the supervising provider's NPI.
    *Why payers care*: the signature must be of the person who furnished or supervised the
    service (D-9).
    *Fails*: signed by 1245319599 with rendering provider 1234567893.
    *Passes*: signed by 1234567893.
    *Fix*: have the treating (or supervising) therapist sign the note.
    """
    s, v = r.visit.signed, r.visit
    if s is None or s.by_npi == v.rendering_provider.npi:
        return
    if v.supervising_provider is None or s.by_npi != v.supervising_provider.npi:
        yield Hit(
            f"the note is signed by NPI {s.by_npi}, who is neither the rendering nor the "
            "supervising provider",
            "have the treating or supervising therapist sign",
        )


@rule("DOC-NOTE-MISSING", "documentation", "error", ("D-9", "U-8", "THERAPYCOMPLY-TN"))
def note_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """A billed timed code without a note of its purpose and the patient's response.

    *What it checks*: every service behind a billed timed line has `note.purpose` and
    `note.response`.
    *Why payers care*: the note must describe each billed intervention in terms comparable to
    the code (D-9): the purpose of the exercise, the time spent and the progress made. Skilled
    one-on-one time is what a timed code bills (U-8).
    *Fails*: `{"code": "97110", "minutes": 24}` with no note.
    *Passes*: `{"code": "97110", "minutes": 24, "note": {"purpose": "quad strength for stairs",
    "response": "3x10 with cues"}}`.
    *Fix*: have the therapist document the purpose and the patient's response for the code.
    """
    services = r.visit.services
    for n, line in r.billed:
        info = r.code_info[line.code]
        if info is None or not info.timed:
            continue
        for i in line.services:
            s = services[i]
            n_ = s.note
            if n_ is not None and (n_.purpose or "").strip() and (n_.response or "").strip():
                continue  # the usual service: both written
            missing = [
                k for k in ("purpose", "response") if not (n_ and (getattr(n_, k) or "").strip())
            ]
            if missing:
                yield Hit(
                    f"{s.code} ({s.minutes} min) is billed without a note of its "
                    f"{' and '.join(missing)}",
                    f"document the {' and '.join(missing)} of {s.code}",
                    n,
                )
                break


@rule(
    "DOC-TOTALS-MISSING",
    "documentation",
    "error",
    ("U-9", "D-9", "MBPM15-220.3E", "AAPC-TOTALTIME"),
)
def totals_missing(r: Review, p: NoParams) -> Iterator[Hit]:
    """A note without its total timed minutes or total treatment minutes.

    *What it checks*: when timed codes are billed, `total_timed_minutes` is given; and
    `total_treatment_minutes` is always given.
    *Why payers care*: the treatment note must show total timed-code minutes and total
    treatment minutes (U-9, D-9, AAPC-TOTALTIME); reviewers deny units the totals do not
    support.
    *Fails*: a 97110 visit without `total_timed_minutes`.
    *Passes*: `"total_timed_minutes": 24, "total_treatment_minutes": 30`.
    *Fix*: record both totals in the note.
    """
    missing = []
    if r.visit.total_timed_minutes is None and _bills_timed_code(r):
        missing.append("total timed minutes")
    if r.visit.total_treatment_minutes is None:
        missing.append("total treatment minutes")
    if missing:
        yield Hit(
            f"the note does not record its {' or '.join(missing)}",
            f"record the {' and '.join(missing)} in the note",
        )


def _bills_timed_code(r: Review) -> bool:
    return any(
        r.code_info[x.code] is not None and r.code_info[x.code].timed  # type: ignore[union-attr]
        for _, x in r.billed
    )


@rule("DOC-TREATMENT-MINUTES", "documentation", "error", ("U-7", "U-9", "D-9"))
def treatment_minutes(r: Review, p: NoParams) -> Iterator[Hit]:
    """Total treatment minutes that do not cover the timed (and untimed) minutes.

    *What it checks*: `total_treatment_minutes` is at least the timed minutes (error) and at
    least the timed plus the documented untimed minutes (warning).
    *Why payers care*: total treatment time is timed plus untimed time (U-7, D-9); a total
    smaller than its parts means one of the numbers is wrong, and the units rest on them.
    *Fails*: 97110 24 min + 97140 13 min with `"total_treatment_minutes": 30`.
    *Passes*: `"total_treatment_minutes": 45`.
    *Fix*: correct the total treatment minutes (or the per-code minutes).
    """
    total = r.visit.total_treatment_minutes
    if total is None:
        return
    timed = r.coded.total_timed_minutes
    if total < timed:
        yield Hit(
            f"total treatment minutes {total} are fewer than the {timed} timed minutes",
            "correct total_treatment_minutes (timed + untimed minutes)",
        )
        return
    untimed = 0
    known = catalog()
    for s in r.visit.services:
        info = known.get(s.code)
        if info is None or not info.timed:
            untimed += s.minutes or 0
    if total < timed + untimed:
        yield Hit(
            f"total treatment minutes {total} are fewer than {timed} timed + {untimed} "
            "untimed minutes documented",
            "correct total_treatment_minutes",
            severity="warning",
        )
