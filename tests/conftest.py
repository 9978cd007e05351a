"""Shared fixtures: where the public test corpora live, processes compiled for a generic CPU."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_data_dir():
    """../shared/data beside the project (PAQLSTM_DATA overrides); None when absent."""
    path = Path(os.environ.get("PAQLSTM_DATA", REPO.parent / "shared" / "data"))
    return path if (path / "alice29.txt").is_file() else None


@pytest.fixture(scope="session")
def shared_data():
    path = shared_data_dir()
    if path is None:
        pytest.skip("shared corpora (../shared/data) not available")
    return path


# ---------------------------------------------------------------- kernels compiled for a generic CPU
# Archives must decode on any CPU (test_determinism.py, test_lstm.py), so some tests run
# paqlstm in processes with NUMBA_CPU_NAME=generic and one fresh Numba cache. Compiling
# for it takes minutes; a process started once the tests are collected compiles every
# kernel those tests use on the core the test run leaves idle, and the first of them
# waits for it. (Should it fail, each test compiles what it needs itself.)
GENERIC_VARIANTS = {"lstm-off": {"level": 2}, "lstm-on": {"level": 2, "lstm": True},
                    "lstm-mixer": {"level": 2, "lstm": "mixer"},
                    "lstm-both": {"level": 2, "lstm": "both", "blend": "learn"},
                    "lstm-tree-delayed": {"level": 2, "lstm": True, "lstm_output": "tree", "lstm_update": "delayed"}}

WARM_UP_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import paqlstm
from paqlstm.engine import Decoder, Encoder
from paqlstm.settings import Settings
from test_lstm import lstm_hash
text = open(sys.argv[2], 'rb').read()[:2000]
for options in json.loads(sys.argv[3]):
    assert paqlstm.decompress(paqlstm.compress(text, **options)) == text
assert Decoder(Settings(level=2)).decode_chunk(Encoder(Settings(level=2)).encode_chunk(text), len(text)) == text
lstm_hash(sys.argv[2])
"""
_generic = {}


def pytest_collection_modifyitems(session, config, items):
    data = shared_data_dir()
    if data is None or not any("generic_env" in getattr(item, "fixturenames", ()) for item in items):
        return
    cache = tempfile.mkdtemp(prefix="paqlstm-generic-cache-")
    env = dict(os.environ, NUMBA_CPU_NAME="generic", NUMBA_CACHE_DIR=cache)
    _generic.update(cache=cache, env=env, warm_up=subprocess.Popen(
        [sys.executable, "-c", WARM_UP_SCRIPT, str(REPO / "tests"), str(data / "alice29.txt"),
         json.dumps(list(GENERIC_VARIANTS.values()))],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def pytest_unconfigure(config):
    if "warm_up" in _generic:
        _generic["warm_up"].kill()
        _generic["warm_up"].wait()
        shutil.rmtree(_generic["cache"], ignore_errors=True)


@pytest.fixture(scope="session")
def generic_env(shared_data):
    """The environment of a generic-CPU process, its kernels compiled (or being compiled) in its cache."""
    try:
        _generic["warm_up"].wait(timeout=1800)
    except subprocess.TimeoutExpired:
        _generic["warm_up"].kill()
    return _generic["env"]
