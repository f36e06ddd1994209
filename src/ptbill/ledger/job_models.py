"""The ledger's job queue (migration 0008): work that takes longer than a request (an import,
an 835 posting) runs as a job, claimed by one worker at a time (ptbill.ledger.jobs).

A job records who started it (the audit name, and the workbench user's id when a user did)
and for which clinics (none: for every clinic, which only a company-wide user sees). Its input
(an uploaded file) is kept in `job_inputs` until the job ends, so that a worker on another
machine can read it; its result and its errors are JSON text.

The timestamps are the clock's (UTC): they time the work and let a worker tell a dead
worker's job (no heartbeat for the lease) from a running one; no billing decision reads them.

Imported by ptbill.ledger.models, so that one metadata holds every ledger table.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ptbill.ledger.base import Base


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_state_id", "state", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # import, post...
    state: Mapped[str] = mapped_column(String(10))  # queued running done failed cancelled
    name: Mapped[str] = mapped_column(String(300))  # what it works on: the file's name
    params: Mapped[str] = mapped_column(Text)  # JSON: as_of, the file's format...
    who: Mapped[str] = mapped_column(String(64))  # as the audit log names the one who acts
    user_id: Mapped[int | None] = mapped_column(Integer, index=True)  # web_users.id
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(100))  # host:pid:thread of the claim
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    done_count: Mapped[int] = mapped_column(Integer, default=0)  # progress: items done
    total_count: Mapped[int | None] = mapped_column(Integer)  # of how many (None: unknown)
    checkpoint: Mapped[str | None] = mapped_column(Text)  # JSON: what committed batches did
    result: Mapped[str | None] = mapped_column(Text)  # JSON, when done
    errors: Mapped[str | None] = mapped_column(Text)  # JSON list of problems, when failed


class JobClinic(Base):
    """A clinic the job works for (the clinics its user could change when it was started)."""

    __tablename__ = "job_clinics"
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), primary_key=True, index=True)


class JobInput(Base):
    """The file a job reads, removed when the job ends."""

    __tablename__ = "job_inputs"
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
