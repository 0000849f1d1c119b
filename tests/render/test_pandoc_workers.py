"""Pandoc workers: a long-lived pandoc gives the command line's output, byte for byte, for every command
line it takes, and any other command line, failure or dead worker goes to pandoc's own process."""

import json
import subprocess
import threading

import pytest
from tests._renderfixture import ROOT

from evalcorr.errors import RenderError
from evalcorr.render import pandoc_workers
from evalcorr.render.pandoc import pandoc_environment, pandoc_path, run_pandoc
from evalcorr.render.pandoc_workers import close_workers, convert, request_options

BIBLIOGRAPHY, CSL = ROOT / "references.bib", ROOT / "chicago-author-date.csl"

# A pipe table with a line of 76 characters: wider than the command line's 72 columns, narrower than
# the 80 pandoc's Lua readers default to, so its column widths tell the two apart.
MARKDOWN = """# A title {{#sec-a}}

Text with *emphasis*, $x^2 + y_i$, a [link](https://example.org) and a citation [@{key}, p. 3].

| model                         | a very long column heading here | score |
|:------------------------------|:--------------------------------|------:|
| one                           | two                             |  0.10 |

::: {{.callout-note}}
A note.
:::
"""


def _key() -> str:
    return sorted(line.split("{", 1)[1].split(",", 1)[0] for line in BIBLIOGRAPHY.read_text().splitlines()
                  if line.startswith("@"))[0]


def _command_line(args: list[str], text: str) -> str:
    done = subprocess.run([pandoc_path(), *args], input=text, capture_output=True, text=True,
                          env=pandoc_environment(), check=True)
    return done.stdout


def _ast() -> str:
    return _command_line(["-f", "markdown", "-t", "json"], MARKDOWN.format(key=_key()))


CITEPROC = ["--citeproc", f"--bibliography={BIBLIOGRAPHY}", f"--csl={CSL}"]


@pytest.mark.parametrize("args, text", [
    (["-f", "markdown", "-t", "json"], lambda: MARKDOWN.format(key=_key())),
    (["-f", "json", "-t", "html5", "--wrap=none", "--mathml", "-M", "link-citations=true", *CITEPROC], _ast),
    (["-f", "json", "-t", "json", "-M", "link-citations=true", *CITEPROC], _ast),
    (["-f", "json", "-t", "typst-citations", "--wrap=preserve"], _ast),
    (["-f", "markdown", "-t", "html5"], lambda: "Ends without a newline"),
    (["-f", "markdown", "-t", "html5"], lambda: ""),
], ids=["markdown-to-json", "html-with-citations", "citations-only", "typst", "no-final-newline", "empty"])
def test_a_worker_writes_what_the_command_line_writes(args, text):
    text = text()
    output = convert(pandoc_path(), args, text, pandoc_environment())
    assert output is not None
    assert output == _command_line(args, text)
    assert output == convert(pandoc_path(), args, text, pandoc_environment())   # and again, from the same worker


def test_the_wide_table_really_depends_on_the_width():
    # what the first case above relies on: at 80 columns the table would read differently
    text = MARKDOWN.format(key=_key())
    assert _command_line(["-f", "markdown", "-t", "json", "--columns=80"], text) != _command_line(
        ["-f", "markdown", "-t", "json"], text)


def test_command_lines_are_translated_or_refused():
    options = request_options(["-f", "json", "-t", "html5", "--wrap=none", "--mathml", "-M", "link-citations=true",
                               "--citeproc", "--bibliography=a.bib", "--bibliography=b.bib", "--csl=s.csl"])
    assert options == {"from": "json", "to": "html5", "citeproc": True,
                       "reader": {"columns": 72}, "writer": {"columns": 72, "wrap_text": "none",
                                                             "html_math_method": "mathml"},
                       "meta": {"link-citations": True, "bibliography": ["a.bib", "b.bib"], "csl": "s.csl"}}
    assert request_options(["--from=markdown", "--to=json"])["to"] == "json"
    for refused in (["-f", "json", "-t", "typst", "--lua-filter=x.lua"], ["-f", "markdown", "-t", "html5", "-s"],
                    ["-f", "json", "-t", "typst", "--citeproc"], ["-f", "json", "-t", "markdown", "--citeproc"],
                    ["-f", "markdown", "-t", "html5", "-M", "title=A title"], ["-f", "markdown"],
                    ["-f", "markdown", "-t"], ["-f", "markdown", "-t", "html5", "--wrap=sometimes"]):
        assert request_options(refused) is None, refused
    assert convert(pandoc_path(), ["-f", "markdown", "-t", "html5", "-s"], "text", pandoc_environment()) is None


