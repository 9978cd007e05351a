"""`paqlstm ladder`: the Click command, and the loop that climbs the rungs.

Rung by rung, smallest first: the baseline and every LSTM-on variant run (in parallel
up to --jobs); the report is rewritten after each finished arm; a rung with a failed
run stops the ladder (NO-GO: debug). With --follow-plan, further rounds on the top
rung take the plan's next step from the band reached (follow.py). Ctrl-C stops the
running arms and leaves the report of the finished ones, then exits with status 130.
"""
import datetime
import importlib.metadata
import os
import platform
import shlex
import time
from dataclasses import replace

import click
from click.core import ParameterSource

from ..click_options import schema_option
from ..settings import DEFAULT_LEVEL, LSTM_MIXER, LSTM_OPTIONS, OPTIONS
from . import corpus, follow, plan, report as reports, runs, verdict as rules
from .executors import make_executor
from .progress import Progress

WARM_UP_BYTES = 1024
DISTRIBUTIONS = ("paqlstm", "numba", "llvmlite", "numpy", "click", "tqdm", "matplotlib", "dask", "distributed")


# ---------------------------------------------------------------- the arms

def arm_specs(rung, input_path, level, variants, baseline=True):
    """The baseline (unless baseline=False) and each variant of one rung, as runs.ArmSpec."""
    arms = [(plan.BASELINE, ("--lstm", "off"))] * baseline + [(v.name, v.flags()) for v in variants]
    return [runs.ArmSpec(rung.label, input_path, rung.length, name, options, level) for name, options in arms]


# ---------------------------------------------------------------- the report's records

def versions():
    found = {"python": platform.python_version()}
    for name in DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def machine():
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = None
    return {"platform": platform.platform(), "machine": platform.machine(), "processor": platform.processor() or "n/a",
            "cpus": os.cpu_count(), "memory_bytes": memory, "host": platform.node()}


def variant_record(variant):
    return {"name": variant.name, "kind": variant.kind, "params": variant.params, "result": None, "comparison": None}


def rung_record(rung, input_path, variants):
    return {"label": rung.label, "requested": rung.requested, "length": rung.length, "note": rung.note,
            "sha256": corpus.sha256_file(input_path, rung.length), "status": "pending", "baseline": None,
            "variants": [variant_record(v) for v in variants]}


def store_result(record, result):
    """Put a finished arm into its rung record and refresh the rung's comparisons."""
    if result["arm"] == plan.BASELINE:
        record["baseline"] = result
    else:
        next(v for v in record["variants"] if v["name"] == result["arm"])["result"] = result
    baseline = record["baseline"]
    for variant in record["variants"]:
        both_ok = baseline and variant["result"] and baseline["status"] == variant["result"]["status"] == "ok"
        variant["comparison"] = rules.compare(baseline, variant["result"]) if both_ok else None


def rung_status(record):
    arms = [record["baseline"]] + [v["result"] for v in record["variants"]]
    if any(a and a["status"] == "failed" for a in arms):
        return "failed"
    if all(a and a["status"] == "ok" for a in arms):
        return "ok"
    return "interrupted"


def arm_line(result):
    """One line for a finished arm, printed under the progress bars."""
    head = f"{result['rung']} {result['arm']}:"
    if result["status"] != "ok":
        return f"{head} {result['status'].upper()} at {result['failed_stage']}: {result['error']}"
    rss = max(result["compress"]["peak_rss_bytes"], result["decompress"]["peak_rss_bytes"])
    times = {phase: reports.fmt_times(lambda clock: rules.process_seconds(result, phase, clock))
             for phase in ("compress", "decompress")}
    return (f"{head} {result['archive_bytes']:,} B ({reports.bits_per_byte(result):.3f} bits/byte), "
            f"compress {times['compress']}, decompress {times['decompress']} (wall / CPU), "
            f"peak {rss / 1e6:.0f} MB, round trip ok")


def rerun_command(input_path, default_corpus, level, rungs_text):
    words = ["paqlstm", "ladder"] + ([] if default_corpus else [input_path])
    if level != DEFAULT_LEVEL:
        words.append(f"--level={level}")
    if rungs_text != plan.DEFAULT_RUNGS:
        words.append(f"--rungs={rungs_text}")
    return shlex.join(words)


def command_line(ctx):
    """The ladder's command line as given: INPUT and sweep words, then non-default options."""
    words = ["paqlstm", "ladder", *ctx.params["words"]]
    for param in ctx.command.params:
        if param.name == "words" or ctx.get_parameter_source(param.name) == ParameterSource.DEFAULT:
            continue
        value = ctx.params[param.name]
        for item in (value if param.multiple else [value]):
            words += [param.opts[-1], str(item)]
    return shlex.join(words)


