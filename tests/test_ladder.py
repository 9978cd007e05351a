"""paqlstm ladder: rung and sweep parsing, verdict bands at their edges, sanity checks,
reports that exist and parse, the default corpus, and the ladder end to end on the 1 KB
and 100 KB rungs of dickens (real child processes, level 1 to keep them quick)."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from paqlstm.cli import cli
from paqlstm.ladder import command, corpus, follow, plan, report, runs, verdict
from paqlstm.ladder.executors import LocalExecutor

K, M = 1 << 10, 1 << 20


# ---------------------------------------------------------------- plan

def test_sizes_and_rungs():
    assert [plan.parse_size(t) for t in ("1024", "1K", "100K", "10M", "2kb")] == [1024, K, 100 * K, 10 * M, 2 * K]
    assert plan.parse_rungs("10M, 1K,100K,1024") == [("1K", K), ("100K", 100 * K), ("10M", 10 * M)]
    for bad in ("", "0", "1X", "-5", "K"):
        with pytest.raises(ValueError):
            plan.parse_rungs(bad) if bad == "" else plan.parse_size(bad)


def test_rungs_on_a_short_input_use_all_of_it_and_say_so():
    rungs = plan.parse_rungs("1K,100K,10M")
    planned = plan.plan_rungs(rungs, 50_000)
    assert [(r.label, r.length) for r in planned] == [("1K", K), ("100K", 50_000)]
    assert "only 50,000 bytes" in planned[1].note and planned[0].note == ""
    assert plan.dropped_rungs(rungs, planned) == ["10M"]


def test_sweep_grid_and_flags():
    sweep = plan.parse_sweep(["lstm_cells=32,48", "blend=0.1,0.2,0.5"])
    found = plan.variants([("model", {})], {"lstm_lr": "1e-3", "mixer_lr": "0.01"}, sweep)
    assert len(found) == 6
    assert found[0].name == "model lstm_cells=32 blend=0.1"
    assert found[0].params == {"lstm_lr": "1e-3", "lstm_cells": "32", "blend": "0.1"}   # mixer_lr is not the model's
    assert found[0].flags() == ("--lstm", "model", "--lstm-lr", "1e-3", "--lstm-cells", "32", "--blend", "0.1")
    assert plan.variants([("mixer", {})], {}, {}) == [plan.Variant("mixer", {}, "mixer")]
    for bad in (["cells=1"], ["blend=2"], ["lstm_cells=1.5"], ["lstm_lr=0"], ["blend="], ["blend"],
                ["blend=0.1", "blend=0.2"]):
        with pytest.raises(ValueError):
            plan.parse_sweep(bad)


def test_arms_kinds_and_their_own_options():
    assert plan.default_arms({}) == [("mixer", {}), ("model", {})]
    assert plan.default_arms({"mixer_cells": ["32"]}) == [("mixer", {})]
    assert plan.default_arms({"blend": ["0.5"]}) == [("mixer", {}), ("model", {})]
    assert plan.parse_arm("both") == ("both", {})
    assert plan.parse_arm("mixer:mixer_lr=0.01:blend=learn") == ("mixer", {"mixer_lr": "0.01", "blend": "learn"})
    for bad in ("off", "mixr", "mixer:lstm_cells=8", "mixer:mixer_lr", "mixer:mixer_lr=2", "model:mixer_cells=8"):
        with pytest.raises(ValueError):
            plan.parse_arm(bad)
    arms = [("mixer", {}), ("mixer", {"blend": "learn"}), ("model", {}), ("both", {})]
    found = plan.variants(arms, {}, plan.parse_sweep(["mixer_cells=32,48"]))
    assert [v.name for v in found] == ["mixer mixer_cells=32", "mixer mixer_cells=48",
                                       "mixer blend=learn mixer_cells=32", "mixer blend=learn mixer_cells=48", "model",
                                       "both mixer_cells=32", "both mixer_cells=48"]


@pytest.mark.parametrize("band, improvement, params, expected", [
    ("EXCELLENT", 3.5, {}, [{"blend": "1.0"}]),
    ("EXCELLENT", 3.5, {"blend": "1.0"}, []),
    ("GOOD", 2.7, {}, [{"blend": "0.5"}]),
    ("GOOD", 2.7, {"blend": "0.5"}, [{"blend": "learn"}, {"blend": "0.35"}]),
    ("OK", 2.0, {}, [{"mixer_lr": "0.01"}, {"mixer_lr": "0.0001"}]),
    ("POOR", 1.0, {}, [{"mixer_lr": "0.0001"}, {"mixer_cells": "64"}]),
    ("POOR", 1.0, {"mixer_cells": "64"}, [{"mixer_cells": "64", "mixer_lr": "0.0001"},
                                          {"mixer_cells": "96"}]),
    ("POOR", -0.5, {}, [{"mixer_lr": "0.0001"}, {"blend": "0.1"}]),
])
def test_follow_plan_takes_the_plans_next_step(band, improvement, params, expected):
    steps = follow.next_steps(band, improvement, "mixer", params, [params])
    assert [changed for _, changed in steps] == expected
    assert all(why.startswith(band if improvement >= 0 else "worse") for why, _ in steps)


def test_follow_plan_skips_what_was_tried():
    tried = [{}, {"mixer_lr": "1e-4"}]           # 1e-4 is 0.0001: the same setting
    steps = follow.next_steps("POOR", 1.0, "mixer", {}, tried)
    assert [changed for _, changed in steps] == [{"mixer_cells": "64"}, {"mixer_cells": "96"}]
    assert follow.next_steps("OK", 2.0, "model", {}, [{}])[0][1] == {"lstm_lr": "0.4"}


# ---------------------------------------------------------------- verdict

@pytest.mark.parametrize("improvement, band", [
    (3.0000001, "EXCELLENT"), (3.0, "GOOD"), (2.9999, "GOOD"), (2.5, "GOOD"), (2.4999999, "OK"),
    (1.5, "OK"), (1.4999999, "POOR"), (0.0, "POOR"), (-4.0, "POOR"), (12.0, "EXCELLENT"),
])
def test_band_edges(improvement, band):
    assert verdict.band_for(improvement) == band


def test_improvement_against_the_plans_own_figures():
    # The plan's 10 MB baseline was 1,873,130 bytes; 1,817,000 is just under its 3 % line.
    assert verdict.improvement_pct(1_873_130, 1_817_000) == pytest.approx(2.9966, abs=1e-4)
    assert verdict.band_for(verdict.improvement_pct(1_873_130, 1_817_000)) == "GOOD"
    assert verdict.band_for(verdict.improvement_pct(1000, 969)) == "EXCELLENT"
    assert verdict.improvement_pct(1000, 1010) == pytest.approx(-1.0)


def lstm_stats(bpb=(3.0, 2.6, 2.3, 2.1), std=0.2, norms=(10.0, 12.5), forward=8000, seconds=1.0, cpu_seconds=None):
    return {"input_bytes": 1000, "archive_bytes": 250, "seconds": seconds,
            "cpu_seconds": seconds if cpu_seconds is None else cpu_seconds, "settings": {}, "window_bytes": 250,
            "bpb_final": [2.2, 2.0, 1.9, 1.9], "bpb_classic": [2.3, 2.1, 2.0, 2.0],
            "lstm": {"bpb": list(bpb), "pred_mean": 0.48, "pred_std": std, "weight_norm_start": norms[0],
                     "weight_norm_end": norms[1], "forward_steps": forward, "backward_steps": forward,
                     "seconds": 0.2}}


def statuses(checks):
    return {c["name"]: c["status"] for c in checks}


def test_sanity_checks():
    assert set(statuses(verdict.sanity_checks(lstm_stats())).values()) == {"pass"}
    stuck = verdict.sanity_checks(lstm_stats(bpb=(2.0, 2.1, 2.2, 2.4), std=0.0, norms=(5.0, 5.0), forward=0))
    assert set(statuses(stuck).values()) == {"fail"}
    assert set(statuses(verdict.sanity_checks(None)).values()) == {"n/a"}
    off = statuses(verdict.sanity_checks({"seconds": 1.0, "lstm": None}))
    assert off["LSTM called"] == "fail" and off["loss falls"] == "n/a"
    one_window = statuses(verdict.sanity_checks(lstm_stats(bpb=(2.0,))))
    assert one_window["loss falls"] == "n/a"


def arm_result(arm, archive, length=10_192_446, seconds=50.0, rss=700e6, stats=None, status="ok", rung="10M",
               cpu_seconds=None):
    """A finished arm as runs.run_arm returns it (CPU time: the wall time unless given)."""
    cpu_seconds = seconds if cpu_seconds is None else cpu_seconds
    return {"rung": rung, "arm": arm, "length": length, "options": [], "level": 9, "status": status,
            "failed_stage": None if status == "ok" else "compress", "error": None if status == "ok" else "boom",
            "commands": {"compress": "paqlstm compress -9 -c INPUT", "decompress": "paqlstm decompress -c -"},
            "round_trip": status == "ok", "input_bytes": length, "archive_bytes": archive,
            "compress": {"exit_code": 0, "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_rss_bytes": int(rss)},
            "decompress": {"exit_code": 0, "seconds": seconds * 1.05, "cpu_seconds": cpu_seconds * 1.05,
                           "peak_rss_bytes": int(rss)}, "stats": stats}


def without_cpu_times(value):
    """A record as a ladder from before CPU times wrote it: no cpu_seconds, no CPU overheads."""
    if isinstance(value, dict):
        return {key: without_cpu_times(item) for key, item in value.items() if "cpu" not in key}
    if isinstance(value, list):
        return [without_cpu_times(item) for item in value]
    return value


def rung_with(baseline, variants, label="10M", length=10_192_446):
    record = {"label": label, "requested": 10 * M, "length": length, "note": "", "sha256": "0" * 64,
              "status": "running", "baseline": None,
              "variants": [{"name": name, "params": params, "result": None, "comparison": None}
                           for name, params, _ in variants]}
    command.store_result(record, baseline)
    for _, _, result in variants:
        command.store_result(record, result)
    record["status"] = command.rung_status(record)
    return record


def test_compare_time_memory_and_projection():
    base = arm_result("baseline", 2_000_000, stats={"seconds": 40.0, "lstm": None})
    lstm = arm_result("lstm", 1_930_000, seconds=55.0, rss=760e6, stats=lstm_stats(seconds=43.0))
    found = verdict.compare(base, lstm)
    assert found["improvement_pct"] == pytest.approx(3.5) and found["band"] == "EXCELLENT"
    assert found["time_basis"] == "coding" and found["time_overhead_pct"] == pytest.approx(7.5)
    assert found["time_ok"] is True
    assert found["extra_memory_bytes"] == 60_000_000 and found["memory_ok"] is True
    projected = found["projection"]["lstm"]
    assert projected["archive_bytes"] == round(10**9 * 1_930_000 / 10_192_446)
    assert projected["compress_seconds"] == pytest.approx(10**9 * 43.0 / 10_192_446)
    # Without the compressor's own timing, whole-process times are compared.
    assert verdict.compare(arm_result("baseline", 100), arm_result("lstm", 99, seconds=60.0))["time_basis"] == "process"


def test_time_overhead_on_wall_and_cpu_time_the_goal_on_wall():
    # An LSTM training on a second core: 7.5 % more wall time, 50 % more CPU time.
    base = arm_result("baseline", 2_000_000, stats={"seconds": 40.0, "cpu_seconds": 40.0, "lstm": None})
    lstm = arm_result("lstm", 1_930_000, seconds=55.0, cpu_seconds=80.0,
                      stats=lstm_stats(seconds=43.0, cpu_seconds=60.0))
    found = verdict.compare(base, lstm)
    assert found["time_basis"] == found["cpu_time_basis"] == "coding"
    assert found["time_overhead_pct"] == pytest.approx(7.5) and found["cpu_time_overhead_pct"] == pytest.approx(50.0)
    assert found["decompress_overhead_pct"] == pytest.approx(10.0)          # whole processes: 52.5 -> 57.75 s
    assert found["decompress_cpu_overhead_pct"] == pytest.approx(60.0)      # 52.5 -> 84 s
    assert found["time_ok"] is True                                         # judged on wall time
    # The other way round: the CPU overhead within 10 %, the wall overhead not, is a fail.
    slow = arm_result("lstm", 1_930_000, stats=lstm_stats(seconds=48.0, cpu_seconds=42.0))
    found = verdict.compare(base, slow)
    assert found["time_overhead_pct"] == pytest.approx(20.0) and found["cpu_time_overhead_pct"] == pytest.approx(5.0)
    assert found["time_ok"] is False
    assert any("+20.0 % (wall; CPU +5.0 %)" in hint for hint in
               verdict.decide([rung_with(base, [("lstm", {}, slow)])], ["10M"], False)["hints"])
    # Without the compressor's CPU seconds, whole-process CPU time; without any (an older paqlstm): n/a.
    found = verdict.compare(arm_result("baseline", 100, cpu_seconds=40.0), arm_result("lstm", 99, cpu_seconds=44.0))
    assert found["cpu_time_basis"] == "process" and found["cpu_time_overhead_pct"] == pytest.approx(10.0)
    old = verdict.compare(without_cpu_times(base), without_cpu_times(lstm))
    assert old["time_overhead_pct"] == pytest.approx(7.5) and old["time_ok"] is True
    assert old["cpu_time_overhead_pct"] is None and old["decompress_cpu_overhead_pct"] is None


def test_decision_from_rungs():
    base = arm_result("baseline", 2_000_000)
    good = rung_with(base, [("lstm", {}, arm_result("lstm", 1_945_000))])
    decided = verdict.decide([good], ["10M"], False)
    assert decided["band"] == "GOOD" and decided["decision"] == "GO after tuning" and not decided["provisional"]
    assert any("blend=0.2,0.5" in hint for hint in decided["hints"])

    small = rung_with(arm_result("baseline", 30_000, length=100 * K),
                      [("lstm", {}, arm_result("lstm", 29_900, length=100 * K))], label="100K", length=100 * K)
    decided = verdict.decide([small], ["100K"], False)
    assert decided["band"] == "POOR" and decided["provisional"]

    broken = rung_with(base, [("lstm", {}, arm_result("lstm", 0, status="failed"))])
    decided = verdict.decide([good, broken], ["10M"], False)
    assert decided["decision"] == verdict.DEBUG and decided["error"] == "boom"
    assert verdict.decide([], ["1K"], True)["decision"] == "INCOMPLETE"


def test_sweep_ranks_variants_and_decides_on_the_best():
    base = arm_result("baseline", 2_000_000)
    rung = rung_with(base, [("lstm blend=0.1", {"blend": "0.1"}, arm_result("lstm blend=0.1", 1_980_000)),
                            ("lstm blend=0.5", {"blend": "0.5"}, arm_result("lstm blend=0.5", 1_930_000)),
                            ("lstm blend=1.0", {"blend": "1.0"}, arm_result("lstm blend=1.0", 2_050_000))])
    assert [v["name"] for v in verdict.ranking(rung)] == ["lstm blend=0.5", "lstm blend=0.1", "lstm blend=1.0"]
    decided = verdict.decide([rung], ["10M"], False)
    assert decided["variant"] == "lstm blend=0.5" and decided["band"] == "EXCELLENT"


# ---------------------------------------------------------------- reports

def full_report(rungs, sweep=None):
    return {"schema": 1, "tool": "paqlstm ladder", "status": "complete", "command": "paqlstm ladder x",
            "started": "2026-01-01T00:00:00+00:00", "finished": "2026-01-01T00:05:00+00:00", "wall_seconds": 300.0,
            "input": {"path": "/x", "name": "x", "bytes": 10_192_446, "used_bytes": 10_192_446, "sha256_used": "ab",
                      "default_corpus": None},
            "config": {"rungs": "10M", "planned_rungs": ["10M"], "level": 9, "jobs": 1, "executor": "local",
                       "lstm_options": {}, "sweep": sweep or {}, "variants": [],
                       "rerun": "paqlstm ladder x"},
            "versions": {"python": "3"}, "machine": {"cpus": 2}, "notes": [], "rungs": rungs,
            "verdict": verdict.decide(rungs, ["10M"], False), "charts": None}


def test_report_files_exist_and_parse(tmp_path):
    base = arm_result("baseline", 2_000_000, stats=lstm_stats() | {"lstm": None})
    rungs = [rung_with(base, [(name, {"blend": b}, arm_result(name, size, stats=lstm_stats()))
                              for name, b, size in (("lstm blend=0.2", "0.2", 1_950_000),
                                                    ("lstm blend=0.5", "0.5", 1_920_000))])]
    data = full_report(rungs, sweep={"blend": ["0.2", "0.5"]})
    json_path, md_path = report.write_report(data, tmp_path, charts=True)
    parsed = json.loads(json_path.read_text())
    assert parsed["verdict"]["band"] == "EXCELLENT" and parsed["verdict"]["variant"] == "lstm blend=0.5"
    text = md_path.read_text()
    for expected in ("EXCELLENT **<- here**", "## Arms", "Best arm: **lstm blend=0.5**", "time overhead", "Projection for 1 GB",
                     "LSTM alone bits/byte", "3.000 -> 2.100"):
        assert expected in text
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in text
    else:
        assert set(parsed["charts"]["files"]) == {"lstm_loss.png", "bpb_position.png", "sizes.png"}
        for name in parsed["charts"]["files"]:
            assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_report_shows_wall_and_cpu_time(tmp_path):
    base = arm_result("baseline", 2_000_000, seconds=50.0, stats={"seconds": 40.0, "cpu_seconds": 40.0, "lstm": None})
    lstm = arm_result("lstm", 1_930_000, seconds=55.0, cpu_seconds=80.0,
                      stats=lstm_stats(seconds=43.0, cpu_seconds=60.0))
    data = full_report([rung_with(base, [("lstm", {}, lstm)])])
    json_path, md_path = report.write_report(data, tmp_path)
    parsed = json.loads(json_path.read_text())
    comparison = parsed["rungs"][0]["variants"][0]["comparison"]
    assert comparison["cpu_time_overhead_pct"] == pytest.approx(50.0)
    assert parsed["rungs"][0]["variants"][0]["result"]["compress"]["cpu_seconds"] == 80.0
    text = md_path.read_text()
    for expected in ("| time overhead, wall | < 10 % | compress +7.50 % (the compressor's coding time); "
                     "decompress +10.00 % (whole process) | yes |",
                     "| time overhead, CPU (all threads) | shown, not judged | compress +50.00 % (the compressor's "
                     "coding time); decompress +60.00 % (whole process) |",
                     "compress wall / CPU", "| 55.0 s / 80.0 s |",               # the rungs: whole processes
                     "| 43.0 s / 60.0 s |",                                    # the diagnostics: coding time
                     "| +7.50 % / +50.00 % | +10.00 % / +60.00 % |"):           # the arms
        assert expected in text, expected
    summary = report.summary_text(data)
    assert ("time overhead of lstm (10M rung), wall / CPU: compress +7.50 % / +50.00 %, decompress "
            "+10.00 % / +60.00 % (the 10 % goal is on wall time)") in summary
    assert "compress wall / CPU" in summary
    assert "compress 55.0 s / 80.0 s, decompress 57.8 s / 84.0 s (wall / CPU)" in command.arm_line(lstm)


def test_a_report_from_before_cpu_times_still_renders(tmp_path):
    """Records without CPU times (an older ladder's report, an older paqlstm on a Dask worker)."""
    base = arm_result("baseline", 2_000_000, stats={"seconds": 40.0, "lstm": None})
    lstm = arm_result("lstm", 1_930_000, seconds=55.0, stats=lstm_stats(seconds=43.0))
    data = without_cpu_times(full_report([rung_with(base, [("lstm", {}, lstm)])]))
    assert "cpu" not in json.dumps(data)
    text = report.render_markdown(data)
    assert "| time overhead, wall | < 10 % | compress +7.50 %" in text
    assert "compress n/a (not recorded); decompress n/a (whole process)" in text
    assert "| 55.0 s / n/a |" in text and "| +7.50 % / n/a |" in text
    assert "wall / CPU: compress +7.50 % / n/a" in report.summary_text(data)
    assert "(wall / CPU)" in command.arm_line(without_cpu_times(lstm))
    report.write_report(data, tmp_path, charts=True)


# ---------------------------------------------------------------- child processes

def test_child_runs_keep_wall_and_cpu_time():
    idle = runs.run_child([sys.executable, "-c", "import time; time.sleep(1.0)"])
    assert idle.exit_code == 0 and idle.seconds >= 1.0 and idle.cpu_seconds < 0.8 * idle.seconds
    busy = runs.run_child([sys.executable, "-c", "import time\nend = time.process_time() + 0.5\n"
                           "while time.process_time() < end: pass"])
    assert busy.cpu_seconds >= 0.5


# ---------------------------------------------------------------- default corpus

def test_default_corpus_is_deterministic_and_cached(tmp_path):
    first = corpus.default_corpus(tmp_path, target=300_000)
    assert not first.cached and first.bytes >= 300_000
    assert first.sha256 == corpus.sha256_file(first.path)
    again = corpus.default_corpus(tmp_path, target=300_000)
    assert again.cached and again.sha256 == first.sha256
    data, _ = corpus.build_corpus(300_000)
    assert len(data) == first.bytes
    with open(first.path, "r+b") as f:       # a damaged cache is rebuilt, not trusted
        f.write(b"X")
    rebuilt = corpus.default_corpus(tmp_path, target=300_000)
    assert not rebuilt.cached and rebuilt.sha256 == first.sha256


def test_cache_dir_in_a_checkout_and_outside_one(tmp_path, monkeypatch):
    monkeypatch.delenv("PAQLSTM_CACHE_DIR", raising=False)
    assert corpus.cache_dir() == Path(__file__).resolve().parents[1] / "data"
    monkeypatch.setattr(corpus, "checkout_data_dir", lambda: None)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert corpus.cache_dir() == tmp_path / "paqlstm"
    monkeypatch.setenv("PAQLSTM_CACHE_DIR", str(tmp_path / "mine"))
    assert corpus.cache_dir() == tmp_path / "mine"


def test_a_failure_while_the_code_changed_says_so():
    broken = arm_result("lstm", 0, status="failed") | {"code": {"before": "a", "after": "b"}}
    rung = rung_with(arm_result("baseline", 2_000_000), [("lstm", {}, broken)])
    decided = verdict.decide([rung], ["10M"], False)
    assert decided["decision"] == verdict.DEBUG
    assert "changed while this run went on" in decided["hints"][0]


# ---------------------------------------------------------------- end to end

def read_report(out):
    data = json.loads((out / "report.json").read_text())
    assert (out / "report.md").read_text().startswith("# paqlstm decision ladder: ")
    return data


def test_ladder_end_to_end_on_dickens(shared_data, tmp_path):
    out = tmp_path / "R"
    result = CliRunner().invoke(cli, ["ladder", str(shared_data / "dickens"), "--out", str(out),
                                      "--rungs", "1K,100K", "--level", "1"])
    data = read_report(out)
    first = data["rungs"][0]
    assert first["baseline"]["status"] == "ok" and first["baseline"]["round_trip"]
    # Wall and CPU time of each child, and the compressor's own (--stats).
    for phase in ("compress", "decompress"):
        assert first["baseline"][phase]["cpu_seconds"] > 0 and first["baseline"][phase]["seconds"] > 0
    assert first["baseline"]["stats"]["cpu_seconds"] > 0 and first["baseline"]["stats"]["seconds"] > 0
    comparison = data["rungs"][-1]["variants"][0]["comparison"]
    assert comparison["cpu_time_basis"] == "coding" and comparison["cpu_time_overhead_pct"] is not None
    assert "time overhead, CPU (all threads)" in (out / "report.md").read_text()
    assert first["baseline"]["archive_bytes"] < K and first["baseline"]["compress"]["peak_rss_bytes"] > 0
    assert data["input"]["sha256_used"] == corpus.sha256_file(shared_data / "dickens", 100 * K)
    assert result.exit_code == 0, result.output
    assert data["status"] == "complete" and [r["status"] for r in data["rungs"]] == ["ok", "ok"]
    assert data["verdict"]["rung"] == "100K" and data["verdict"]["band"] in verdict.BANDS
    assert data["verdict"]["provisional"]
    assert "verdict: " in result.stdout


def test_follow_plan_end_to_end(shared_data, tmp_path):
    out = tmp_path / "R"
    result = CliRunner().invoke(cli, ["ladder", str(shared_data / "alice29.txt"), "--out", str(out), "--rungs", "2K",
                                      "--level", "1", "--follow-plan", "--rounds", "2", "--mixer-cells", "8"])
    assert result.exit_code == 0, result.output
    data = read_report(out)
    path = data["plan_path"]
    assert [r["round"] for r in path] == [1, 2] and path[0]["steps"][0]["variant"] == "mixer"
    names = [v["name"] for v in data["rungs"][0]["variants"]]
    assert names[0] == "mixer" and len(names) == 1 + len(path[1]["steps"]) >= 2
    assert all(v["result"]["round_trip"] for v in data["rungs"][0]["variants"])
    assert "## The plan, followed" in (out / "report.md").read_text()


def test_default_corpus_end_to_end(tmp_path, monkeypatch):
    monkeypatch.setenv("PAQLSTM_CACHE_DIR", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, ["ladder", "--out", str(tmp_path / "R"), "--rungs", "1K", "--level", "1"])
    assert "default corpus: " in result.stderr and "sha256 " in result.stderr
    data = read_report(tmp_path / "R")
    built = data["input"]["default_corpus"]
    assert built["bytes"] >= 10 * M and built["sha256"] == corpus.sha256_file(built["path"])
    assert data["rungs"][0]["baseline"]["status"] == "ok"


def test_usage_errors():
    runner = CliRunner()
    for args, message in ((["--rungs", "1X"], "invalid size"), (["--sweep", "cells=1"], "unknown sweep key"),
                          (["/no/such/file"], "no such file"), (["blend=0.1,0.2"], "--sweep blend=0.1,0.2"),
                          (["a", "b"], "one INPUT at most")):
        result = runner.invoke(cli, ["ladder", *args])
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)


