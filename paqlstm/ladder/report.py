"""The ladder's report: report.json (every figure), report.md (for people), PNG charts.

The report is one dict, built by command.py as runs finish and written again after
each, so an interrupted ladder leaves a readable report of what it finished. Files are
replaced atomically. Charts need matplotlib (the `plots` extra) and the compressor's
--stats; without either the report says why there are none.
"""
import json
from pathlib import Path

from ..files import write_whole
from . import verdict as rules

JSON_NAME, MARKDOWN_NAME = "report.json", "report.md"
CHARTS = {"lstm_loss.png": "LSTM loss over the input", "bpb_position.png": "bits/byte over position",
          "sizes.png": "size per rung"}
MAX_LINES_PER_CHART = 8


# ---------------------------------------------------------------- formatting

def na(value, form="{}"):
    return "n/a" if value is None else form.format(value)


def fmt_pct(value, signed=True):
    return na(value, "{:+.2f} %" if signed else "{:.2f} %")


def fmt_mb(size):
    """Megabytes, with a decimal below 10 MB (an LSTM mixer's 0.2 MB is not 0)."""
    return na(None if size is None else size / 1e6, "{:,.1f} MB" if size is not None and size < 1e7 else "{:,.0f} MB")


def fmt_gb(size):
    return na(None if size is None else size / 1e9, "{:.1f} GB")


def fmt_duration(seconds):
    if seconds is None:
        return "n/a"
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _get(mapping, *keys):
    return rules._get(mapping, *keys)


def fmt_times(seconds_of):
    """Wall and CPU time, "12.3 s / 20.1 s", from seconds_of(clock) (None: "n/a")."""
    return " / ".join(fmt_duration(seconds_of(clock)) for clock in rules.CLOCKS)


def fmt_overheads(comparison, wall_key, cpu_key):
    """Wall and CPU overhead, "+7.50 % / +50.00 %"; a report from before CPU times has no cpu_key."""
    return f"{fmt_pct(comparison.get(wall_key))} / {fmt_pct(comparison.get(cpu_key))}"


def bits_per_byte(result):
    if not result.get("archive_bytes") or not result.get("input_bytes"):
        return None
    return 8 * result["archive_bytes"] / result["input_bytes"]


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _status_mark(status):
    return {"pass": "yes", "fail": "**NO**", "n/a": "n/a"}.get(status, status)


# ---------------------------------------------------------------- sections

def _arms(rung):
    """(name, result, comparison) of a rung's arms, baseline first."""
    found = [("baseline", rung["baseline"], None)] if rung.get("baseline") else []
    return found + [(v["name"], v["result"], v.get("comparison")) for v in rung.get("variants", []) if v.get("result")]


def rungs_table(report):
    rows = []
    for rung in report["rungs"]:
        if not _arms(rung):
            rows.append([rung["label"], f"{rung['length']:,}", f"not run ({rung['status']})"] + [""] * 7)
        for name, result, comparison in _arms(rung):
            ok = result["status"] == "ok"
            rss = [_get(result, phase, "peak_rss_bytes") for phase in ("compress", "decompress")]
            rows.append([
                rung["label"], f"{rung['length']:,}", name,
                na(result.get("archive_bytes"), "{:,}") if ok else f"**{result['status'].upper()}**",
                na(bits_per_byte(result), "{:.3f}") if ok else "",
                fmt_pct(comparison["improvement_pct"]) if comparison else "",
                fmt_times(lambda clock: rules.process_seconds(result, "compress", clock)),
                fmt_times(lambda clock: rules.process_seconds(result, "decompress", clock)),
                " / ".join(fmt_mb(v) for v in rss),
                "yes" if result.get("round_trip") else ("**NO**" if result.get("failed_stage") == "compare" else ""),
            ])
    return _table(["rung", "bytes", "arm", "archive B", "bits/byte", "vs baseline", "compress wall / CPU",
                   "decompress wall / CPU", "peak RSS c / d", "round trip"], rows)


