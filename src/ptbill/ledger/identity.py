"""What identifies a payment, and a claim payment, whatever file it came in.

An 835 re-saved with other line ends, sent again under a new ISA13, or carrying an earlier
payment beside a new one has other bytes than the file first posted: its sha256 tells nothing.
What stays is what the payer said:

- a payment (BPR/TRN) is its payer (N1*PR's id, else its name), its trace number (TRN02: the
  check or EFT number, unique per payer), its amount (BPR02) and its date (BPR16);
- a claim payment (CLP) is its payer, the claim it is for (CLP01), the payer's claim control
  number (CLP07), and its charge and payment (CLP03, CLP04) as amounts without their sign, so
  that a reversal (CLP02 22, negated amounts) has the identity of the decision it reverses.

Each is a sha256 of those values as stored in the ledger (payments.identity,
claim_payments.identity; migration 0005 computed them for the rows posted before), so the
database's unique indexes hold them even when two postings run at once. Changing what goes
into an identity needs a migration that computes the column again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

# The unit separator cannot occur in X12 element values as stored.
_SEP = "\x1f"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def payer_of(identifier: str, name: str) -> str:
    """The payer as a payment's identity names it: its id, else its name (as stored)."""
    return identifier[:80] or f"name:{name[:60]}"


def payment_identity(
    payer: str, trace_number: str, amount: Decimal, payment_date: dt.date | None
) -> str | None:
    """None for a payment without a trace number (nothing identifies it)."""
    trace = trace_number[:50]
    if not trace:
        return None
    when = payment_date.isoformat() if payment_date else ""
    return _digest(f"payment{_SEP}{payer}{_SEP}{trace}{_SEP}{amount:.2f}{_SEP}{when}")


def claim_payment_identity(
    payer: str, claim_number: str, control_number: str, charge: Decimal, paid: Decimal
) -> str | None:
    """None for a claim payment without the payer's control number (CLP07)."""
    icn = control_number[:50]
    if not icn:
        return None
    # One f-string: this runs for every claim an 835 posts.
    return _digest(
        f"claim{_SEP}{payer}{_SEP}{claim_number[:38]}{_SEP}{icn}{_SEP}{abs(charge):.2f}{_SEP}"
        f"{abs(paid):.2f}"
    )
