"""Fixtures for the payer tests: the ledger on SQLite and PostgreSQL (tests.ledger), and a real
OpenSSH server for the clearinghouse mailbox (tests.payers.sshd)."""

from tests.ledger.conftest import config, db_url, ledger  # noqa: F401
from tests.payers.sshd import sshd  # noqa: F401
