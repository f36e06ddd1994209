"""A real process running one exchange cycle that kills itself (SIGKILL: no handler, no
cleanup, as `kill -9` or a power cut) at a chosen step of its first upload, for
tests.payers.test_exchange_once:

- `sending`: the file is written whole under its temporary name, not yet recorded as placed;
- `placed`: recorded as placed, not yet renamed;
- `renamed`: renamed on the server, not yet recorded as sent.
- `hold`: no kill: the run waits in its first upload until the file named by argv[4] exists
  (a run that is going, for another process to be refused by).

python -m tests.payers.exchange_victim DB_URL HOUSE_JSON STEP [FLAG]
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ptbill.config import load_config
from ptbill.config.profiles import Clearinghouse
from ptbill.exchange import mailbox
from ptbill.exchange.run import run_exchange
from ptbill.ledger.db import Ledger
from tests.ledger.helpers import SUBMIT_DAY


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def main(url: str, house_json: str, step: str, flag: str = "") -> None:
    house = Clearinghouse.model_validate_json(house_json)
    config = load_config(None)
    config = config.model_copy(update={"clearinghouses": {"ch": house}})
    kind = mailbox.SftpMailbox if house.host else mailbox.LocalMailbox
    real = kind.upload

    def upload(self: object, name: str, data: bytes, placed: Callable[[], None]) -> str:
        if step == "hold":
            print("holding", flush=True)
            while not Path(flag).exists():
                time.sleep(0.05)
            return real(self, name, data, placed)  # type: ignore[arg-type]

        def then() -> None:
            if step == "sending":
                _die()
            placed()
            if step == "placed":
                _die()

        done = real(self, name, data, then)  # type: ignore[arg-type]
        _die()  # renamed
        return done

    kind.upload = upload  # type: ignore[method-assign, assignment]
    with Ledger(url) as ledger:
        run_exchange(ledger, config, as_of=SUBMIT_DAY, who="cron")


if __name__ == "__main__":
    main(*sys.argv[1:])