def diagnostics_table(report):
    rows = []
    for rung in report["rungs"]:
        for name, result, _ in _arms(rung):
            stats = result.get("stats")
            lstm = rules.arm_lstm(stats)
            if result["status"] != "ok" or name == "baseline":
                continue
            series = rules._numbers(_get(lstm, "bpb")) or []
            windows = f"{len(series)} window" + ("s" if len(series) != 1 else "")
            loss = f"{series[0]:.3f} -> {series[-1]:.3f} ({windows})" if series else "n/a"
            mean, spread = _get(lstm, "pred_mean"), _get(lstm, "pred_std")
            norms = (_get(lstm, "weight_norm_start"), _get(lstm, "weight_norm_end"))
            steps = (_get(lstm, "forward_steps"), _get(lstm, "backward_steps"))
            rows.append([
                rung["label"], name, loss,
                "n/a" if mean is None else f"{mean:.3f} ± {na(spread, '{:.3f}')}",
                "n/a" if None in norms else f"{norms[0]:.4g} -> {norms[1]:.4g}",
                " / ".join(na(s, "{:,}") for s in steps),
                fmt_mb(_get(lstm, "memory_bytes")),
                fmt_duration(_get(lstm, "seconds_estimated")),
                fmt_times(lambda clock: rules.coding_seconds(result, clock)),
            ])
    if not rows:
        return "No LSTM-on run finished."
    return _table(["rung", "arm", "LSTM alone bits/byte, first -> last window", "prediction mean ± std",
                   "weight norm", "forward / backward steps", "LSTM memory", "time in LSTM (estimated)",
                   "coding time wall / CPU"], rows)


def band_table(verdict):
    rows = []
    for band, (decision, step) in rules.BANDS.items():
        here = " **<- here**" if verdict.get("band") == band else ""
        rows.append([rules.BAND_RANGES[band], f"{band}{here}", decision, step])
    return _table(["improvement", "band", "decision", "next step"], rows)


def _basis(basis):
    return {"coding": "the compressor's coding time", "process": "whole process"}.get(basis, "not recorded")


def checks_table(comparison):
    """The goals beside the band. Time overhead on both clocks, the goal judged on wall time only."""
    rows = [
        ["time overhead, wall", f"< {rules.TIME_OVERHEAD_GOAL_PCT:.0f} %",
         f"compress {fmt_pct(comparison['time_overhead_pct'])} ({_basis(comparison['time_basis'])}); "
         f"decompress {fmt_pct(comparison['decompress_overhead_pct'])} (whole process)",
         _status_mark(None if comparison["time_ok"] is None else ("pass" if comparison["time_ok"] else "fail"))],
        ["time overhead, CPU (all threads)", "shown, not judged",
         f"compress {fmt_pct(comparison.get('cpu_time_overhead_pct'))} "
         f"({_basis(comparison.get('cpu_time_basis'))}); "
         f"decompress {fmt_pct(comparison.get('decompress_cpu_overhead_pct'))} (whole process)", ""],
        ["extra memory", f"< {rules.EXTRA_MEMORY_GOAL_BYTES / 1e6:.0f} MB",
         f"{comparison['extra_memory_bytes'] / 1e6:+,.1f} MB peak RSS",
         _status_mark("pass" if comparison["memory_ok"] else "fail")],
    ]
    rows += [[c["name"], c["goal"], c["measured"], _status_mark(c["status"])] for c in comparison["sanity"]]
    return _table(["check", "goal", "measured", "ok"], rows)


def projection_table(comparison):
    rows = []
    for arm in ("baseline", "lstm"):
        p = comparison["projection"][arm]
        rows.append([arm, fmt_duration(p["compress_seconds"]), fmt_duration(p["decompress_seconds"]),
                     f"{p['archive_bytes']:,}"])
    return _table(["arm", "compress", "decompress", "archive B"], rows)


def ranking_table(ranked, baseline_bytes):
    """Every arm against the same baseline: its own band and decision, best first."""
    rows = []
    for place, variant in enumerate(ranked, 1):
        c = variant["comparison"]
        rows.append([place, variant["name"], f"{variant['result']['archive_bytes']:,}",
                     fmt_pct(c["improvement_pct"]), c["band"], rules.BANDS[c["band"]][0],
                     fmt_overheads(c, "time_overhead_pct", "cpu_time_overhead_pct"),
                     fmt_overheads(c, "decompress_overhead_pct", "decompress_cpu_overhead_pct"),
                     f"{c['extra_memory_bytes'] / 1e6:+,.1f} MB"])
    return (f"Baseline: {baseline_bytes:,} B. Best arm: **{ranked[0]['name']}**.\n\n" +
            _table(["rank", "arm", "archive B", "vs baseline", "band", "decision", "compress overhead wall / CPU",
                    "decompress overhead wall / CPU", "extra memory"], rows))


