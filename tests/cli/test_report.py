"""`python -m evalcorr report` on bad input: one clear line, exit 2, nothing written.

The successful run (progress lines, site and PDF) is tested end to end in tests/render/test_table_report.py.
"""

import subprocess
import sys

import pytest

from evalcorr.cli import main
from tests._lm_eval import LEAVES, write_results

GOOD = "model,mmlu,gsm8k,arc\na,0.5,0.3,0.6\nb,0.6,0.35,0.62\nc,0.7,0.4,0.7\nd,0.4,0.2,0.5\n"
BAD = {
    "no-tasks.csv": ("model,org,licence\na,x,mit\nb,y,apache\nc,z,mit\n", "no numeric task columns"),
    "two-models.csv": ("model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,0.35\n", "2 models with a score and 2 tasks; the report needs"),
    "one-task.csv": ("model,mmlu\na,0.5\nb,0.6\nc,0.7\n", "3 models with a score and 1 task;"),
    "duplicated.csv": ("model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,0.35\na,0.7,0.4\nd,0.4,0.2\n",
                       "model 'a' appears 2 times (line 2, line 4)"),
    "two-tasks.csv": ("model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,0.35\nc,0.7,0.4\nd,0.4,0.2\ne,0.3,0.1\n",
                      "2 tasks; the report needs at least 3 tasks (with 2, removing the common factor"),
    "patchy.csv": ("model,a,b,c\nm1,0.1,0.2,0.3\nm2,0.4,0.3,0.2\nm3,0.5,0.7,0.6\nm4,0.2,0.5,\nm5,0.6,0.1,\n"
                   "m6,,0.6,0.4\nm7,0.3,,0.5\nm8,0.7,0.8,\n",
                   "only 2 tasks (a, b) are scored for most of the models together, and the report needs at least 3"),
    "few-complete.csv": ("model,a,b,c\nm1,0.1,0.2,0.3\nm2,0.4,0.3,0.2\nm3,0.5,0.7,0.6\nm4,0.2,0.5,\nm5,,0.6,0.4\n"
                         "m6,0.3,,0.5\n",
                         "only 3 models have a score on every one of the tasks a, b, c; the factor analysis and the "
                         "signatures need at least 4"),
    "cell.csv": ("model,mmlu,gsm8k\na,0.5,0.3\nb,0.6,0.35\nc,0.7,abc\nd,0.4,0.2\n",
                 "line 4 (model 'c'), column 'gsm8k': 'abc' is not a number"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_tables_give_one_line_and_write_nothing(tmp_path, capsys, name):
    text, message = BAD[name]
    (tmp_path / name).write_text(text)
    out = tmp_path / "site"
    assert main(["report", str(tmp_path / name), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"evalcorr report: {tmp_path / name}")
    assert message in err
    assert not out.exists()


def test_bad_options_give_one_line(tmp_path, capsys):
    (tmp_path / "t.csv").write_text(GOOD)
    assert main(["report", str(tmp_path / "t.csv"), "--metric", "acc", "--out", str(tmp_path / "site")]) == 2
    assert "--metric applies to long tables" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "t.csv"), "--families", str(tmp_path / "nope.csv"),
                 "--out", str(tmp_path / "site")]) == 2
    assert f"--families {tmp_path / 'nope.csv'}: no such file" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "site")]) == 2
    assert "missing.csv: no such file or folder" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_an_output_folder_holding_other_files_is_refused_first(tmp_path, capsys):
    (tmp_path / "t.csv").write_text(BAD["cell.csv"][0])
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["report", str(tmp_path / "t.csv"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"evalcorr report: refusing to render into {out}") and "notes.txt" in err
    assert (out / "notes.txt").read_text() == "keep me" and len(list(out.iterdir())) == 1


def test_three_harness_models_are_too_few_for_the_report(tmp_path, capsys):
    for i, model in enumerate(["org/alpha", "org/beta", "lab/gamma"]):
        write_results(tmp_path / "results", model, {task: 0.3 + 0.1 * i + 0.02 * j for j, task in enumerate(LEAVES)})
    assert main(["report", str(tmp_path / "results"), "--out", str(tmp_path / "site")]) == 2
    err = capsys.readouterr().err
    assert "0 models and 0 tasks are left after the checks (dropped 6 tasks: mmlu_formal_logic: scored for 3 models, " \
           "fewer than 4" in err
    assert main(["report", str(tmp_path / "results"), "--min-models", "3", "--out", str(tmp_path / "site")]) == 2
    assert "each task needs at least 4 models for the report's partial correlations" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_no_traceback_in_a_subprocess(tmp_path):
    (tmp_path / "t.csv").write_text(BAD["cell.csv"][0])
    run = subprocess.run([sys.executable, "-m", "evalcorr", "report", str(tmp_path / "t.csv"), "--out",
                          str(tmp_path / "site")], capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [f"evalcorr report: {tmp_path / 't.csv'}, line 4 (model 'c'), column "
                                               "'gsm8k': 'abc' is not a number; write the score as a number, or leave "
                                               "the cell empty when it is missing"]