# ---------------------------------------------------------------- the loop

def climb(report, rung_specs, executor, progress, out, started):
    """Run the rungs in order, recording each finished arm; stops at the first bad rung.

    rung_specs: [(record, [ArmSpec])]; started: time.monotonic() at the start. Returns
    "complete" or "failed"; KeyboardInterrupt propagates to the caller, which stops the
    runs still going.
    """
    for index, (record, specs) in enumerate(rung_specs):
        record["status"] = "running"
        by_key = {spec.key: spec for spec in specs}
        for result in executor.run(specs, progress):
            store_result(record, result)
            progress.finish(by_key[(result["rung"], result["arm"])], arm_line(result))
            report["wall_seconds"] = time.monotonic() - started
            report["verdict"] = rules.decide(report["rungs"], report["config"]["planned_rungs"], False,
                                             report["config"]["rerun"])
            reports.write_report(report, out)
        record["status"] = rung_status(record)
        if record["status"] != "ok":
            progress.skip(sum(2 * s.length for _, later in rung_specs[index + 1:] for s in later))
            return "failed"
    return "complete"


def follow_plan_rounds(report, rung, record, input_path, level, executor, progress, out, started):
    """Rounds 2 .. --rounds on the top rung: each runs the plan's next steps from the best
    arm so far (follow.py) and records them in report["plan_path"]. Returns the ladder's status."""
    path = report["plan_path"]
    for number in range(2, report["config"]["rounds"] + 1):
        best = rules.ranking(record)[0]
        comparison = best["comparison"]
        tried = [v["params"] for v in record["variants"]]
        steps = follow.next_steps(comparison["band"], comparison["improvement_pct"], best["kind"], best["params"],
                                  tried)
        if not steps:
            path.append({"round": number, "from": best["name"], "steps": [],
                         "note": f"the plan has no untried step after {comparison['band']}: stopped"})
            break
        variants = [plan.Variant(follow.variant_name(best["kind"], params), params, best["kind"])
                    for _, params in steps]
        path.append({"round": number, "from": best["name"], "band_from": comparison["band"],
                     "steps": [{"why": why, "variant": v.name} for (why, _), v in zip(steps, variants)]})
        record["variants"] += [variant_record(v) for v in variants]
        specs = arm_specs(rung, input_path, level, variants, baseline=False)
        progress.extend(sum(2 * spec.length for spec in specs))
        if climb(report, [(record, specs)], executor, progress, out, started) != "complete":
            return "failed"
    return "complete"


def warm_up(executor, first_rung_specs):
    """Compile or load the kernels before anything is timed: a short round trip with the
    baseline's options and with the first LSTM variant's. Failures are left for the
    measured runs to report. Returns what each took."""
    specs = [replace(spec, rung="warm-up", length=min(spec.length, WARM_UP_BYTES)) for spec in first_rung_specs[:2]]
    click.echo("warming up: a short run per arm kind, so compile time stays out of the timings "
               "(the first run after a code change compiles the kernels: a minute or two)", err=True)
    return [{"arm": r["arm"], "status": r["status"],
             "seconds": sum(_get_seconds(r, phase) for phase in ("compress", "decompress"))}
            for r in executor.run(specs, None)]


def _get_seconds(result, phase):
    return (result.get(phase) or {}).get("seconds") or 0.0


def code_versions(report):
    """Fingerprints of paqlstm's sources seen by the ladder, in the order first seen."""
    seen = [report["code"]]
    for record in report["rungs"]:
        for arm in [record["baseline"]] + [v["result"] for v in record["variants"]]:
            seen += list((arm or {}).get("code", {}).values())
    return list(dict.fromkeys(seen))


def busiest_load(report):
    """The highest 1-minute load average recorded around any run, or None."""
    loads = [value for record in report["rungs"]
             for arm in [record["baseline"]] + [v["result"] for v in record["variants"]]
             for value in ((arm or {}).get("load") or {}).values() if value is not None]
    return max(loads, default=None)


def _finish(report, out, status, started):
    load, cpus = busiest_load(report), os.cpu_count() or 1
    if load is not None and load > cpus:
        report["notes"].append(f"The machine was busy: load average up to {load:.1f} on {cpus} CPUs around the "
                               "runs, so time figures are noisy.")
    versions_seen = code_versions(report)
    if len(versions_seen) > 1:
        report["notes"].append(f"paqlstm's source files changed during the ladder ({len(versions_seen)} versions "
                               "seen): arms may have run different code, so compare with care.")
    report["status"] = status
    report["finished"] = _now()
    report["wall_seconds"] = time.monotonic() - started
    report["verdict"] = rules.decide(report["rungs"], report["config"]["planned_rungs"], status == "interrupted",
                                     report["config"]["rerun"])
    return reports.write_report(report, out, charts=True)


