"""Archives must decode on any CPU: compiled for the host here, for a generic x86-64 there."""
import os
import subprocess
import sys

from paqlstm.engine import Encoder, Settings

DECODE_SCRIPT = """
import sys
from paqlstm.engine import Decoder, Settings
payload = open(sys.argv[1], 'rb').read()
out = Decoder(Settings(level=2)).decode_chunk(payload, int(sys.argv[2]))
open(sys.argv[3], 'wb').write(out)
"""


def test_host_archive_decodes_with_generic_cpu(tmp_path, shared_data):
    text = (shared_data / "alice29.txt").read_bytes()[:20_000]
    payload = Encoder(Settings(level=2)).encode_chunk(text)
    (tmp_path / "payload").write_bytes(payload)
    env = dict(os.environ, NUMBA_CPU_NAME="generic", NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    subprocess.run([sys.executable, "-c", DECODE_SCRIPT, str(tmp_path / "payload"), str(len(text)),
                    str(tmp_path / "out")], env=env, check=True, timeout=600)
    assert (tmp_path / "out").read_bytes() == text
