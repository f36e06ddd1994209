"""What `ptbill`'s exit status means, command by command: one table, shown by `ptbill --help`
and written in the README (a test keeps the two the same).

0 is done, 2 is bad input or a failing database (nothing changed, nothing half-written), and
1 is a finding a script may want to stop on: the checks (scrub, claim) keep 1 for blocked
like a linter, while the commands that store work (import, post) exit 0 when the work was
stored, and 1 only where a person must look.
"""

from __future__ import annotations

# (commands, 0, 1, 2)
EXIT_CODES: tuple[tuple[str, str, str, str], ...] = (
    (
        "scrub, claim",
        "every visit is ready",
        "a visit is blocked (claim: its 837P is written without it)",
        "bad input: nothing printed",
    ),
    ("code", "coded", "-", "bad input: nothing printed"),
    ("price", "priced", "a line could not be priced", "bad input: nothing printed"),
    (
        "import",
        "every visit was stored (blocked claims are work: see the summary and `worklist`)",
        "with --strict, a visit is blocked",
        "bad input: nothing stored",
    ),
    (
        "post",
        "posted, or every payment already posted before (nothing changes)",
        "posted, but a claim in it matched nothing in the ledger, or it opened work items "
        "(denials, underpayments, overpayments)",
        "bad input: nothing posted",
    ),
    (
        "ack-apply, status read, eligibility apply",
        "applied, or applied before (said with its date; nothing changes)",
        "-",
        "bad input: nothing applied",
    ),
    ("remit", "read", "a total does not balance", "bad input"),
    ("ack", "read", "a claim or the file was rejected", "bad input"),
    (
        "eligibility read",
        "read",
        "someone's coverage is inactive, or the payer returned errors",
        "bad input",
    ),
    (
        "exchange run",
        "done",
        "a file had problems",
        "the exchange failed (the mailbox could not be used, or the run was interrupted), or "
        "it was refused: another run of that clearinghouse is going (nothing done)",
    ),
    ("correct", "corrected", "the corrected claim would still be blocked", "bad input"),
    ("rescrub", "ready now", "still blocked (its findings are work items)", "bad input"),
    (
        "writeoff, appeal, rescrub, correct --from-stdin",
        "every claim was done",
        "a claim was refused or failed (each listed; the others were done)",
        "bad input: nothing done",
    ),
    ("jobs show", "queued, running or done", "it failed or was cancelled", "bad input"),
    (
        "every other command",
        "done",
        "-",
        "bad input, or the database failed: nothing changed",
    ),
)


# Whatever the command: its output (the terminal, a pipe's file, -o) could not be written.
OUTPUT_FAILED = (
    "Any command exits 2 when its output cannot be written (a full disk, a failing device), "
    "saying so on stderr; what it stored before that stays stored."
)


def markdown_table() -> str:
    rows = ["| command | 0 | 1 | 2 |", "| --- | --- | --- | --- |"]
    rows += [f"| {' | '.join(row)} |" for row in EXIT_CODES]
    return "\n".join(rows)


def help_text() -> str:
    """The table for `ptbill --help` (click keeps a paragraph that starts with \\b as it is)."""
    lines = ["\b", "Exit status:"]
    for command, ok, found, bad in EXIT_CODES:
        lines.append(f"  {command}")
        lines += [f"    0 {ok}", *([f"    1 {found}"] if found != "-" else []), f"    2 {bad}"]
    return "\n".join(lines) + "\n\n" + OUTPUT_FAILED
