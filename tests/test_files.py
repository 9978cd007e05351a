"""The one atomic-write helper: whole files or none, with the modes files usually get."""
import os

import pytest

from paqlstm.files import replacing


def test_written_whole_on_success_with_a_new_files_mode(tmp_path):
    target = tmp_path / "out"
    umask = os.umask(0o027)
    try:
        with replacing(target) as file:
            file.write(b"data")
            assert not target.exists()
    finally:
        os.umask(umask)
    assert target.read_bytes() == b"data" and os.listdir(tmp_path) == ["out"]
    assert target.stat().st_mode & 0o777 == 0o640


def test_permissions_copied_from_another_file(tmp_path):
    source = tmp_path / "source"
    source.write_bytes(b"")
    source.chmod(0o604)
    with replacing(tmp_path / "out", permissions_from=source) as file:
        file.write(b"data")
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o604


def test_a_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with replacing(target) as file:
            file.write(b"new")
            raise RuntimeError
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["out"]


def test_errors_name_the_target_not_the_temporary(tmp_path):
    target = tmp_path / "missing-dir" / "out"
    with pytest.raises(FileNotFoundError) as error:
        with replacing(target):
            pass
    assert error.value.filename == str(target)
