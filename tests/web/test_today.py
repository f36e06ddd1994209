"""The web's default business date is today in the company's time zone, as the CLI's is."""

from __future__ import annotations

import datetime as dt

from ptbill.web.settings import WebSettings


def test_the_default_business_date_is_today_in_the_company_time_zone(monkeypatch) -> None:
    frozen = dt.date(2026, 5, 1)
    assert WebSettings(today=frozen).current_date() == frozen
    assert WebSettings(today=frozen, as_of=dt.date(2026, 1, 2)).current_date() == frozen
    # 03:30 UTC on May 2nd is still May 1st in Chicago, and already May 2nd in Tokyo.
    instant = dt.datetime(2026, 5, 2, 3, 30, tzinfo=dt.UTC)

    class Clock(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Clock:  # type: ignore[override]
            return instant.astimezone(tz)  # type: ignore[return-value]

    monkeypatch.setattr("ptbill.web.settings.dt.datetime", Clock)
    assert WebSettings(timezone="America/Chicago").current_date() == dt.date(2026, 5, 1)
    assert WebSettings(timezone="Asia/Tokyo").current_date() == dt.date(2026, 5, 2)
    monkeypatch.setenv("PTBILL_TODAY", "2026-04-30")
    assert WebSettings.from_env().current_date() == dt.date(2026, 4, 30)