def _now():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def _default_out():
    return os.path.join("results", "ladder-" + datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))


# ---------------------------------------------------------------- the command

def _split_words(words, sweep):
    """INPUT (or None) and the sweep words, from the positional words and --sweep values."""
    sweep_words = list(sweep) + [w for w in words if plan.is_sweep_word(w)]
    others = [w for w in words if not plan.is_sweep_word(w)]
    if len(others) > 1:
        raise click.UsageError(f"one INPUT at most, got {len(others)}: {' '.join(others)}")
    if sweep_words and not sweep:
        raise click.UsageError(f"{sweep_words[0]} looks like a sweep: write --sweep {sweep_words[0]}")
    return (others[0] if others else None), sweep_words


def _input(path):
    """(path, size, default Corpus or None), building the default corpus when path is None."""
    if path is None:
        built = corpus.default_corpus()
        click.echo(built.describe(), err=True)
        return built.path, built.bytes, built
    if not os.path.isfile(path):
        raise click.BadParameter(f"{path}: no such file", param_hint="INPUT")
    size = os.path.getsize(path)
    if size == 0:
        raise click.BadParameter(f"{path} is empty", param_hint="INPUT")
    return path, size, None


_HELP = f"""Run the LSTM decision ladder on INPUT and report GO / NO-GO.

\b
Each rung is a prefix of INPUT (--rungs, default {plan.DEFAULT_RUNGS}; K = 1,024
bytes). On each, the baseline (LSTM off) and the LSTM-on run each compress,
decompress and compare in their own processes. A failed run stops the ladder
(NO-GO: debug). The top rung decides, by the plan's bands of improvement:
  > 3 % EXCELLENT (GO: scale to enwik9)      2.5-3 % GOOD (tune blend, scale)
  1.5-2.5 % OK (tune learning rate, again)   < 1.5 % POOR (debug or pivot)
Exactly 3.0 % is GOOD, 2.5 % GOOD, 1.5 % OK.

Without INPUT the ladder uses a default corpus built from this Python's own
documentation and standard library (cached, SHA-256 printed).

The arms (--arm, default: mixer and model) are the LSTM kinds: 'mixer', the
plan's LSTM mixer over the models' predictions; 'model', the byte LSTM feeding the
mixer; 'both'. Each is compared with the same baseline and gets its own band; the
best is named. --follow-plan takes the plan's next step for the band reached,
round after round on the top rung (--rounds), and reports the path taken.

The report goes to --out: report.md, report.json and, with matplotlib (the
'plots' extra), PNG charts. Ctrl-C stops and keeps the finished runs. Exit
status: 0 with a verdict, 1 for NO-GO (debug), 130 after Ctrl-C.

\b
Examples:
  paqlstm ladder
  paqlstm ladder ../shared/data/dickens --out R
  paqlstm ladder book.txt --rungs 1K,100K --level 6 --blend 0.5
  paqlstm ladder book.txt --jobs 2 --sweep mixer_cells=32,48,64 mixer_lr=1e-4,1e-3,1e-2
  paqlstm ladder book.txt --arm mixer --arm mixer:blend=learn --arm model --arm both
  paqlstm ladder book.txt --rungs 10M --follow-plan --rounds 3 --jobs 2
"""


def _lstm_options(command):
    """--lstm-cells, --mixer-cells and the other LSTM options of `paqlstm compress`, each fixed
    for every arm whose kind takes it. Left out, an option is the compressor's default."""
    for option in reversed(LSTM_OPTIONS.values()):
        command = schema_option(option, default=None)(command)
    return command


@click.command(help=_HELP, no_args_is_help=False)
@click.argument("words", nargs=-1, metavar="[INPUT] [KEY=VALUES]...")
@click.option("-o", "--out", metavar="DIR", help="Report directory.  [default: results/ladder-DATE-TIME]")
@click.option("--rungs", default=plan.DEFAULT_RUNGS, show_default=True, metavar="SIZES",
              help="Comma-separated prefix sizes: bytes, or with K / M (1,024 / 1,048,576).")
@schema_option(OPTIONS["level"], note="the same for every run")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Runs at once. More than 1 shares the cores, so time overheads get noisier.")
@click.option("--arm", "arm_words", multiple=True, metavar="KIND[:KEY=VALUE...]",
              help="An LSTM-on arm: KIND mixer, model or both, with options of its own (mixer:mixer_lr=0.01). "
                   "Repeatable.  [default: mixer and model]")
@_lstm_options
@click.option("--sweep", multiple=True, metavar="KEY=V1,V2,...",
              help="Run every combination of these values in each arm whose kind takes them, ranked in the "
                   "report. Keys: " + ", ".join(LSTM_OPTIONS) + ". Several KEY=VALUES may follow one --sweep.")
