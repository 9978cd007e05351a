"""Archives must decode on any CPU: compiled for the host here, for a generic x86-64 there.

Both directions: the host's archive decodes in a process with NUMBA_CPU_NAME=generic,
and an archive made in such a process decodes on the host (and is byte-identical to
the host's). The generic processes share one fresh Numba cache, compiled ahead by
conftest.py's warm-up.
"""
import json
import subprocess
import sys

import pytest
from conftest import GENERIC_VARIANTS

from paqlstm.engine import Encoder
from paqlstm.settings import Settings

DECODE_SCRIPT = """
import sys
from paqlstm.engine import Decoder
from paqlstm.settings import Settings
payload = open(sys.argv[1], 'rb').read()
out = Decoder(Settings(level=2)).decode_chunk(payload, int(sys.argv[2]))
open(sys.argv[3], 'wb').write(out)
"""

# Compress (argv: options as JSON, input, output) with paqlstm.compress, in a generic process.
COMPRESS_SCRIPT = """
import json, sys
import numba
import paqlstm
assert numba.config.CPU_NAME == "generic", numba.config.CPU_NAME
data = open(sys.argv[2], 'rb').read()
open(sys.argv[3], 'wb').write(paqlstm.compress(data, **json.loads(sys.argv[1])))
"""

DECOMPRESS_SCRIPT = """
import sys
import numba
import paqlstm
assert numba.config.CPU_NAME == "generic", numba.config.CPU_NAME
open(sys.argv[2], 'wb').write(paqlstm.decompress(open(sys.argv[1], 'rb').read()))
"""


def _variants():
    return [pytest.param(options, id=name) for name, options in GENERIC_VARIANTS.items()]


def run_generic(env, script, *args):
    subprocess.run([sys.executable, "-c", script, *map(str, args)], env=env, check=True, timeout=900)


@pytest.fixture(scope="module")
def text(shared_data):
    return (shared_data / "alice29.txt").read_bytes()[:20_000]


def test_host_archive_decodes_with_generic_cpu(tmp_path, text, generic_env):
    payload = Encoder(Settings(level=2)).encode_chunk(text)
    (tmp_path / "payload").write_bytes(payload)
    run_generic(generic_env, DECODE_SCRIPT, tmp_path / "payload", len(text), tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == text


@pytest.mark.parametrize("options", _variants())
def test_host_archive_decodes_with_generic_cpu_whole_archive(tmp_path, text, generic_env, options):
    import paqlstm
    (tmp_path / "archive").write_bytes(paqlstm.compress(text, **options))
    run_generic(generic_env, DECOMPRESS_SCRIPT, tmp_path / "archive", tmp_path / "out")
    assert (tmp_path / "out").read_bytes() == text


@pytest.mark.parametrize("options", _variants())
def test_generic_cpu_archive_decodes_on_host(tmp_path, text, generic_env, options):

    import paqlstm
    (tmp_path / "in").write_bytes(text)
    run_generic(generic_env, COMPRESS_SCRIPT, json.dumps(options), tmp_path / "in", tmp_path / "archive")
    archive = (tmp_path / "archive").read_bytes()
    assert paqlstm.decompress(archive) == text
    assert archive == paqlstm.compress(text, **options)  # the same bytes, whichever CPU made them
