"""bench/run.py: a case that reports a number printed by its command (not a time)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from evalcorr.data.locations import PROJECT_ROOT


def _runner():
    spec = importlib.util.spec_from_file_location("bench_run", PROJECT_ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_run"] = module   # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_reported_values_read_the_last_json_line():
    run = _runner()
    command = f"{sys.executable} -c \"import json; print('compiling'); print(json.dumps({{'ratio': 0.25, 'x': 1}}))\""
    assert run.reported_values(command, PROJECT_ROOT, 2, "ratio") == [0.25, 0.25]
    with pytest.raises(SystemExit, match="did not print a JSON object with 'speed'"):
        run.reported_values(command, PROJECT_ROOT, 1, "speed")
    row = run.measure_reported({"name": "x", "command": command, "reports": "ratio"}, PROJECT_ROOT, 3)
    assert (row["median"], row["min"], row["max"], row["runs"]) == (0.25, 0.25, 0.25, 3)


def test_reported_cases_have_their_own_table_in_the_performance_notes():
    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    from report import _cases_table, _reported_lines

    row = {"name": "train-throughput-ct-l", "runs": 1, "reports": "ratio", "median": 0.0123, "min": 0.01, "max": 0.02}
    assert _reported_lines([row])[-1] == "| train-throughput-ct-l | ratio | 0.0123 | 0.01 | 0.02 |"
    assert len(_cases_table([row])) == 2 and _reported_lines([]) == []


def test_the_training_throughput_case_reports_a_ratio():
    import yaml

    cases = {case["name"]: case for case in yaml.safe_load((PROJECT_ROOT / "bench" / "cases.yaml").read_text())}
    case = cases["train-throughput-ct-l"]
    assert case["reports"] == "ratio" and "bench_throughput" in case["command"]
