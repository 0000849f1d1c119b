"""TaskWeb parser on the real mirror."""

import pytest

from evalcorr.data.parsers import taskweb
from evalcorr.data.schema import validate_transfer


@pytest.fixture(scope="module")
def transfer(source_files):
    return taskweb.parse(source_files("taskweb"))


def test_shape(transfer):
    validate_transfer(transfer, "taskweb")
    assert len(transfer) == 441 * 8 * 3
    assert transfer["setting"].nunique() == 8 and "finetune/t5b" in set(transfer["setting"])
    assert transfer["eval_task"].nunique() == 21 and transfer["train_task"].nunique() == 22
    assert not (transfer["train_task"] == transfer["eval_task"]).any()


def test_cells_and_combined_score(transfer):
    cell = transfer.set_index(["setting", "train_task", "eval_task", "metric"])["value"]
    assert cell[("ALL", "boolq", "anli_r3", "pct_change")] == pytest.approx(-0.0051829283508598575)
    assert cell[("finetune/t5s", "boolq", "anli_r3", "share_positive_seeds")] == 0.125
    wide = transfer.pivot_table(index=["setting", "train_task", "eval_task"], columns="metric", values="value")
    combined = 0.5 * wide["pct_change"] + 0.5 * (0.2 * wide["share_positive_seeds"] - 0.1)
    assert (combined - wide["combined_score"]).abs().max() < 1e-12
