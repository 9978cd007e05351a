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
    "dickens-24K-lstm": ("dickens", LSTM_PREFIX, {"lstm": True}),
    "dickens-24K-lstm-blend": ("dickens", LSTM_PREFIX, {"lstm": True, "blend": 0.3}),
    "dickens-24K-lstm-learned": ("dickens", LSTM_PREFIX, {"lstm": True, "blend": "learn"}),
    "xml-24K-lstm-small": ("xml", LSTM_PREFIX, {"lstm": True, "lstm_cells": 8, "lstm_layers": 1,
                                                  "lstm_horizon": 12, "lstm_lr": 0.01, "lstm_clip": 2.0}),
    "dickens-24K-mixer": ("dickens", LSTM_PREFIX, {"lstm": "mixer"}),
    "dickens-24K-mixer-learned": ("dickens", LSTM_PREFIX, {"lstm": "mixer", "blend": "learn"}),
    "xml-24K-both-small": ("xml", LSTM_PREFIX, {"lstm": "both", "lstm_cells": 8, "lstm_layers": 1,
                                                "mixer_cells": 16, "mixer_horizon": 24, "mixer_lr": 0.003,
                                                "mixer_clip": 2.0, "blend": 0.5}),
}

GOLDEN = {
    2: {
        "generated": "28cc1245f9fda94f2f9acf2a48be013a082516463a31b9d182a51fdf903505ed",
        "alice29": "7ec106727c402c00230702eccded35e9aaf03d651f0f9c94289a33f99d33b388",
        "dickens-100K": "d137845ac2e837e53075403f74e56210577f9ed4924eeef0b7f5ccc045735f32",
        "xml-100K": "e0e6c94766e90cffbb0c67ac5796ad2c22f31f20b7a36b4e326c9375ce6026a9",
        "dickens-300K-level3": "d4d9fdfbe3de80a61dd4143939e50b27f0840ea7c4c58044e4b916e6e57debe5",
        "dickens-24K-lstm": "125531e348bbefb11674c235ceacf12d5c25813ff9cb2bdaaafdb3eb32a84f3c",
        "dickens-24K-lstm-blend": "bfdbe0a73248342bfa4b9a3994afcc1d91a9b295a784a503e1d7d0f2810dbf56",
        "dickens-24K-lstm-learned": "702f4655e628d2fa6d134b43c62d11fc8c29d60e0a1c8aa206daf80b4d5e8cfc",
        "xml-24K-lstm-small": "5d53fe1d96091daa5ff9d79f2edb3b99ae0b5de6bf292590a80756aeff84d57e",
        "dickens-24K-mixer": "7f7d01e162357c4960d98eac923ad16b68dd78e6b2986c982e3341ec14c33b2b",
        "dickens-24K-mixer-learned": "0c0c91313f50b1bdf4af96f05e50155cfb926bc0a7123f5dfee7779887703428",
        "xml-24K-both-small": "2439d16b46ffb1e2b47116f9cd58aae510eab971028efec6330527885da89f67",
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
