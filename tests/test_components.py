"""Unit tests of the model's components, for what a round trip cannot catch.

An encoder and a decoder that share a bug still round-trip: a match model that never
matches, a context map that evicts its busiest contexts or an APM that trains away from
the bit only cost compression, silently. So each component is called directly here
(the kernels compiled with inline="always" are callable from Python too) and held to
what it is meant to do. The mixer's arithmetic is tested in test_kernels.py.
"""
import numpy as np
import pytest

from paqlstm.primitives.apm import HIGHEST_INPUT, POINTS, apm_refine, apm_update, new_apm
from paqlstm.primitives.buckets import BUCKET, LINE, bucket_line, find_bucket, nibble_node
from paqlstm.models.match import (EXPECTED, LEN, MAX_LEN, MIN_LEN, N_REGS, length_bucket, match_expected_bit,
                                   match_update_byte)
from paqlstm.primitives.squash import SQUASH_TABLE, STRETCH_TABLE
from paqlstm.primitives.statemap import RECIPROCAL, new_statemaps, statemap_p, statemap_update
from paqlstm.primitives.states import STATES, initial_probability_22
from paqlstm.sse import APM_RATE


# --- match model ---------------------------------------------------------------------

# Above MAX_LEN: a match is only looked up within history.size - MAX_LEN bytes back.
HISTORY_SIZE = 1 << 17


