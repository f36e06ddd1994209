"""The reference snapshot: the releases of a data folder at one moment, passed down from the
edge that took it. What it holds is fixed when it is taken; it travels to worker processes as
its description; a release file replaced behind its back is refused, never read."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from ptbill.errors import InputError
from ptbill.reference.importers.pfs import PFS_KIND, import_pfs, stored_pfs_releases
from ptbill.reference.snapshot import BUNDLED_ONLY, take_snapshot

FIXTURES = Path(__file__).parents[1] / "pricing" / "fixtures"
PFS_2025 = FIXTURES / "PPRRVU2025_fixture.csv"


def test_a_missing_folder_or_none_holds_no_release(tmp_path: Path) -> None:
    assert take_snapshot(None) is BUNDLED_ONLY
    empty = take_snapshot(tmp_path / "nowhere")
    assert empty.names(PFS_KIND) == () and stored_pfs_releases(empty) == []
    assert empty != BUNDLED_ONLY  # it names its folder (error messages do too)


def test_it_holds_what_the_folder_held_when_taken(tmp_path: Path) -> None:
    before = take_snapshot(tmp_path)
    import_pfs(tmp_path, PFS_2025)
    after = take_snapshot(tmp_path)
    assert before.names(PFS_KIND) == () and after.names(PFS_KIND) == ("PPRRVU2025_fixture",)
    assert [r.name for r in stored_pfs_releases(after)] == ["PPRRVU2025_fixture"]
    assert stored_pfs_releases(before) == []
    # Taken again from an unchanged folder: an equal snapshot, as a memo key too.
    again = take_snapshot(tmp_path)
    assert again == after and hash(again) == hash(after) and again != before
    assert again.key == after.key != before.key  # what memos key on


def test_it_pickles_as_its_description(tmp_path: Path) -> None:
    import_pfs(tmp_path, PFS_2025)
    snapshot = take_snapshot(tmp_path)
    before_reading = len(pickle.dumps(snapshot))
    (release,) = stored_pfs_releases(snapshot)  # read and kept on the snapshot
    assert stored_pfs_releases(snapshot)[0] is release
    sent = pickle.dumps(snapshot)
    assert len(sent) == before_reading < 1000  # the tables stay behind
    copy = pickle.loads(sent)
    assert copy == snapshot
    assert stored_pfs_releases(copy) == [release]  # read again from the files it names


def test_a_release_replaced_after_the_snapshot_is_refused(tmp_path: Path) -> None:
    import_pfs(tmp_path, PFS_2025)
    snapshot = take_snapshot(tmp_path)
    path = tmp_path / PFS_KIND / "PPRRVU2025_fixture.csv"
    stamp = path.stat()
    import_pfs(tmp_path, PFS_2025)  # the same release imported again: a new file
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns + 1))  # even within one tick
    with pytest.raises(InputError) as e:
        stored_pfs_releases(snapshot)
    assert e.value.field == "pfs release 'PPRRVU2025_fixture'"
    assert "run the command again" in e.value.fix
    assert [r.name for r in stored_pfs_releases(take_snapshot(tmp_path))] == ["PPRRVU2025_fixture"]


def test_memos_belong_to_their_snapshot(tmp_path: Path) -> None:
    a, b = take_snapshot(tmp_path), take_snapshot(tmp_path / "other")
    a.memo("unit_amount")["x"] = 1
    assert a.memo("unit_amount") == {"x": 1} and b.memo("unit_amount") == {}
    assert pickle.loads(pickle.dumps(a)).memo("unit_amount") == {}
