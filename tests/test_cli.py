"""The `paqlstm` command, in process through click's CliRunner."""
import os
import zlib

import pytest
from click.testing import CliRunner

import paqlstm
from paqlstm.cli import cli
from paqlstm.settings import LEVEL_TABLE_BITS


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


def assert_one_error_line(result, status=1, contains=""):
    assert result.exit_code == status
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("paqlstm: error: "), result.stderr
    assert contains in lines[0]
    assert "Traceback" not in result.output


@pytest.fixture(scope="module")
def text(shared_data):
    return (shared_data / "lcet10.txt").read_bytes()[:12_000]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def listing(directory):
    return sorted(os.listdir(directory))


def test_compress_then_decompress_replaces_files_like_gzip(workdir, text):
    (workdir / "a.txt").write_bytes(text)
    result = run("compress", "-1", "a.txt")
    assert result.exit_code == 0 and result.output == ""
    assert listing(workdir) == ["a.txt.pql"]
    assert paqlstm.decompress((workdir / "a.txt.pql").read_bytes()) == text
    assert run("decompress", "a.txt.pql").exit_code == 0
    assert listing(workdir) == ["a.txt"]
    assert (workdir / "a.txt").read_bytes() == text


def test_keep(workdir, text):
    (workdir / "a.txt").write_bytes(text)
    assert run("compress", "--level", "1", "-k", "a.txt").exit_code == 0
    assert listing(workdir) == ["a.txt", "a.txt.pql"]
    (workdir / "a.txt").unlink()
    assert run("decompress", "--keep", "a.txt.pql").exit_code == 0
    assert listing(workdir) == ["a.txt", "a.txt.pql"]
    assert (workdir / "a.txt").read_bytes() == text


def test_existing_output_needs_force(workdir, text):
    (workdir / "a.txt").write_bytes(text)
    (workdir / "a.txt.pql").write_bytes(b"precious")
    result = run("compress", "-1", "a.txt")
    assert_one_error_line(result, contains="a.txt.pql already exists")
    assert (workdir / "a.txt.pql").read_bytes() == b"precious"
    assert (workdir / "a.txt").read_bytes() == text
    assert run("compress", "-1", "-f", "a.txt").exit_code == 0
    assert paqlstm.decompress((workdir / "a.txt.pql").read_bytes()) == text
    assert listing(workdir) == ["a.txt.pql"]


def test_input_and_output_the_same_file(workdir):
    (workdir / "a.pql").write_bytes(paqlstm.compress(b"abc", level=1))
    result = run("decompress", "-f", "-o", "a.pql", "a.pql")
    assert_one_error_line(result, contains="same file")
    assert paqlstm.decompress((workdir / "a.pql").read_bytes()) == b"abc"


def test_output_option_and_suffix_rules(workdir, text):
    (workdir / "a.txt").write_bytes(text)
    assert run("compress", "-1", "-k", "-o", "packed.bin", "a.txt").exit_code == 0
    assert_one_error_line(run("decompress", "packed.bin"), contains="unknown suffix")
    assert run("decompress", "-o", "restored.txt", "packed.bin").exit_code == 0
    assert (workdir / "restored.txt").read_bytes() == text
    assert listing(workdir) == ["a.txt", "restored.txt"]
    (workdir / "b.pql").write_bytes(b"x")
    assert_one_error_line(run("compress", "-1", "b.pql"), contains="already has .pql suffix")


def test_stdout_option_keeps_input(workdir, text):
    (workdir / "a.txt").write_bytes(text)
    result = run("compress", "-1", "-c", "a.txt")
    assert result.exit_code == 0
    assert paqlstm.decompress(result.stdout_bytes) == text
    (workdir / "a.pql").write_bytes(result.stdout_bytes)
    result = run("decompress", "-c", "a.pql", "a.pql")  # several inputs concatenate
    assert result.stdout_bytes == text + text
    assert listing(workdir) == ["a.pql", "a.txt"]


def test_standard_input_and_output(text):
    packed = run("compress", "-2", input=text)
    assert packed.exit_code == 0
    assert run("decompress", input=packed.stdout_bytes).stdout_bytes == text
    assert run("decompress", "-", input=packed.stdout_bytes).stdout_bytes == text
    assert run("test", "-", input=packed.stdout_bytes).exit_code == 0


def test_empty_file(workdir):
    (workdir / "empty").write_bytes(b"")
    assert run("compress", "-1", "empty").exit_code == 0
    assert run("decompress", "empty.pql").exit_code == 0
    assert (workdir / "empty").read_bytes() == b""