class MatchModel:
    """The match model's arrays, laid out as the predictor's (positions: a quarter of the history)."""

    def __init__(self):
        self.regs = np.zeros(N_REGS, dtype=np.int64)
        self.history = np.zeros(HISTORY_SIZE, dtype=np.uint8)
        self.positions = np.zeros(HISTORY_SIZE // 4, dtype=np.int32)
        self.coded = 0

    def feed(self, data):
        """Code each byte of `data`; (LEN, EXPECTED) after each."""
        after = []
        for byte in data:
            self.history[self.coded % HISTORY_SIZE] = byte     # as the shared registers do first
            self.coded += 1
            match_update_byte(self.regs, self.history, self.positions, byte, self.coded)
            after.append((int(self.regs[LEN]), int(self.regs[EXPECTED])))
        return after


def random_bytes(n, seed):
    return np.random.default_rng(seed).integers(0, 256, n).astype(np.uint8).tobytes()


def test_match_found_once_min_len_bytes_repeat_and_length_grows_by_one():
    block = random_bytes(50, seed=1)
    model = MatchModel()
    assert all(state == (0, 0) for state in model.feed(block))   # nothing repeats yet
    for done, (length, expected) in enumerate(model.feed(block), start=1):
        if done < MIN_LEN:
            assert (length, expected) == (0, 0), done   # too short a repeat to trust
        elif done < len(block):
            assert length == done                      # the match covers all of the repeat so far
            assert expected == block[done] | 256       # ... and predicts the byte that followed it
        else:
            assert length == done and expected == block[0] | 256   # what followed the first copy


def test_no_match_for_a_repeat_shorter_than_min_len():
    block = random_bytes(40, seed=2)
    model = MatchModel()
    model.feed(block)
    short_repeat = block[:MIN_LEN - 1] + bytes([block[MIN_LEN - 1] ^ 0x55]) + random_bytes(20, seed=3)
    assert all(state == (0, 0) for state in model.feed(short_repeat))


def test_match_expected_bit_gives_the_expected_bytes_bits_until_the_byte_leaves_it():
    block = random_bytes(50, seed=4)
    model = MatchModel()
    model.feed(block + block[:10])
    byte = block[10]
    assert model.regs[EXPECTED] == byte | 256
    for bits_done in range(8):
        c0 = (byte | 256) >> (8 - bits_done)    # the partial byte, leading 1 included
        assert match_expected_bit(model.regs, c0, bits_done) == (byte >> (7 - bits_done)) & 1
    assert model.regs[LEN] == 10   # following the prediction keeps the match
    # A partial byte that differs from the expected byte in its third bit ends the match.
    wrong_c0 = ((byte | 256) >> 5) ^ 1
    assert match_expected_bit(model.regs, wrong_c0, 3) == -1
    assert model.regs[EXPECTED] == 0 and model.regs[LEN] == 0
    assert match_expected_bit(model.regs, (byte | 256) >> 4, 4) == -1   # and it stays ended


def test_a_mismatching_byte_drops_the_match():
    block = random_bytes(50, seed=5)
    model = MatchModel()
    model.feed(block + block[:20])
    assert model.regs[LEN] == 20
    assert model.feed([block[20] ^ 0xFF]) == [(0, 0)]


def test_match_length_saturates_at_max_len():
    block = random_bytes(1000, seed=6)
    repeats = MAX_LEN // len(block) + 5
    lengths = [length for length, _ in MatchModel().feed(block * repeats)]
    assert max(lengths) == MAX_LEN
    assert lengths[-1] == MAX_LEN   # held there while the repeat goes on, not wrapped to 0


def test_length_bucket_edges():
    edges = {0: 0, 1: 1, 11: 11, 12: 12, 15: 12, 16: 13, 31: 13, 32: 14, 63: 14, 64: 15, MAX_LEN: 15}
    assert {length: length_bucket(length) for length in edges} == edges
    buckets = [length_bucket(length) for length in range(200)]
    assert buckets == sorted(buckets)   # longer matches never fall in a lower bucket


# --- hashed context map --------------------------------------------------------------

LINES = 8
BUCKETS_PER_LINE = LINE // BUCKET


def context_hash(line, checksum, middle=0x1234):
    """A 32-bit context hash that lands on `line` with checksum `checksum` (bits 24..31)."""
    return (checksum << 24) | (middle << 3) | line


def state_after_ones(count):
    """The bit-history state of `count` ones: its priority (n0 + n1) is `count`."""
    state = 0
    for _ in range(count):
        state = STATES.next_state[state, 1]
    assert STATES.priority[state] == count
    return state


def test_the_same_hash_finds_its_bucket_with_the_states_intact():
    table = np.zeros(LINES * LINE, dtype=np.uint8)
    h = context_hash(line=5, checksum=0xA7)
    bucket = find_bucket(table, LINES - 1, h, STATES.priority)
    assert bucket == bucket_line(LINES - 1, h) == 5 * LINE
    assert table[bucket] == 0xA7 and not table[bucket + 1:bucket + BUCKET].any()
    table[bucket + 1:bucket + BUCKET] = np.arange(1, BUCKET)
    assert find_bucket(table, LINES - 1, h, STATES.priority) == bucket
    assert list(table[bucket + 1:bucket + BUCKET]) == list(range(1, BUCKET))


def test_another_checksum_on_the_same_line_takes_another_bucket():
    table = np.zeros(LINES * LINE, dtype=np.uint8)
    first = find_bucket(table, LINES - 1, context_hash(2, 0x11), STATES.priority)
    table[first + 1] = state_after_ones(3)   # seen: no longer the least used
    second = find_bucket(table, LINES - 1, context_hash(2, 0x22, middle=0x777), STATES.priority)
    assert second != first and second // LINE == first // LINE
    assert table[first] == 0x11 and table[first + 1] == state_after_ones(3)
    assert find_bucket(table, LINES - 1, context_hash(2, 0x11), STATES.priority) == first


def test_a_full_line_replaces_its_least_used_bucket_only():
    rng = np.random.default_rng(7)
    table = rng.integers(1, 256, LINES * LINE).astype(np.uint8)
    line = 4 * LINE
    counts = (3, 1, 5, 2)   # bucket 1 has seen its context least often
    for k, count in enumerate(counts):
        table[line + k * BUCKET] = 0x40 + k
        table[line + k * BUCKET + 1] = state_after_ones(count)
    before = table.copy()
    bucket = find_bucket(table, LINES - 1, context_hash(4, 0x99), STATES.priority)
    assert bucket == line + BUCKET
    assert table[bucket] == 0x99 and not table[bucket + 1:bucket + BUCKET].any()
    changed = np.flatnonzero(table != before)
    assert changed.min() >= bucket and changed.max() < bucket + BUCKET   # all else untouched


def tree_nodes(byte):
    """Node of each of the byte's 8 bits in its nibble's binary tree: root 1, child 2 * node + bit."""
    nodes, node = [], 1
    for bits_done in range(8):
        if bits_done == 4:
            node = 1   # the second nibble has a tree of its own
        nodes.append(node)
        node = 2 * node + ((byte >> (7 - bits_done)) & 1)
    return nodes


def test_nibble_node_walks_each_nibbles_tree():
    seen = set()
    for byte in range(256):
        nodes = [nibble_node((byte | 256) >> (8 - bits_done), bits_done) for bits_done in range(8)]
        assert nodes == tree_nodes(byte), byte
        seen.update(nodes)
    assert seen == set(range(1, BUCKET))   # the 15 state bytes after the checksum, each used


# --- APM -----------------------------------------------------------------------------

ALL_P = range(1, 4096)


def refine_all(table, context):
    slot = np.zeros(1, dtype=np.int64)
    return np.array([apm_refine(table, context, p, slot, 0) for p in ALL_P])


def test_a_fresh_apm_is_the_identity():
    p = np.arange(1, 4096)
    out = refine_all(new_apm(3), 1)
    # Its points are squash's anchors and it interpolates as squash does, so it returns
    # squash(stretch(p)) (inputs clamped to the last point), less the 16- to 12-bit floor.
    through_stretch = SQUASH_TABLE[np.minimum(STRETCH_TABLE[p] + 2048, HIGHEST_INPUT)]
    assert set(np.unique(out - through_stretch)) <= {-1, 0}
    # So it is off p by at most stretch's own resolution: near p = 1/2 one stretch step
    # moves p by ~4 (squash(stretch(p)) - p is -3..3), plus that floor. Measured: 4.
    assert np.abs(out - p).max() <= 4


@pytest.mark.parametrize("bit", [0, 1])
def test_apm_trains_toward_the_bit_and_saturates_without_wrapping(bit):
    table = new_apm(4)
    slot = np.zeros(2, dtype=np.int64)
    previous = apm_refine(table, 2, 2048, slot, 1)
    for _ in range(30):
        apm_update(table, slot[1], bit, APM_RATE)
        now = apm_refine(table, 2, 2048, slot, 1)
        assert (now > previous) if bit else (now < previous)
        previous = now
    for _ in range(2000):
        apm_update(table, slot[1], bit, APM_RATE)
    # uint16 points: 1s must stop at 65535 (not wrap to 0), 0s at 0.
    assert table[slot[1]] == (65535 if bit else 0)
    assert apm_refine(table, 2, 2048, slot, 1) in ((4094, 4095) if bit else (1,))


def test_apm_contexts_are_independent():
    table = new_apm(4)
    fresh = [refine_all(table, context) for context in range(4)]
    slot = np.zeros(1, dtype=np.int64)
    for p in ALL_P:
        apm_refine(table, 2, p, slot, 0)
        apm_update(table, slot[0], p & 1, APM_RATE)
    assert not np.array_equal(refine_all(table, 2), fresh[2])
    for context in (0, 1, 3):
        assert np.array_equal(refine_all(table, context), fresh[context]), context


def test_apm_records_the_nearer_point():
    table = new_apm(5)
    context = 3
    slot = np.full(3, -1, dtype=np.int64)
    for p in ALL_P:
        apm_refine(table, context, p, slot, 1)
        assert slot[0] == slot[2] == -1   # only slot k is written
        point = slot[1] - context * POINTS
        assert 0 <= point < POINTS
        s = min(int(STRETCH_TABLE[p]) + 2048, HIGHEST_INPUT)   # input, in points of 128 from -2048
        assert abs(point * 128 - s) <= 64, p


# --- state maps ----------------------------------------------------------------------

def p12(p22):
    return p22 >> 10


def test_state_maps_start_at_each_states_prior():
    maps = new_statemaps(2, 512)
    prior = initial_probability_22()
    for row in range(2):
        for index in range(512):
            assert statemap_p(maps, row, index) == p12(prior[index % 256])   # each 256 a state
    assert statemap_p(maps, 0, 0) == 2048   # never seen: 1/2
    assert (maps & 1023).max() == 0         # no update counted yet
    assert (new_statemaps(1, 300, from_states=False) == 1 << 31).all()   # 1/2, count 0


def test_state_map_first_updates_average_the_bits():
    maps = new_statemaps(1, 256)   # entry 0: prior 1/2
    bits = (1, 0, 0, 1, 1, 1, 0, 1)
    for n, bit in enumerate(bits):
        statemap_update(maps, 0, 0, bit, 1023)
        if n == 0:
            # Rate 1/(0 + 1.5): 1/2 + (1 - 1/2) / 1.5 = 5/6.
            assert statemap_p(maps, 0, 0) == int(4096 * 5 / 6)
        # Rate 1/(n + 1.5) from the prior p0 makes p the mean of the bits with the prior
        # weighing half a bit: (p0 / 2 + sum of bits) / (n + 1/2).
        mean = (0.5 / 2 + sum(bits[:n + 1])) / (n + 1 + 0.5)
        assert statemap_p(maps, 0, 0) == pytest.approx(4096 * mean, abs=2), n
        assert maps[0, 0] & 1023 == n + 1


@pytest.mark.parametrize("limit", [127, 1023])
def test_state_map_count_stops_at_its_limit_and_ones_converge(limit):
    maps = new_statemaps(1, 256)
    for _ in range(limit + 500):
        statemap_update(maps, 0, 7, 1, limit)
        assert maps[0, 7] & 1023 <= limit   # the 10-bit count never spills into p
    assert maps[0, 7] & 1023 == limit
    # From there on the rate stays 1/(limit + 1.5).
    before = int(maps[0, 7] >> 10)
    statemap_update(maps, 0, 7, 0, limit)
    assert int(maps[0, 7] >> 10) == before + ((0 - before) * int(RECIPROCAL[limit]) >> 16)
    assert maps[0, 7] & 1023 == limit
    for _ in range(3000):
        statemap_update(maps, 0, 7, 1, limit)
    assert 4090 <= statemap_p(maps, 0, 7) <= 4095


def test_state_map_rows_and_entries_are_independent():
    maps = new_statemaps(3, 512)
    fresh = maps.copy()
    for _ in range(20):
        statemap_update(maps, 1, 300, 1, 1023)
    changed = np.argwhere(maps != fresh)
    assert changed.tolist() == [[1, 300]]


# --- the predictor's wiring ------------------------------------------------------------

def test_every_model_declares_its_footprint_and_phases():
    from paqlstm.predictor import MODELS, _inputs
    from paqlstm.settings import Settings
    for module in MODELS:
        for profile in ("strong", "fast"):
            inputs = _inputs(module, Settings(profile=profile))
            assert isinstance(inputs, int) and inputs > 0, module.__name__
        assert all(isinstance(what, str) and rows > 0 for what, rows in module.SELECTORS), module.__name__
        for name in ("State", "new", "memory", "predict", "update"):
            assert hasattr(module, name), f"{module.__name__} has no {name}"


def test_models_that_may_sit_out_come_last():
    """The network's loop over the sets always in use has a fixed trip count (mixers/network.py)."""
    from paqlstm.predictor import MODELS
    sits_out = [getattr(module, "MAY_SIT_OUT", False) for module in MODELS]
    assert sits_out == sorted(sits_out)


@pytest.mark.parametrize("lstm", [False, True])
def test_each_model_gets_its_own_inputs_and_weight_sets(lstm):
    from paqlstm.mixers import network
    from paqlstm.predictor import MODELS, _active, _inputs, _name, new_predictor
    from paqlstm.settings import Settings
    settings = Settings(level=1, lstm=lstm, lstm_cells=2, lstm_horizon=2)
    predictor = new_predictor(settings)
    inputs = predictor.network.inputs
    assert inputs[0] == network.BIAS and inputs.size % network.LANES == 0
    taken = np.zeros(inputs.size, dtype=int)
    taken[0] = 1
    first_set = len(network.SELECTORS)
    for module in MODELS:
        state = getattr(predictor, _name(module))
        own = state.inputs
        on = _active(module, settings)
        assert own.size == _inputs(module, settings)
        assert np.shares_memory(own, inputs) == on      # a model that sits out writes elsewhere
        if on:
            start = (own.__array_interface__["data"][0] - inputs.__array_interface__["data"][0]) // 4
            taken[start:start + own.size] += 1
        if module.SELECTORS:
            assert np.shares_memory(state.selected, predictor.network.selected)
            start = (state.selected.__array_interface__["data"][0]
                     - predictor.network.selected.__array_interface__["data"][0]) // 8
            assert start == first_set
        first_set += len(module.SELECTORS)
    assert taken.max() == 1                             # no input written by two models
    strong = network.STRONG_SELECTORS if settings.strong else ()    # the network's own, after the models'
    assert first_set + len(strong) == predictor.network.selected.size
    assert predictor.network.weights.shape[0] == sum(rows for _, rows in network.SELECTORS + strong) + sum(
        rows for module in MODELS for _, rows in module.SELECTORS)
