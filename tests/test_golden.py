"""Golden archives: the SHA-256 of archives of fixed inputs, pinned to FORMAT_VERSION.

A change that keeps the model's output identical (a refactoring, a speed-up) keeps
these passing. A change that alters what the model predicts must bump
`container.FORMAT_VERSION` and record the new digests under the new version, in the
same commit: an archive of one version must decode the same way forever, and these
digests are what notices when it would not. `python tests/test_golden.py` prints the
digests of the checkout it runs in.
"""
import hashlib

import pytest

import paqlstm
from paqlstm.container import FORMAT_VERSION

LSTM_PREFIX = 24 << 10   # past the LSTM's warm-up (8 KB), where it joins the mixer and the blend

# name: (corpus file or None for the generated input, bytes used or None for all, options)
CASES = {
    "generated": (None, None, {}),
    "alice29": ("alice29.txt", None, {}),
    "dickens-100K": ("dickens", 100 << 10, {}),
    "xml-100K": ("xml", 100 << 10, {}),
    "dickens-300K-level3": ("dickens", 300 << 10, {"level": 3}),
    "alice29-fast": ("alice29.txt", None, {"profile": "fast"}),
    "xml-100K-fast-level4": ("xml", 100 << 10, {"profile": "fast", "level": 4}),
    "dickens-24K-lstm": ("dickens", LSTM_PREFIX, {"lstm": True}),
    "dickens-24K-lstm-blend": ("dickens", LSTM_PREFIX, {"lstm": True, "blend": 0.3}),
    "dickens-24K-lstm-learned": ("dickens", LSTM_PREFIX, {"lstm": True, "blend": "learn"}),
    "xml-24K-lstm-small": ("xml", LSTM_PREFIX, {"lstm": True, "lstm_cells": 8, "lstm_layers": 1,
                                                  "lstm_horizon": 12, "lstm_lr": 0.01, "lstm_clip": 2.0}),
    "dickens-24K-lstm-tree-delayed": ("dickens", LSTM_PREFIX, {"lstm": True, "lstm_output": "tree",
                                                             "lstm_update": "delayed"}),
    "dickens-24K-mixer": ("dickens", LSTM_PREFIX, {"lstm": "mixer"}),
    "dickens-24K-mixer-learned": ("dickens", LSTM_PREFIX, {"lstm": "mixer", "blend": "learn"}),
    "xml-24K-both-small": ("xml", LSTM_PREFIX, {"lstm": "both", "lstm_cells": 8, "lstm_layers": 1,
                                                "mixer_cells": 16, "mixer_horizon": 24, "mixer_lr": 0.003,
                                                "mixer_clip": 2.0, "blend": 0.5}),
}

GOLDEN = {
    5: {
        "generated": "ac90677c2741b36a42b800e49cbd25750fa6e3b612d00d1f73d4c857923913c3",
        "alice29": "689b490ef3bbb11b0129693bcd0d3cd8f2909b526d46795dc45de6981773e07b",
        "dickens-100K": "75ea91c61600903f14f4615c225d6851dba2f016b3d9c0de72e33f5ce6f14596",
        "xml-100K": "e6295ec4b5b11d701b756e053df2bfda8a259ff3d7f18b027b95f6bdf9e68fa1",
        "dickens-300K-level3": "3a5bc6054f81d26d15192d0be7edd4abb556feb9d0682bac68a4998806ba47fa",
        "alice29-fast": "e413ff8b0c08330fe67c1a1be0de3c7586ae5d8ee3390bb8cdaeb7b7f2c30e52",
        "xml-100K-fast-level4": "bbb7a1bd48f2540d2737d827259b32fd0a8331df4de753478fa0a249ae2815fc",
        "dickens-24K-lstm": "58a3021acc5949e6d55d17ead37f8afc2fd5cd57bf89dff4746281baa3266bb1",
        "dickens-24K-lstm-blend": "14a42a5d3b73f806b347899b62770167121c5c9fd0945b558df2223556c5c5fb",
        "dickens-24K-lstm-learned": "1f45b30c8e01caefb7928e04660d37b006a25aaa64fc34b28c5009e8ecbbbb2e",
        "xml-24K-lstm-small": "ab80c52ab76a1f636a56d1758adcc3543e43751976ae717fd66a195ac9a20bf8",
        "dickens-24K-lstm-tree-delayed": "901ff89f4b7d94f15654c0d3d58508bf357782e90c8434bed0ca8227575f39cf",
        "dickens-24K-mixer": "334067fdb91b5707349caf5337006f5b0942f8ab9734910fab7e772d9c3b164c",
        "dickens-24K-mixer-learned": "8fc3d3ec1acdb45087a3342504b41d95a5d798d6169749176b8a900c0b96d55b",
        "xml-24K-both-small": "592a009fa306aba333d589fad92d144c1ae8508ceb64cf5a4cfe076467825170",
    },
}


def generated_input():
    """64 KB of lines of pseudo-words and numbers with repeats, from a fixed LCG: no corpus needed,
    the same bytes on every Python."""
    state = 12345
    words = [b"the", b"model", b"context", b"mixer", b"bit", b"byte", b"<tag>", b"</tag>", b"\t", b"42"]
    out = bytearray()
    while len(out) < 64 << 10:
        state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        pick = state >> 59
        if pick < len(words):
            out += words[pick] + b" "
        elif pick < 24:
            out += bytes([32 + (state >> 40) % 95])
        elif pick < 28:
            out += b"\n"
        else:
            out += out[-((state >> 32) % 200 + 20):][:16]   # a repeat for the match model
    return bytes(out[:64 << 10])


def case_input(name, data_dir):
    source, length, _ = CASES[name]
    if source is None:
        return generated_input()
    return (data_dir / source).read_bytes()[:length]


def digest(name, data_dir):
    _, _, options = CASES[name]
    return hashlib.sha256(paqlstm.compress(case_input(name, data_dir), **options)).hexdigest()


def test_digests_pinned_for_this_format_version():
    assert FORMAT_VERSION in GOLDEN, (
        f"FORMAT_VERSION {FORMAT_VERSION} has no golden digests: record them (python tests/test_golden.py)")
    assert set(GOLDEN[FORMAT_VERSION]) == set(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_archive_matches_golden_digest(name, request):
    if CASES[name][0] is not None:
        data_dir = request.getfixturevalue("shared_data")
    else:
        data_dir = None
    assert digest(name, data_dir) == GOLDEN.get(FORMAT_VERSION, {}).get(name), (
        f"{name}: the archive changed. If the model is meant to predict differently, bump FORMAT_VERSION "
        "and record the new digests in the same commit.")


if __name__ == "__main__":
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import shared_data_dir
    print(f"    {FORMAT_VERSION}: {{")
    for case in CASES:
        print(f'        "{case}": "{digest(case, shared_data_dir())}",')
    print("    },")
