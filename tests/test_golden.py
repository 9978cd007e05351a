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
    "dickens-24K-mixer": ("dickens", LSTM_PREFIX, {"lstm": "mixer"}),
    "dickens-24K-mixer-learned": ("dickens", LSTM_PREFIX, {"lstm": "mixer", "blend": "learn"}),
    "xml-24K-both-small": ("xml", LSTM_PREFIX, {"lstm": "both", "lstm_cells": 8, "lstm_layers": 1,
                                                "mixer_cells": 16, "mixer_horizon": 24, "mixer_lr": 0.003,
                                                "mixer_clip": 2.0, "blend": 0.5}),
}

GOLDEN = {
    3: {
        "generated": "2f273281423adedd98e8da81a7166ac5b34d00ae748d78b532b308b94c883746",
        "alice29": "def6a717a99c4152016ed29a256824801f2272e9589d560dc86beaafdced9914",
        "dickens-100K": "07f76ca72fe0b4adf9cf374abcab6dc38b082fc4ebff3208af04a2a2441b1279",
        "xml-100K": "2a7272068a289c10f7525acc649178fdcc658428bb15e6259a3d8987b901c50c",
        "dickens-300K-level3": "a7f58dcc3d9ead9f0db0a8a6019e91348d9f806e5d18a91e3e794ea1b371a5ec",
        "alice29-fast": "fb968aadfa469c3ea9a854099cbd027c37df169f7500e87a942610d499e9a28a",
        "xml-100K-fast-level4": "fa1b02c90d42e9acb710daf110d176e1802a1001a8a975c66032af866bb7780c",
        "dickens-24K-lstm": "201c458743402d30025ab3121b9011a00a31ba15d26c5e7a8fb2d0c29c9b4996",
        "dickens-24K-lstm-blend": "ea28f41682474a539cbd3d509d24e8a88930589929c292661dd7c713d72cb943",
        "dickens-24K-lstm-learned": "9a92797f2a55094167e63af2e5c7d8796219f11f13878966f9cb9a63ccbeed5a",
        "xml-24K-lstm-small": "535d45df48c104c4ac3f6077e204acda09cea1cbbd073384f1dfa67423e37a53",
        "dickens-24K-mixer": "72d4cedf7f670871ceeb2a953e06ecb1b024ef985ce698b63259c364f841fd41",
        "dickens-24K-mixer-learned": "ada36bf566430270bbf75f7be87726861aa5c62ff38236e695fc06e4f09cc3d6",
        "xml-24K-both-small": "333955c863dd8dfd6dcbd506b3936fc65c8db37971da9bdd80b55b9c29e3a8cf",
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