def plan_path_table(report):
    """The rounds --follow-plan took: each step, why, and what it reached."""
    rung = report["rungs"][-1]
    reached = {v["name"]: v for v in rung.get("variants", [])}
    rows = []
    for round_ in report["plan_path"]:
        if not round_["steps"]:
            rows.append([round_["round"], round_.get("from", ""), round_.get("note", ""), "", "", "", ""])
        for step in round_["steps"]:
            variant = reached.get(step["variant"]) or {}
            c, result = variant.get("comparison"), variant.get("result")
            rows.append([round_["round"], round_.get("from", "start"), step["why"], step["variant"],
                         f"{result['archive_bytes']:,}" if c else "not run", fmt_pct(c["improvement_pct"]) if c else "",
                         c["band"] if c else ""])
    return _table(["round", "from", "the plan's step", "arm", "archive B", "vs baseline", "band"], rows)


def _top_comparison(report):
    v = report.get("verdict") or {}
    for rung in report["rungs"]:
        if rung["label"] == v.get("rung"):
            for variant in rung.get("variants", []):
                if variant["name"] == v.get("variant") and variant.get("comparison"):
                    return rung, variant
    return None, None


def verdict_section(report):
    v = report["verdict"]
    lines = [f"## Verdict: {v['headline']}", ""]
    if v.get("band"):
        rung, variant = _top_comparison(report)
        comparison = variant["comparison"]
        saves = (f"saves {comparison['bytes_saved']:,} bytes" if comparison["bytes_saved"] >= 0
                 else f"costs {-comparison['bytes_saved']:,} bytes more")
        lines += [f"On the {rung['label']} rung ({rung['length']:,} bytes), {variant['name']} {saves} against the "
                  "baseline "
                  f"({rung['baseline']['archive_bytes']:,} -> {variant['result']['archive_bytes']:,} B, "
                  f"{fmt_pct(comparison['improvement_pct'])}).", ""]
        lines += [band_table(v), ""]
        lines += [f"**Next step: {v['next_step']}.**", ""]
        lines += [f"- {note}" for note in v.get("notes", [])]
        lines += [f"- {hint}" for hint in v.get("hints", [])]
        lines += ["", "### Beside it", "", checks_table(comparison), ""]
        speed = ("the compressor's own coding time" if comparison["time_basis"] == "coding"
                 else "whole-process time")
        lines += [f"### Projection for 1 GB ({rules.PROJECTION_BYTES:,} bytes, the size of enwik9)", "",
                  f"At the ratio and wall-clock speed measured on this rung (compress: {speed}; decompress: "
                  "whole-process time less the compress run's start-up), one process, same level:", "",
                  projection_table(comparison), ""]
    else:
        lines += [f"**Next step: {v['next_step']}.**", ""]
        if v.get("error"):
            lines += ["```", v["error"], "```", ""]
        lines += [f"- {hint}" for hint in v.get("hints", [])] + [""]
    return "\n".join(lines)


def _input_line(report):
    info = report["input"]
    corpus = info.get("default_corpus")
    origin = (f"the default corpus (Python {corpus['python'].split()[0]} documentation and standard library, "
              f"{corpus['bytes']:,} bytes, sha256 `{corpus['sha256']}`)" if corpus else f"`{info['path']}`")
    return (f"Input: {origin}; {info['bytes']:,} bytes, of which the ladder used {info['used_bytes']:,} "
            f"(sha256 `{info['sha256_used']}`).")


def charts_section(report):
    charts = report.get("charts") or {}
    lines = ["## Charts", ""]
    if charts.get("note"):
        lines += [charts["note"], ""]
    lines += [f"![{CHARTS[name]}]({name})" for name in charts.get("files", [])]
    return "\n".join(lines)