@click.option("--follow-plan", is_flag=True,
              help="Start one arm (the first --arm, default mixer) at the plan's settings, then take the plan's "
                   "next step for the band reached, round after round on the top rung.")
@click.option("--rounds", type=click.IntRange(min=1), default=3, show_default=True,
              help="Rounds of --follow-plan, the first included.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a dask.distributed scheduler (needs the 'dask' extra; workers need INPUT at the same "
                   "path).")
def ladder(words, out, rungs, level, jobs, arm_words, sweep, follow_plan, rounds, scheduler, **lstm):
    input_word, sweep_words = _split_words(words, sweep)
    try:
        wanted_rungs = plan.parse_rungs(rungs)
        swept = plan.parse_sweep(sweep_words)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--rungs" if "size" in str(exc) else "--sweep")
    try:
        arms = [plan.parse_arm(word) for word in arm_words]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--arm")
    if follow_plan:
        if swept:
            raise click.UsageError("--follow-plan chooses each round's settings itself: no --sweep")
        arms = arms[:1] or [(LSTM_MIXER, {})]
    fixed = {key: value for key, value in lstm.items() if value is not None}
    input_path, input_size, built = _input(input_word)
    planned = plan.plan_rungs(wanted_rungs, input_size)
    variants = plan.variants(arms or plan.default_arms(swept), fixed, swept)
    out = out or _default_out()
    try:
        executor = make_executor(jobs, scheduler)
    except RuntimeError as exc:
        raise click.UsageError(str(exc))

    used = planned[-1].length
    notes = [f"{r.label}: {r.note}" for r in planned if r.note]
    notes += [f"{label}: same bytes as the rung below it (INPUT is {input_size:,} bytes): not run again"
              for label in plan.dropped_rungs(wanted_rungs, planned)]
    if jobs > 1 and not scheduler:
        notes.append(f"{jobs} runs at once on {os.cpu_count()} CPUs: timings share the cores.")
    for note in notes:
        click.echo(note, err=True)

    report = {
        "schema": 1, "tool": "paqlstm ladder", "status": "running",
        "command": command_line(click.get_current_context()),
        "started": _now(), "finished": None, "wall_seconds": 0.0,
        "input": {"path": os.path.abspath(input_path), "name": os.path.basename(input_path), "bytes": input_size,
                  "used_bytes": used, "sha256_used": corpus.sha256_file(input_path, used),
                  "default_corpus": built.to_dict() if built else None},
        "config": {"rungs": rungs, "planned_rungs": [r.label for r in planned], "level": level, "jobs": jobs,
                   "executor": executor.describe(), "lstm_options": fixed, "sweep": swept,
                   "variants": [{"name": v.name, "kind": v.kind, "params": v.params} for v in variants],
                   "follow_plan": follow_plan, "rounds": rounds if follow_plan else 1,
                   "rerun": rerun_command(input_word or "", built is not None, level, rungs)},
        "versions": versions(), "machine": machine(), "code": runs.source_fingerprint(), "notes": notes,
        "rungs": [rung_record(r, input_path, variants) for r in planned],
        "verdict": None, "charts": None,
        "plan_path": [{"round": 1, "steps": [{"why": "the plan's starting settings", "variant": v.name}
                                              for v in variants]}] if follow_plan else None,
    }
    rung_specs = [(record, arm_specs(r, input_path, level, variants))
                  for record, r in zip(report["rungs"], planned)]
    total = sum(2 * spec.length for _, specs in rung_specs for spec in specs)
    runs.reset_stop()
    started = time.monotonic()
    progress = None
    try:
        report["warm_up"] = warm_up(executor, rung_specs[0][1])
        progress = Progress(total, jobs)
        status = climb(report, rung_specs, executor, progress, out, started)
        if follow_plan and status == "complete":
            status = follow_plan_rounds(report, planned[-1], rung_specs[-1][0], input_path, level, executor,
                                        progress, out, started)
    except KeyboardInterrupt:
        executor.stop()
        if progress:
            progress.close()
        for record in report["rungs"]:
            if record["status"] == "running":
                record["status"] = "interrupted"
        json_path, md_path = _finish(report, out, "interrupted", started)
        click.echo(f"interrupted: the finished runs are in {md_path}", err=True)
        raise
    finally:
        if progress:
            progress.close()
        executor.close()
    json_path, md_path = _finish(report, out, status, started)
    click.echo(reports.summary_text(report))
    click.echo(f"\nreport: {md_path} (and {json_path.name}"
               + "".join(f", {name}" for name in report["charts"]["files"]) + f"); "
               f"wall time {reports.fmt_duration(report['wall_seconds'])}")
    return 1 if report["verdict"]["decision"] == rules.DEBUG else 0