class InterruptAfterFirst(LocalExecutor):
    """Ctrl-C arrives right after the first measured arm finishes (after the warm-up)."""

    def run(self, specs, progress):
        for result in super().run(specs, progress):
            yield result
            if result["rung"] != "warm-up":
                raise KeyboardInterrupt


def test_interrupt_keeps_finished_runs(shared_data, tmp_path, monkeypatch):
    monkeypatch.setattr(command, "make_executor", lambda jobs, scheduler: InterruptAfterFirst(jobs))
    out = tmp_path / "R"
    result = CliRunner().invoke(command.ladder, [str(shared_data / "dickens"), "--out", str(out),
                                                 "--rungs", "1K,100K", "--level", "1"])
    assert result.exit_code != 0
    data = read_report(out)
    assert data["status"] == "interrupted"
    assert data["rungs"][0]["baseline"]["status"] == "ok"
    assert "Interrupted (Ctrl-C)" in (out / "report.md").read_text()
    runs.reset_stop()


def session_commands(session):
    """Command lines of the processes in a session (Linux /proc)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.getsid(int(pid)) == session:
                found.append(open(f"/proc/{pid}/cmdline", "rb").read())
        except OSError:
            continue
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")
def test_ctrl_c_stops_cleanly(shared_data, tmp_path):
    out = tmp_path / "R"
    proc = subprocess.Popen([sys.executable, "-m", "paqlstm", "ladder", str(shared_data / "dickens"),
                             "--out", str(out), "--rungs", "4M", "--level", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    while not any(b"compress" in c for c in session_commands(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGINT)          # what Ctrl-C in a terminal does
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert b"Traceback" not in stderr and b"interrupted" in stderr
    data = read_report(out)
    assert data["status"] == "interrupted" and data["verdict"]["decision"] == "INCOMPLETE"
    assert not session_commands(proc.pid)        # no child left running


def test_dask_scheduler_runs_the_same_ladder(shared_data, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "R"
        result = CliRunner().invoke(command.ladder, [str(shared_data / "dickens"), "--out", str(out),
                                                     "--rungs", "1K", "--level", "1",
                                                     "--scheduler", cluster.scheduler_address])
    data = read_report(out)
    assert data["config"]["executor"].startswith("dask scheduler")
    assert data["rungs"][0]["baseline"]["status"] == "ok", result.output
