"""atomic_write: the target is replaced whole or not at all, with the usual permissions."""

import os
import stat

import pytest

from convlens._atomic import atomic_write


def test_file_gets_umask_permissions_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "a.bin") as stream:
            stream.write(b"data")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "a.bin").st_mode) == 0o644
    assert (tmp_path / "a.bin").read_bytes() == b"data"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_write(target, "w") as stream:
            stream.write("new, half written")
            raise RuntimeError("disk on fire")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_mode_is_validated(tmp_path):
    with pytest.raises(ValueError, match="mode must be 'w' or 'wb'; got 'a'"):
        with atomic_write(tmp_path / "x", "a"):
            pass
