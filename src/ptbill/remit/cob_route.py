"""Which claim of a visit an 835's claim payment belongs to, by the payer that sent it.

A visit billed to several payers has a claim per payer (ptbill.ledger.secondary): the primary
numbered as the visit, the next ones `-S` and `-T`. A crossover payer answers with the
primary's claim number (the primary payer forwarded that claim), and any payer may quote
another claim's number. So when the claim a payment matched is one of such a chain, the
payment posts to the chain's claim of the payer that sent it (N1*PR: its id, else its name);
a payer that is none of the chain's is the wrong payer: a work item, not a silent post.
Claims billed to one payer post as before, whoever sent the 835.
"""

from __future__ import annotations

from ptbill.ledger import models as m
from ptbill.remit.post_match import Matcher, PostedClaim, select_in
from ptbill.x12 import RemittanceAdvice

_SECONDARY_SQL = (
    "SELECT id, primary_claim_id FROM claims WHERE primary_claim_id IS NOT NULL AND id IN ({})"
)
_CHAIN_SQL = (
    "SELECT id, primary_claim_id, claim_number, payer_id FROM claims WHERE primary_claim_id IN ({})"
)
_HEAD_SQL = "SELECT id, claim_number, payer_id FROM claims WHERE id IN ({})"

Routed = tuple[PostedClaim | None, str | None]


class Router:
    def __init__(self, matcher: Matcher, payers: dict[int, m.Payer]) -> None:
        self.matcher, self.payers = matcher, payers

    def _payer_of(self, payment: RemittanceAdvice) -> set[int]:
        """The ledger's payers that the payment's N1*PR names."""
        name = payment.payer.strip().upper()
        return {
            p.id
            for p in self.payers.values()
            if (payment.payer_id and p.payer_id == payment.payer_id)
            or (name and p.name.strip().upper() == name)
        }

    def route(self, payment: RemittanceAdvice, matched: list[PostedClaim | None]) -> list[Routed]:
        found = {c.id: c for c in matched if c is not None}
        if not found:
            return [(c, None) for c in matched]
        conn = self.matcher.conn
        heads = {cid: cid for cid in found}
        heads.update(dict(select_in(conn, _SECONDARY_SQL, list(found))))
        # chain: head id -> {payer id: claim number}
        chains: dict[int, dict[int, str]] = {}
        for _, head, number, payer in select_in(conn, _CHAIN_SQL, list(set(heads.values()))):
            chains.setdefault(head, {})[payer] = number
        if not chains:
            return [(c, None) for c in matched]
        for cid, number, payer in select_in(conn, _HEAD_SQL, list(chains)):
            chains[cid][payer] = number
        senders = self._payer_of(payment)
        out: list[Routed] = []
        for c in matched:
            chain = chains.get(heads[c.id]) if c is not None else None
            if c is None or chain is None:
                out.append((c, None))
                continue
            mine = [number for payer, number in chain.items() if payer in senders]
            if not mine:
                billed = ", ".join(sorted(self.payers[p].key for p in chain if p in self.payers))
                out.append(
                    (
                        c,
                        f"paid by {payment.payer or payment.payer_id or 'a payer'}, which is "
                        f"none of the payers this visit was billed to ({billed}): not posted; "
                        "check the 835's payer, then return the money or post it by hand",
                    )
                )
                continue
            if mine[0] != c.claim_number:
                self.matcher._load([mine[0]])
                target = self.matcher.claims[mine[0]]
                self.matcher._load_lines([target.id])
                c = target
            out.append((c, None))
        return out
