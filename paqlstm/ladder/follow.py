"""The plan's decision tree (../shared/LADDER.md), as rounds a ladder runs unattended.

From the band the best arm so far reached, the plan's next step, as a person tuning
by hand would take it:
  EXCELLENT         try the LSTM alone: blend 1.0
  GOOD              raise the blend to 0.5; from there tune it: learned, 0.35, 0.65, 1.0
  OK                tune the learning rate: x10 and /10 (1e-2 and 1e-4 from the plan's 1e-3)
  POOR              lower the learning rate /10 (1e-4), more cells (64, then 96)
  worse than off    lower the learning rate /10 and the blend /2, clip tighter (1)
A round runs the first PER_ROUND steps not tried yet; the best arm of all rounds is
where the next round starts. Pure functions; command.py runs the rounds.
"""
from ..settings import LSTM_BOTH, LSTM_MIXER, LSTM_MODEL, LSTM_OPTIONS, Settings
from .plan import applies

PER_ROUND = 2
BLEND_TUNING = ("learn", "0.35", "0.65", "1.0")
MORE_CELLS = (64, 96)
TIGHT_CLIP = "1"
# The plan's knobs of each LSTM kind: (cells, learning rate, clip).
KNOBS = {LSTM_MIXER: ("mixer_cells", "mixer_lr", "mixer_clip"), LSTM_BOTH: ("mixer_cells", "mixer_lr", "mixer_clip"),
         LSTM_MODEL: ("lstm_cells", "lstm_lr", "lstm_clip")}


def _number(text):
    return f"{float(text):g}"


def _value(params, kind, key):
    """The arm's value of `key` as the compressor reads it: its own, else the default."""
    if key in params:
        return LSTM_OPTIONS[key].parse(str(params[key]))
    return getattr(Settings(lstm=kind), key)


def candidates(band, improvement, kind, params):
    """[(why, params)] the plan's steps from an arm of `kind` with `params` that reached `band`,
    in the plan's order (untried or not)."""
    cells_key, lr_key, clip_key = KNOBS[kind]
    lr = _value(params, kind, lr_key)
    blend = _value(params, kind, "blend")
    cells = _value(params, kind, cells_key)

    def step(why, **changes):
        return why, {**params, **{key: str(value) for key, value in changes.items()}}

    if improvement < 0:
        found = [step("worse than the baseline: lower the learning rate", **{lr_key: _number(lr / 10)})]
        if blend != "learn":
            found.append(step("worse than the baseline: lower the blend", blend=_number(blend / 2)))
        return found + [step("worse than the baseline: check clipping (tighter)", **{clip_key: TIGHT_CLIP})]
    if band == "EXCELLENT":
        return [step("EXCELLENT: try the LSTM alone", blend="1.0")]
    if band == "GOOD":
        if blend != "learn" and blend < 0.5:
            return [step("GOOD: raise the blend to 0.5", blend="0.5")]
        return [step("GOOD: tune the blend", blend=value) for value in BLEND_TUNING]
    if band == "OK":
        return [step("OK: tune the learning rate up", **{lr_key: _number(lr * 10)}),
                step("OK: tune the learning rate down", **{lr_key: _number(lr / 10)})]
    return ([step("POOR: lower the learning rate", **{lr_key: _number(lr / 10)})]
            + [step("POOR: more cells", **{cells_key: n}) for n in MORE_CELLS if n > cells])


def next_steps(band, improvement, kind, params, tried):
    """The round after an arm that reached `band`: up to PER_ROUND untried candidates.
    `tried`: the params of every arm run so far."""
    seen = [_normal(kind, p) for p in tried]
    found = []
    for why, changed in candidates(band, improvement, kind, params):
        if changed != params and _normal(kind, changed) not in seen:
            seen.append(_normal(kind, changed))
            found.append((why, changed))
    return found[:PER_ROUND]


def _normal(kind, params):
    """Params as the compressor would read them, so '1e-3' and '0.001' are one setting."""
    return {key: _value(params, kind, key) for key in LSTM_OPTIONS if applies(key, kind)}


def variant_name(kind, params):
    return " ".join([kind] + [f"{key}={value}" for key, value in params.items()])