def test_a_failed_conversion_gives_pandocs_own_error_and_keeps_the_worker():
    close_workers()
    with pytest.raises(RenderError, match="a test: pandoc -f json -t html5 failed"):
        run_pandoc(["-f", "json", "-t", "html5"], "not a document", what="a test")
    assert len(pandoc_workers._idle) == 1
    assert run_pandoc(["-f", "markdown", "-t", "html5"], "*fine*", what="a test") == "<p><em>fine</em></p>\n"
    assert len(pandoc_workers._idle) == 1


def test_a_dead_worker_is_replaced():
    close_workers()
    args = ["-f", "markdown", "-t", "html5"]
    run_pandoc(args, "first", what="a test")
    [dead] = pandoc_workers._idle
    dead.process.kill()
    dead.process.wait()
    assert run_pandoc(args, "*second*", what="a test") == "<p><em>second</em></p>\n"   # from pandoc's own process
    assert dead not in pandoc_workers._idle
    assert run_pandoc(args, "third", what="a test") == "<p>third</p>\n"
    [fresh] = pandoc_workers._idle
    assert fresh is not dead and fresh.process.poll() is None


def test_workers_are_started_with_the_environment_asked_for(monkeypatch):
    close_workers()
    run_pandoc(["-f", "markdown", "-t", "html5"], "text", what="a test")
    monkeypatch.setenv("GHCRTS", "-A8m")
    run_pandoc(["-f", "markdown", "-t", "html5"], "text", what="a test")
    assert sorted(w.env["GHCRTS"].split()[-1] for w in pandoc_workers._idle) == ["-A8m", "-H4k"]
    close_workers()
    assert pandoc_workers._idle == []


def test_threads_convert_at_once_each_with_its_own_worker():
    close_workers()
    texts = [f"Paragraph *{i}*.\n\n" * (200 * (i + 1)) for i in range(4)]
    results, barrier = {}, threading.Barrier(len(texts))

    def work(i):
        barrier.wait()
        results[i] = run_pandoc(["-f", "markdown", "-t", "json"], texts[i], what="a test")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, text in enumerate(texts):
        assert json.loads(results[i]) == json.loads(_command_line(["-f", "markdown", "-t", "json"], text))
    assert 2 <= len(pandoc_workers._idle) <= len(texts)


def test_texts_the_command_line_changes_before_reading_go_to_the_command_line():
    # pandoc's command line expands tabs (to 4 columns) and drops carriage returns; pandoc.read does not
    for text in ("```\na\tb\n```\n", "line\r\nnext\r\n"):
        args = ["-f", "markdown", "-t", "json"]
        assert convert(pandoc_path(), args, text, pandoc_environment()) is None
        assert run_pandoc(args, text, what="a test") == _command_line(args, text)
    assert '"a   b"' in run_pandoc(["-f", "markdown", "-t", "json"], "```\na\tb\n```\n", what="a test")


def test_a_carriage_return_in_the_output_reads_as_the_command_lines_did():
    ast = json.loads(_command_line(["-f", "markdown", "-t", "json"], "placeholder"))
    ast["blocks"][0]["c"] = [{"t": "Str", "c": "a\rb\r\nc"}]
    args, text = ["-f", "json", "-t", "html5"], json.dumps(ast)
    assert convert(pandoc_path(), args, text, pandoc_environment()) == _command_line(args, text) == "<p>a\nb\nc</p>\n"


def test_relative_paths_are_read_from_the_current_directory(tmp_path, monkeypatch):
    key = _key()
    args = ["-f", "markdown", "-t", "html5", "--citeproc", "--bibliography=refs.bib", f"--csl={CSL}"]
    outputs = []
    for title in ("Alpha", "Omega"):
        folder = tmp_path / title
        folder.mkdir()
        (folder / "refs.bib").write_text(f"@misc{{{key},\n  title = {{{title}}},\n  year = {{2020}}\n}}\n")
        monkeypatch.chdir(folder)
        outputs.append(run_pandoc(args, f"See [@{key}].", what="a test"))
        assert outputs[-1] == _command_line(args, f"See [@{key}].")
    assert "Alpha" in outputs[0] and "Omega" in outputs[1]


def test_a_pandoc_without_workers_is_not_asked_again(tmp_path, monkeypatch):
    close_workers()
    monkeypatch.setattr(pandoc_workers, "_unavailable", set())
    monkeypatch.setattr(pandoc_workers, "SCRIPT", tmp_path / "missing.lua")    # the worker dies at once
    started = []
    real = pandoc_workers.PandocWorker.__init__
    monkeypatch.setattr(pandoc_workers.PandocWorker, "__init__",
                        lambda self, *args: started.append(1) or real(self, *args))
    for _ in range(3):
        assert run_pandoc(["-f", "markdown", "-t", "html5"], "*text*", what="a test") == "<p><em>text</em></p>\n"
    assert started == [1] and pandoc_workers._idle == []
