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
    4: {
        "generated": "7e2a6568b669a893834e8a79a1f9357e8e58dc6048b0bc52197f179d58af99f9",
        "alice29": "cf150144098ac27ed55d363bbe44158ec656ff506ccfdb9006f810057587a027",
        "dickens-100K": "f98d5b4c4db6154df0a6a895bf7f30ac80a23756bf552ecdf4ef0db00cc53242",
        "xml-100K": "8729413fc5d19dc72c060577165410042f98359694749bd506e31e500e8ab0a3",
        "dickens-300K-level3": "3875f803c6c12192162a98d697d682fb74890cb244931aad566b4b49e510864f",
        "alice29-fast": "f645f1a76f5109626b895515b5f5d21cef9186edc8d2c4b4762a7a9a14bc0535",
        "xml-100K-fast-level4": "d4c954201d5b296a5954e2d898b20698dec6f9bf214f445d0c920df975b1a1f9",
        "dickens-24K-lstm": "96154674d518617bebd965317daec6ca63be93877146d36066d3940de799bdc7",
        "dickens-24K-lstm-blend": "c1f62f673c0902332164730125dfce05c8f7773e0984c0c5d1882113b599417c",
        "dickens-24K-lstm-learned": "5800742659d41497d90ca1be66821611040849016876753a7a5da3bdfeeb30a2",
        "xml-24K-lstm-small": "609c69a46ed70d48b7051022811e6183b254af93ed93c1ab84b219ecc9b7b766",
        "dickens-24K-lstm-tree-delayed": "f95f7964ede0695560326756f38c12377152f00911b8c1fc257fae84c41d62c3",
        "dickens-24K-mixer": "63ce7bb61e88d9f1fd7871400e7f1fa7175578dc7dfdf3cb1533ac125da2cbdd",
        "dickens-24K-mixer-learned": "e09c0e99c971606b18fb75a45f0d6ae6e78c32ae08a999239c843ea65f9bf020",
        "xml-24K-both-small": "bff6f9eac282894d8e3ce184a36e2d1c424e72ade170de32b64b9a3af86fc3b8",
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
