"""The plan's decision: bands, sanity checks, overheads, and a 1 GB projection.

Band edges (improvement = bytes saved by LSTM-on, as % of the baseline's archive):
    EXCELLENT  improvement >  3.0     (so exactly 3.0 % is GOOD: the plan says "> 3 %")
    GOOD       2.5 <= improvement <= 3.0
    OK         1.5 <= improvement <  2.5
    POOR       improvement <  1.5     (so exactly 1.5 % is OK: the plan says "< 1.5 %")
The plan's ranges "2.5 - 3 %" and "1.5 - 2.5 %" share 2.5; it goes to the better band,
as 1.5 does. A failed or crashed run anywhere is NO-GO (debug), whatever the sizes.

Time overheads come on two clocks: wall time, which the plan's < 10 % goal judges (what
the user waits), and CPU time (user + system, every thread), shown beside it: an LSTM
training on a second core costs CPU time that wall time does not show.

Every figure a run may lack (no --stats, no LSTM block, no CPU time from an older
paqlstm, say on a Dask worker) comes out as None, shown "n/a".
"""
from ..settings import LSTM_MODEL, LSTM_OPTIONS
from .follow import KNOBS

EXCELLENT_ABOVE = 3.0
GOOD_FROM = 2.5
OK_FROM = 1.5
TIME_OVERHEAD_GOAL_PCT = 10.0                 # on wall time: what the user waits
EXTRA_MEMORY_GOAL_BYTES = 100 * 10**6         # the plan's "100 MB"
PROJECTION_BYTES = 10**9                      # 1 GB, the size of enwik9
DECIDING_RUNG_BYTES = 10**7                   # the plan decides on its "10 MB" rung
PREDICTION_SPREAD_MIN = 0.01                  # std of LSTM predictions below this: stuck
WEIGHT_CHANGE_MIN = 1e-6                      # relative change of the weight norm

BANDS = {
    "EXCELLENT": ("GO", "GO: scale to enwik9"),
    "GOOD": ("GO after tuning", "tune the blend, then scale"),
    "OK": ("NOT YET", "tune the learning rate, test again"),
    "POOR": ("NO-GO", "debug, or try a different approach"),
}
BAND_RANGES = {"EXCELLENT": "> 3 %", "GOOD": "2.5 - 3 %", "OK": "1.5 - 2.5 %", "POOR": "< 1.5 %"}
DEBUG = "NO-GO (debug)"
WALL, CPU = "wall", "cpu"
CLOCKS = (WALL, CPU)
CLOCK_KEYS = {WALL: "seconds", CPU: "cpu_seconds"}   # the same key in --stats and in each phase's record


def band_for(improvement_pct):
    """The plan's band for an improvement in percent (see the module header for edges)."""
    if improvement_pct > EXCELLENT_ABOVE:
        return "EXCELLENT"
    if improvement_pct >= GOOD_FROM:
        return "GOOD"
    if improvement_pct >= OK_FROM:
        return "OK"
    return "POOR"


def improvement_pct(baseline_bytes, lstm_bytes):
    """Bytes saved by the LSTM as a percentage of the baseline archive (negative: worse)."""
    return 100.0 * (baseline_bytes - lstm_bytes) / baseline_bytes


def _get(mapping, *keys):
    """mapping[k1][k2]... or None when any level is missing or not a dict."""
    for key in keys:
        if not isinstance(mapping, dict) or key not in mapping:
            return None
        mapping = mapping[key]
    return mapping


def _seconds(value):
    return float(value) if isinstance(value, (int, float)) else None


def coding_seconds(result, clock=WALL):
    """Seconds on `clock` the compressor itself reports (--stats), without process start-up; or None."""
    return _seconds(_get(result, "stats", CLOCK_KEYS[clock]))


def process_seconds(result, phase, clock=WALL):
    """Seconds on `clock` of the whole `phase` ("compress", "decompress") process; or None."""
    return _seconds(_get(result, phase, CLOCK_KEYS[clock]))


def compress_seconds(result, basis, clock=WALL):
    return coding_seconds(result, clock) if basis == "coding" else process_seconds(result, "compress", clock)


def time_basis(*results, clock=WALL):
    """'coding' when every result has the compressor's own timing on `clock`, else 'process'."""
    return "coding" if all(coding_seconds(r, clock) is not None for r in results) else "process"


def overhead_pct(baseline, other):
    if not baseline or other is None:
        return None
    return 100.0 * (other - baseline) / baseline


