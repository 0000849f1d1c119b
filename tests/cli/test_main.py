"""`python -m evalcorr`: the command dispatcher."""

import pytest

from evalcorr.cli import main


def test_ctrl_c_in_any_command_is_one_line(monkeypatch, capsys):
    from evalcorr.cli import sources

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(sources, "run", interrupted)
    assert main(["sources"]) == 130
    assert capsys.readouterr().err.splitlines() == ["evalcorr sources: interrupted"]


def test_unknown_command_lists_the_commands(capsys):
    assert main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["corr", "--no-such-option"])
