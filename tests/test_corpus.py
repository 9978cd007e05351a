"""Round trips of the real corpora in ../shared/data: prefixes by default, whole files when slow."""
import hashlib
import shutil

import pytest

import paqlstm

FILES = ["alice29.txt", "asyoulik.txt", "lcet10.txt", "dickens", "xml", "mr", "ooffice"]
PREFIX = 200_000   # keeps the default run short at ~150 KB/s
LEVEL = 2


@pytest.mark.parametrize("name", FILES)
def test_prefix_round_trip(shared_data, name):
    with open(shared_data / name, "rb") as f:
        data = f.read(PREFIX)
    archive = paqlstm.compress(data, level=LEVEL)
    assert len(archive) < len(data)
    assert paqlstm.decompress(archive) == data


def _digest(file):
    digest = hashlib.sha256()
    for block in iter(lambda: file.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("options", [{}, {"profile": "fast"}, {"lstm": True}, {"lstm": "mixer"}],
                         ids=["lstm-off", "fast", "lstm-on", "lstm-mixer"])
@pytest.mark.parametrize("name", FILES)
def test_whole_file_round_trip_through_files(shared_data, tmp_path, name, options):
    """Streams both ways through files, as the command does, in many chunks."""
    archive = tmp_path / (name + ".pql")
    with open(shared_data / name, "rb") as source, \
            paqlstm.open(archive, "wb", level=LEVEL, **options) as target:
        shutil.copyfileobj(source, target, 1 << 20)
    assert archive.stat().st_size < (shared_data / name).stat().st_size
    with open(shared_data / name, "rb") as original, paqlstm.open(archive) as restored:
        assert _digest(restored) == _digest(original)