def render_markdown(report):
    config = report["config"]
    status = report["status"]
    lines = [f"# paqlstm decision ladder: {report['verdict']['headline']}", ""]
    if status == "interrupted":
        lines += ["**Interrupted (Ctrl-C): this report holds the runs that finished.**", ""]
    elif status == "running":
        lines += ["**Still running: this report holds the runs finished so far.**", ""]
    lines += [_input_line(report), "",
              f"Level {config['level']}; rungs {config['rungs']}; {config['executor']}; "
              f"started {report['started']}, wall time {fmt_duration(report.get('wall_seconds'))}.", ""]
    lines += [f"- {note}" for note in report.get("notes", [])] + [""]
    lines += [verdict_section(report)]
    lines += ["## Rungs", "", "Each arm ran in its own processes: compress, decompress, byte compare. "
              "Times are whole processes (start-up included), wall clock / CPU time (user + system, every "
              "thread); peak RSS is each child's own.", "",
              rungs_table(report), ""]
    lines += ["## LSTM diagnostics", "", diagnostics_table(report), ""]
    top = next((r for r in reversed(report["rungs"]) if rules.ranking(r)), None)
    if top:
        lines += [f"## Arms ({top['label']} rung)", "", ranking_table(rules.ranking(top),
                  top["baseline"]["archive_bytes"]), ""]
    if report.get("plan_path"):
        lines += [f"## The plan, followed ({report['rungs'][-1]['label']} rung)", "",
                  "Each round takes the plan's next step from the best arm so far, by the band it reached.", "",
                  plan_path_table(report), ""]
    lines += [charts_section(report), ""]
    lines += ["## Run", "", f"- command: `{report['command']}`",
              "- LSTM options: " + (" ".join(f"{k}={v}" for k, v in config["lstm_options"].items())
                                    or "the compressor's defaults"),
              "- sweep: " + (" ".join(f"{k}={','.join(v)}" for k, v in config["sweep"].items()) or "none"),
              "- versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items()),
              f"- paqlstm sources at the start: fingerprint {report.get('code', 'n/a')}",
              "- machine: " + ", ".join(f"{k} {fmt_gb(v) if k == 'memory_bytes' else v}"
                                        for k, v in report["machine"].items())]
    lines += ["- warm-up before timing (compiling or loading the kernels, not counted): " +
              ", ".join(f"{w['arm']} {fmt_duration(w['seconds'])}" for w in report["warm_up"])
              if report.get("warm_up") else "- no warm-up", ""]
    return "\n".join(lines)


def summary_text(report):
    """A short plain summary for the terminal."""
    v = report["verdict"]
    lines = [f"verdict: {v['headline']}", f"next step: {v['next_step']}"]
    lines += [f"  {hint}" for hint in v.get("hints", [])[:2]]
    rung, variant = _top_comparison(report)
    if variant:
        c = variant["comparison"]
        lines.append(f"time overhead of {variant['name']} ({rung['label']} rung), wall / CPU: compress "
                     f"{fmt_overheads(c, 'time_overhead_pct', 'cpu_time_overhead_pct')}, decompress "
                     f"{fmt_overheads(c, 'decompress_overhead_pct', 'decompress_cpu_overhead_pct')} "
                     f"(the {rules.TIME_OVERHEAD_GOAL_PCT:.0f} % goal is on wall time)")
    lines += ["", rungs_table(report)]
    return "\n".join(lines)


# ---------------------------------------------------------------- charts

def position_unit(length):
    """(name, bytes) of the unit for positions in an input of `length` bytes."""
    return ("MB", 1e6) if length >= 1e6 else ("KB", 1e3)


def _series_positions(stats, series, length):
    """Position of the end of each window (window_bytes when the stats say it), in position_unit."""
    scale = position_unit(length)[1]
    window = _get(stats, "window_bytes")
    if isinstance(window, (int, float)) and window > 0:
        return [min(length, (i + 1) * window) / scale for i in range(len(series))]
    return [(i + 1) * length / len(series) / scale for i in range(len(series))]


def chart_rung(report):
    """The highest rung with per-window statistics, or None."""
    for rung in reversed(report["rungs"]):
        base = _get(rung, "baseline", "stats", "bpb_final")
        if rules._numbers(base) and any(_get(v, "result", "stats", "bpb_final") for v in rung.get("variants", [])):
            return rung
    return None


def _chart_variants(rung):
    """The variants a chart draws: best first, at most MAX_LINES_PER_CHART - 1."""
    ranked = rules.ranking(rung) or [v for v in rung["variants"] if _get(v, "result", "stats")]
    return ranked[:MAX_LINES_PER_CHART - 1]


def _plot_series(axes, rung, arms, pick, label_suffix=""):
    """Plot each (name, result)'s per-window series pick(stats); returns how many."""
    drawn = 0
    for name, result in arms:
        series = rules._numbers(pick(result.get("stats")))
        if series:
            style = {"color": "black", "linewidth": 1.4} if name == "baseline" else {"linewidth": 1.0}
            axes.plot(_series_positions(result["stats"], series, rung["length"]), series,
                      label=name + label_suffix, marker="o" if len(series) <= 20 else None, **style)
            drawn += 1
    return drawn


def _final_bpb(stats):
    return _get(stats, "bpb_final")


def _plot_savings(axes, rung, arms):
    """Per window, the bytes each LSTM-on arm saves against the baseline, in % (above 0: smaller)."""
    base = rules._numbers(_get(rung, "baseline", "stats", "bpb_final")) or []
    for name, result in arms:
        series = rules._numbers(_get(result, "stats", "bpb_final"))
        if series and len(series) == len(base):
            saving = [100.0 * (b - s) / b if b else 0.0 for b, s in zip(base, series)]
            axes.plot(_series_positions(result["stats"], series, rung["length"]), saving, label=name,
                      linewidth=1.0, marker="o" if len(series) <= 20 else None)
    axes.axhline(0.0, color="black", linewidth=0.8)


