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


def test_umask_is_never_touched_while_writing(tmp_path, monkeypatch):
    # The old code set the umask to 0 for a moment: a file another thread created then came
    # out 0o666. Writing must not call os.umask at all.
    calls = []
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or 0o022)
    with atomic_write(tmp_path / "a.bin") as stream:
        stream.write(b"x")
    assert calls == []


def test_threads_writing_at_once_all_get_the_umask_permissions(tmp_path):
    import threading

    def write(i):
        for j in range(20):
            with atomic_write(tmp_path / f"f{i}-{j}", "w") as stream:
                stream.write("x")

    def create_plain(i):
        for j in range(20):
            (tmp_path / f"plain{i}-{j}").write_text("x")

    threads = [threading.Thread(target=f, args=(i,)) for i in range(3)
               for f in (write, create_plain)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = 0o666 & ~_current_umask()
    modes = {stat.S_IMODE(os.stat(p).st_mode) for p in tmp_path.iterdir()}
    assert modes == {expected}


def _current_umask():
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_an_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "script.sh"
    target.write_text("old")
    os.chmod(target, 0o750)
    with atomic_write(target, "w") as stream:
        stream.write("new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o750
    assert target.read_text() == "new"


def test_a_symlink_is_kept_and_its_target_replaced(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with atomic_write(link, "w") as stream:
        stream.write("new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_temp_files_are_recognisable_and_removed_on_failure(tmp_path):
    from convlens._atomic import is_temp_file

    seen = []
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(tmp_path / "m.bin"):
            seen = os.listdir(tmp_path)
            raise KeyboardInterrupt
    assert len(seen) == 1 and is_temp_file(seen[0])
    assert os.listdir(tmp_path) == []
    assert not is_temp_file("model.convlens") and not is_temp_file(".hidden")