def test_output_gets_the_input_file_mode(workdir):
    (workdir / "a").write_bytes(b"data")
    os.chmod(workdir / "a", 0o640)
    assert run("compress", "-1", "a").exit_code == 0
    assert (workdir / "a.pql").stat().st_mode & 0o777 == 0o640


def damaged_archives(text):
    good = paqlstm.compress(text, level=1)
    return {
        "checksum mismatch": good[:-4] + (zlib.crc32(text) ^ 1).to_bytes(4, "little"),   # the trailer's CRC
        "truncated archive": good[:-3],
        "not a paqlstm archive": b"plain text, not an archive\n",
        "trailing garbage": good + b"junk",
    }


@pytest.mark.parametrize("problem", ["checksum mismatch", "truncated archive", "not a paqlstm archive",
                                     "trailing garbage"])
def test_bad_archive_leaves_no_output(workdir, text, problem):
    (workdir / "bad.pql").write_bytes(damaged_archives(text)[problem])
    result = run("decompress", "bad.pql")
    assert_one_error_line(result, contains=problem)
    assert result.stderr.startswith("paqlstm: error: bad.pql: ")
    assert listing(workdir) == ["bad.pql"]  # no output, no temporary file, input kept


def test_test_command(workdir, text):
    (workdir / "good.pql").write_bytes(paqlstm.compress(text, level=1))
    (workdir / "bad.pql").write_bytes(damaged_archives(text)["checksum mismatch"])
    before = listing(workdir)
    ok = run("test", "good.pql")
    assert ok.exit_code == 0 and ok.output == ""
    verbose = run("test", "-v", "good.pql")
    assert verbose.exit_code == 0 and "good.pql:" in verbose.stderr and "OK" in verbose.stderr
    mixed = run("test", "-v", "bad.pql", "good.pql")
    assert mixed.exit_code == 1
    assert "paqlstm: error: bad.pql: corrupt archive: checksum mismatch" in mixed.stderr
    assert "good.pql:" in mixed.stderr
    assert listing(workdir) == before


def test_errors_for_missing_and_directory_inputs_do_not_stop_other_files(workdir, text):
    (workdir / "a.txt").write_bytes(text)
    os.mkdir(workdir / "dir")
    result = run("compress", "-1", "missing", "dir", "a.txt")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors == ["paqlstm: error: missing: No such file or directory",
                      "paqlstm: error: dir: Is a directory"]
    assert listing(workdir) == ["a.txt.pql", "dir"]


def test_verbose_reports_ratio_and_speed(workdir, text):
    (workdir / "a.txt").write_bytes(text)
    result = run("compress", "-1", "-v", "a.txt")
    assert result.exit_code == 0
    assert "bpc" in result.stderr and "kB/s" in result.stderr and "a.txt.pql" in result.stderr


def test_usage_errors_are_one_line(workdir):
    assert_one_error_line(run("compress", "--no-such-flag"), status=2, contains="--no-such-flag")
    assert_one_error_line(run("compress", "--level", "10"), status=2)
    assert_one_error_line(run("compress", "-o", "x", "a", "b"), status=2, contains="-o/--output")
    assert_one_error_line(run("frobnicate"), status=2)
    assert_one_error_line(run("test"), status=2)


def test_help_shows_memory_per_level():
    result = run("compress", "--help")
    assert result.exit_code == 0
    for level in LEVEL_TABLE_BITS:
        assert f"-{level} " in result.output
    assert "MiB" in result.output
    assert run("--help").exit_code == 0
    assert run().exit_code == 0 and "compress" in run().output
    assert paqlstm.__version__ in run("--version").output


def test_fast_profile_flag(text):
    """--fast is --profile fast, stored in the archive, which decodes without flags."""
    from paqlstm.container import frames
    fast = run("compress", "--fast", "-c", input=text).stdout_bytes
    assert fast == run("compress", "--profile", "fast", "-c", input=text).stdout_bytes
    assert frames(fast)[0].settings["profile"] == "fast"
    assert frames(run("compress", "-c", input=text).stdout_bytes)[0].settings["profile"] == "strong"
    assert run("decompress", "-c", input=fast).stdout_bytes == text


def test_threads_option(text):
    """-T N: the same archive with any N; 0 is a usage error."""
    options = ("compress", "-c", "-1", "--lstm", "--lstm-update", "delayed")
    one = run(*options, "-T", "1", input=text[:3000]).stdout_bytes
    assert one == run(*options, "--threads", "2", input=text[:3000]).stdout_bytes
    assert run("decompress", "-c", "-T", "1", input=one).stdout_bytes == text[:3000]
    assert run("test", "-T", "2", "-", input=one).exit_code == 0
    assert_one_error_line(run(*options, "-T", "0", input=text[:3000]), status=2, contains="--threads")