def draw_charts(report, out):
    """Write the PNG charts into out; returns (file names, note about missing ones)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return [], "No charts: matplotlib is not installed (pip install 'paqlstm[plots]')."
    written, missing = [], []
    rung = chart_rung(report)
    if rung is None:
        missing.append("no rung has per-window --stats from both arms (the compressor's --stats is "
                       "missing, or no LSTM-on run finished), so there are no loss or position charts")
    else:
        baseline = [("baseline", rung["baseline"])]
        lstm = [(v["name"], v["result"]) for v in _chart_variants(rung)]
        fig, axes = plt.subplots(figsize=(8, 4.5))
        if _plot_series(axes, rung, lstm, lambda stats: _get(rules.arm_lstm(stats), "bpb")):
            _plot_series(axes, rung, baseline, _final_bpb, " (final, reference)")
            axes.set(title=f"LSTM loss over the input ({rung['label']} rung): the LSTM alone",
                     xlabel=f"position ({position_unit(rung['length'])[0]})", ylabel="bits/byte (per window)")
            axes.legend(fontsize="small")
            _save(fig, out / "lstm_loss.png", written)
        else:
            missing.append("the LSTM-on runs' stats have no per-window LSTM loss")
        plt.close(fig)
        fig, (axes, below) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True, height_ratios=(3, 2))
        _plot_series(axes, rung, baseline + lstm, _final_bpb)
        axes.set(title=f"Bits/byte over position ({rung['label']} rung): baseline vs LSTM",
                 ylabel="bits/byte (per window)")
        axes.legend(fontsize="small")
        _plot_savings(below, rung, lstm)
        below.set(xlabel=f"position ({position_unit(rung['length'])[0]})", ylabel="LSTM saving per window (%)")
        _save(fig, out / "bpb_position.png", written)
        plt.close(fig)
    if _sizes_chart(plt, report, out / "sizes.png"):
        written.append("sizes.png")
    note = ("Missing: " + "; ".join(missing) + ".") if missing else ""
    return written, note


def _save(fig, path, written):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    written.append(path.name)


def _sizes_chart(plt, report, path):
    rungs = [r for r in report["rungs"] if _get(r, "baseline", "archive_bytes")]
    if not rungs:
        return False
    ranked = [v["name"] for v in rules.ranking(rungs[-1])]       # best first, then any others
    variants = dict.fromkeys(ranked + [v["name"] for r in rungs for v in r["variants"]
                                       if _get(v, "result", "archive_bytes")])
    names = ["baseline"] + list(variants)[:MAX_LINES_PER_CHART - 1]
    width = min(0.25, 0.8 / len(names))
    fig, axes = plt.subplots(figsize=(9, 4.5))
    for index, name in enumerate(names):
        xs, ys, labels = [], [], []
        for position, rung in enumerate(rungs):
            result = rung["baseline"] if name == "baseline" else next(
                (v["result"] for v in rung["variants"] if v["name"] == name), None)
            if result and result.get("archive_bytes"):
                xs.append(position + (index - (len(names) - 1) / 2) * width)
                ys.append(bits_per_byte(result))
                saved = "" if name == "baseline" else " ({:+.2f} %)".format(
                    rules.improvement_pct(rung["baseline"]["archive_bytes"], result["archive_bytes"]))
                labels.append(f"{result['archive_bytes']:,}{saved}")
        bars = axes.bar(xs, ys, width, label=name)
        axes.bar_label(bars, labels=labels, fontsize="x-small", rotation=90, label_type="center", color="white")
    axes.set_xticks(range(len(rungs)), [f"{r['label']}\n{r['length']:,} B" for r in rungs])
    axes.set(title="Size per rung (bar labels: archive bytes)", ylabel="bits/byte")
    axes.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


# ---------------------------------------------------------------- files

def write_report(report, out, charts=False):
    """Write report.json and report.md into out (and the charts when asked); returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if charts:
        files, note = draw_charts(report, out)
        report["charts"] = {"files": files, "note": note}
    write_whole(out / JSON_NAME, (json.dumps(report, indent=2, default=str) + "\n").encode("utf-8"))
    write_whole(out / MARKDOWN_NAME, render_markdown(report).encode("utf-8"))
    return out / JSON_NAME, out / MARKDOWN_NAME
