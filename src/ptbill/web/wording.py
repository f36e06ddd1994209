"""The workflow's messages in the pages' words.

The ledger writes its messages for the command line ("then `ptbill correct V-1` and submit
again"), and keeps them (a work item's detail is stored when it is made). On a page the same
advice names the button or the page that does it: `for_web` rewrites each `ptbill COMMAND`
the workflow names. The admin's commands with no page (reference data, users, tokens) stay
as they are: that is where they are done.
"""

from __future__ import annotations

import re

# Whole phrases first (a command's own verb), then any mention of a command.
_PHRASES = [
    (
        re.compile(r"then `ptbill correct [^`]*` and submit again"),
        'then make a corrected claim (the "Corrected claim" button) and submit it again',
    ),
]
_PAGES = {
    "correct": 'the "Corrected claim" button',
    "appeal": 'the "Appeal letter" button',
    "writeoff": 'the "Write off" button',
    "import": '"Import visits" on the work queue (or "Fix the visit and scrub again")',
    "submit": '"Submit" on the Submissions page',
    "post": "the Remittances page",
    "ack-apply": "the Submissions page",
    "ack": "the Acknowledgements page",
    "remit": "the Remittances page",
    "worklist": "the work queue",
    "report": "the dashboard",
    "show": "the claim's page",
    "export": "the Export page",
    "balance": "the patient's account page",
    "pay": '"Record the payment" on the patient\'s account page',
    "refund": '"Record the refund" on the patient\'s account page',
    "patient-writeoff": '"Write off the balance" on the patient\'s account page',
    "coverage": '"Add the coverage" on the patient\'s account page',
    "rescrub": '"Scrub again" on the work queue',
    "statements": "the Statements page",
    "payer-refund": '"Record the refund to the payer" on the claim\'s page',
    "resolve": '"Close with a note" on the work queue',
}
_NAMES = "|".join(map(re.escape, _PAGES))
_COMMAND = re.compile(rf"`ptbill ({_NAMES})(?: [^`]*)?`")


def for_web(text: str | None) -> str:
    """`text` with each command the pages do replaced by the button or page that does it."""
    if not text or "`ptbill " not in text:
        return text or ""
    for pattern, words in _PHRASES:
        text = pattern.sub(words, text)
    return _COMMAND.sub(lambda m: _PAGES[m.group(1)], text)