def _check(name, goal, measured, passed):
    status = "n/a" if passed is None else ("pass" if passed else "fail")
    return {"name": name, "goal": goal, "measured": measured, "status": status}


def _window_means(series):
    """Mean of the first and of the last quarter of a per-window series (>= 2 windows)."""
    quarter = max(1, len(series) // 4)
    return sum(series[:quarter]) / quarter, sum(series[-quarter:]) / quarter


def _numbers(series):
    if not isinstance(series, list) or not all(isinstance(v, (int, float)) for v in series):
        return None
    return series


def arm_lstm(stats):
    """The diagnostics of the LSTM an arm blends: the LSTM mixer's when on, else the byte model's."""
    if not isinstance(stats, dict):
        return None
    return stats.get("lstm_mixer") or stats.get("lstm")


def sanity_checks(stats):
    """The plan's debugging checklist as checks on an LSTM-on run's --stats (arm_lstm's)."""
    if stats is None:
        why = "no --stats from this compressor"
        return [_check(name, goal, why, None) for name, goal in (
            ("LSTM called", "forward steps > 0"), ("predictions vary", f"std >= {PREDICTION_SPREAD_MIN}"),
            ("weights change", "norm end != start"), ("loss falls", "last quarter < first quarter"))]
    lstm = arm_lstm(stats)
    if not isinstance(lstm, dict):
        lstm = {}
        called = _check("LSTM called", "forward steps > 0", "stats say the LSTM was off", False)
    else:
        steps = _get(lstm, "forward_steps")
        called = _check("LSTM called", "forward steps > 0", "n/a" if steps is None else f"{steps:,} forward steps",
                        None if steps is None else steps > 0)
    spread, mean = _get(lstm, "pred_std"), _get(lstm, "pred_mean")
    vary = _check("predictions vary", f"std >= {PREDICTION_SPREAD_MIN}",
                  "n/a" if spread is None else f"mean {mean if mean is None else round(mean, 4)}, std {spread:.4f}",
                  None if spread is None else spread >= PREDICTION_SPREAD_MIN)
    start, end = _get(lstm, "weight_norm_start"), _get(lstm, "weight_norm_end")
    if start is None or end is None:
        change = _check("weights change", "norm end != start", "n/a", None)
    else:
        moved = abs(end - start) > WEIGHT_CHANGE_MIN * max(1.0, abs(start))
        backward = _get(lstm, "backward_steps")
        steps = "" if backward is None else f", {backward:,} backward steps"
        change = _check("weights change", "norm end != start", f"norm {start:.4g} -> {end:.4g}{steps}", moved)
    series = _numbers(_get(lstm, "bpb"))
    if series is None or len(series) < 2:
        falls = _check("loss falls", "last quarter < first quarter",
                       "n/a" if series is None else "one window only", None)
    else:
        first, last = _window_means(series)
        falls = _check("loss falls", "last quarter < first quarter",
                       f"LSTM alone {first:.3f} -> {last:.3f} bits/byte", last < first)
    return [called, vary, change, falls]


def start_up_seconds(result):
    """Process time outside the compressor's own timing (start-up, imports), or 0 if unknown."""
    coding = coding_seconds(result)
    return 0.0 if coding is None else max(0.0, result["compress"]["seconds"] - coding)


def projection(result, basis, size=PROJECTION_BYTES):
    """Time and archive size for `size` bytes at a run's measured speed and ratio.

    Decompression has no timing of its own: its process time less the compress run's
    start-up stands in for it."""
    length = result["input_bytes"]
    seconds = compress_seconds(result, basis)
    decompress = _get(result, "decompress", "seconds")
    if decompress is not None and basis == "coding":
        decompress = max(decompress - start_up_seconds(result), 1e-3)
    return {"bytes": size,
            "archive_bytes": round(size * result["archive_bytes"] / length),
            "compress_seconds": None if not seconds else size * seconds / length,
            "decompress_seconds": None if not decompress else size * decompress / length}


def time_overheads(baseline, lstm, clock):
    """(basis, compress overhead %, decompress overhead %) of LSTM-on on `clock`. Compress on the
    compressor's own timing when both runs have it; decompress, which has none, on whole processes."""
    basis = time_basis(baseline, lstm, clock=clock)
    compress = overhead_pct(compress_seconds(baseline, basis, clock), compress_seconds(lstm, basis, clock))
    decompress = overhead_pct(process_seconds(baseline, "decompress", clock), process_seconds(lstm, "decompress", clock))
    return basis, compress, decompress


def compare(baseline, lstm):
    """LSTM-on against the baseline on one rung: every figure the verdict uses."""
    basis, time_overhead, decompress_overhead = time_overheads(baseline, lstm, WALL)
    cpu_basis, cpu_overhead, decompress_cpu_overhead = time_overheads(baseline, lstm, CPU)
    extra_memory = lstm["compress"]["peak_rss_bytes"] - baseline["compress"]["peak_rss_bytes"]
    improvement = improvement_pct(baseline["archive_bytes"], lstm["archive_bytes"])
    return {
        "improvement_pct": improvement,
        "bytes_saved": baseline["archive_bytes"] - lstm["archive_bytes"],
        "band": band_for(improvement),
        "time_basis": basis,
        "time_overhead_pct": time_overhead,
        "time_ok": None if time_overhead is None else time_overhead < TIME_OVERHEAD_GOAL_PCT,
        "decompress_overhead_pct": decompress_overhead,
        "cpu_time_basis": cpu_basis,
        "cpu_time_overhead_pct": cpu_overhead,
        "decompress_cpu_overhead_pct": decompress_cpu_overhead,
        "extra_memory_bytes": extra_memory,
        "memory_ok": extra_memory < EXTRA_MEMORY_GOAL_BYTES,
        "sanity": sanity_checks(lstm.get("stats")),
        "projection": {"baseline": projection(baseline, basis), "lstm": projection(lstm, basis)},
    }


def ranking(rung):
    """A rung's finished LSTM variants, smallest archive first."""
    finished = [v for v in rung.get("variants", []) if v.get("comparison")]
    return sorted(finished, key=lambda v: v["result"]["archive_bytes"])


def _failures(rungs):
    for rung in rungs:
        for arm in [rung.get("baseline")] + [v.get("result") for v in rung.get("variants", [])]:
            if arm and arm.get("status") == "failed":
                yield rung, arm


def code_changed(arm):
    """True when paqlstm's sources changed while this arm ran (None: not recorded)."""
    code = arm.get("code") if isinstance(arm, dict) else None
    return None if not isinstance(code, dict) else code.get("before") != code.get("after")


def _failure_hints(arm):
    error = arm.get("error") or ""
    hints = []
    if code_changed(arm):
        hints.append("paqlstm's source files changed while this run went on, so compress and decompress may have "
                     "run different code: run the ladder again on an unchanging tree before debugging.")
    if "No such option" in error:
        hints.append("This paqlstm build does not take the LSTM options yet (see `paqlstm compress --help`): "
                     "the LSTM-on arm cannot run until it does.")
    if arm.get("failed_stage") == "compare":
        hints.append("The round trip differs: encoder and decoder disagree (non-deterministic LSTM arithmetic, "
                     "state not reset the same way on both sides).")
    hints.append("Crash: check initialisation, input sizes, array bounds (the plan's checklist).")
    return hints


def suggest(rerun, kind, params, sweep):
    """A ladder command line: rerun with the arm `kind`, keeping params except the swept keys, then the sweep."""
    kept = [f"{LSTM_OPTIONS[key].flag} {value}" for key, value in params.items() if key not in sweep]
    swept = ["--sweep " + " ".join(f"{key}={values}" for key, values in sweep.items())]
    return " ".join([rerun, f"--arm {kind}"] + kept + swept)


def _band_hints(band, comparison, kind, params, rerun):
    """What to try next, from the plan's tuning order and the sanity checks."""
    failed = [c["name"] for c in comparison["sanity"] if c["status"] == "fail"]
    blend = params.get("blend")
    cells, lr, _ = KNOBS[kind]

    def suggest_(sweep):
        return suggest(rerun, kind, params, sweep)
    hints = []
    if band == "EXCELLENT":
        hints.append("Scale to enwik9 (projection below).")
        if blend != "1.0" and blend != "1":
            hints.append("The plan: if excellent, try the LSTM alone: "
                         f"`{suggest_({'blend': '0.5,1.0'})}`.")
    elif band == "GOOD":
        hints.append("The plan: if good, raise the LSTM weight to 0.5: "
                     f"`{suggest_({'blend': '0.2,0.5'})}`.")
    elif band == "OK":
        hints.append(f"Tune the learning rate: `{suggest_({lr: '1e-4,1e-3,1e-2'})}`.")
    else:
        if failed:
            hints.append("Sanity checks failed (" + ", ".join(failed) + "): fix these first.")
        if comparison["improvement_pct"] < 0:
            hints.append("Worse than the baseline: lower the learning rate, lower the blend weight, check gradient "
                         "clipping, check that inputs are normalised: "
                         f"`{suggest_({lr: '1e-4', 'blend': '0.1,0.2'})}`.")
        else:
            known = [c for c in comparison["sanity"] if c["status"] != "n/a"]
            working = ("The sanity checks pass (the LSTM is called, its predictions vary, its weights change, its "
                       "loss falls): it works but adds little. " if known and not failed else
                       "No real improvement: is the LSTM called, are its predictions varying, are its weights "
                       "changing? ")
            hints.append(working + "Try a higher learning rate or more cells: "
                         f"`{suggest_({lr: '1e-3,1e-2', cells: '48,64,96'})}`; "
                         "the plan also says: if poor, lower the learning rate to 1e-4.")
    if comparison["time_ok"] is False:
        cpu = comparison.get("cpu_time_overhead_pct")
        hints.append(f"Time overhead {comparison['time_overhead_pct']:+.1f} % (wall; CPU "
                     f"{'n/a' if cpu is None else f'{cpu:+.1f} %'}) is over the plan's "
                     f"{TIME_OVERHEAD_GOAL_PCT:.0f} % goal: fewer cells or a shorter horizon cost less.")
    if comparison["memory_ok"] is False:
        hints.append(f"Extra memory {comparison['extra_memory_bytes'] / 1e6:.0f} MB is over the plan's "
                     f"{EXTRA_MEMORY_GOAL_BYTES / 1e6:.0f} MB goal.")
    return hints


def decide(rungs, planned_labels, interrupted, rerun="paqlstm ladder"):
    """The verdict of a ladder from its rung records (see report.py for their shape).

    `planned_labels` are the rungs the ladder meant to run; `rerun` is the command line
    to suggest in next steps.
    """
    failure = next(_failures(rungs), None)
    if failure:
        rung, arm = failure
        return {"decision": DEBUG, "band": None, "headline": f"{DEBUG}: the {arm['arm']} run failed on the "
                f"{rung['label']} rung at {arm.get('failed_stage')}",
                "next_step": "debug, fix, then run the ladder again", "error": arm.get("error"),
                "hints": _failure_hints(arm), "rung": rung["label"], "variant": arm["arm"]}
    complete = [r for r in rungs if r.get("status") == "ok"]
    if not complete:
        return {"decision": "INCOMPLETE", "band": None, "headline": "INCOMPLETE: no rung finished",
                "next_step": "run the ladder again", "hints": [], "rung": None, "variant": None}
    top = complete[-1]
    ranked = ranking(top)
    best = ranked[0]
    comparison = best["comparison"]
    band = comparison["band"]
    decision, next_step = BANDS[band]
    provisional = top["length"] < DECIDING_RUNG_BYTES
    unfinished = [label for label in planned_labels if label not in {r["label"] for r in complete}]
    headline = f"{band} ({comparison['improvement_pct']:+.2f} %): {decision}"
    if len(ranked) > 1:
        headline += f", best arm {best['name']}"
    if provisional or unfinished:
        headline += f" (provisional: {top['label']} rung)"
    notes = []
    if unfinished:
        notes.append(f"Interrupted before the {', '.join(unfinished)} rung(s): this verdict is from the "
                     f"{top['label']} rung." if interrupted else
                     f"Rung(s) {', '.join(unfinished)} did not finish.")
    if provisional:
        notes.append(f"Provisional: the top rung has {top['length']:,} bytes; the plan decides on 10 MB.")
    return {"decision": decision, "band": band, "headline": headline, "next_step": next_step,
            "improvement_pct": comparison["improvement_pct"], "rung": top["label"], "variant": best["name"],
            "params": best["params"], "provisional": provisional, "notes": notes,
            "arms": [{"name": v["name"], "improvement_pct": v["comparison"]["improvement_pct"],
                      "band": v["comparison"]["band"], "decision": BANDS[v["comparison"]["band"]][0]} for v in ranked],
            "hints": _band_hints(band, comparison, best.get("kind", LSTM_MODEL), best["params"], rerun)
            + [f"The plan's whole tuning path, unattended: `{rerun} --arm {best.get('kind', LSTM_MODEL)} "
               "--follow-plan --rounds 3`."]}
