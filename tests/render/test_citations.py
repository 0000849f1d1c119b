"""The citation style pandoc reads: a compact copy of the project's CSL that formats every work the same."""

import xml.etree.ElementTree as ET

import pytest
from tests._renderfixture import ROOT

from evalcorr.render.citations import bib_keys, citeproc_args, compact_style
from evalcorr.render.pandoc import run_pandoc
from evalcorr.render.project import load_project

CSL = ROOT / "chicago-author-date.csl"


def _cite_everything(keys: list[str]) -> str:
    """Markdown citing every key in each citation form: in parentheses, in the text, with a locator and
    prefix, and without the author; then the list of references."""
    forms = [f"[@{k}]" for k in keys] + [f"@{k} says" for k in keys]
    forms += [f"[see @{k}, 12-14; also @{keys[0]}]" for k in keys] + [f"[-@{k}]" for k in keys]
    return "\n\n".join(forms) + "\n\n::: {#refs}\n:::\n"


@pytest.mark.parametrize("to", ["html5", "typst"])
def test_the_compact_style_formats_every_work_as_the_original(tmp_path, to):
    keys = sorted(bib_keys(ROOT / "references.bib"))
    text = _cite_everything(keys)
    compact = compact_style(CSL, tmp_path)
    outputs = [run_pandoc(["-f", "markdown", "-t", to, "--citeproc", f"--bibliography={ROOT / 'references.bib'}",
                           f"--csl={style}"], text, what="citations") for style in (CSL, compact)]
    assert outputs[0] == outputs[1]
    assert all(k in outputs[0] for k in keys[:3]) and outputs[0].count("ref-") >= len(keys)
    assert compact.stat().st_size < 0.7 * CSL.stat().st_size


def test_compact_style_drops_comments_and_indentation_only(tmp_path):
    style = tmp_path / "style.csl"
    style.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!-- a comment -->\n'
                     '<style xmlns="http://purl.org/net/xbiblio/csl" version="1.0">\n  <locale xml:lang="en">\n'
                     '    <terms>\n      <term name="and"> and </term>\n      <term name="open-quote"> </term>\n'
                     '    </terms>\n  </locale>\n  <citation>\n    <layout delimiter="; ">\n'
                     '      <text variable="title" prefix=" (" />\n    </layout>\n  </citation>\n</style>\n')
    compact = compact_style(style, tmp_path / "out")
    text = compact.read_text()
    assert "comment" not in text and "\n  " not in text and "xmlns=\"http://purl.org/net/xbiblio/csl\"" in text
    root = ET.fromstring(compact.read_bytes())
    ns = {"csl": "http://purl.org/net/xbiblio/csl"}
    terms = [t.text for t in root.iterfind(".//csl:term", ns)]
    assert terms == [" and ", " "]                                   # a term's text is kept as it is
    assert root.find(".//csl:text", ns).get("prefix") == " ("        # and so are attributes
    assert root.find("csl:locale", ns).get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert compact_style(style, tmp_path / "out") == compact          # named by content: made once
    style.write_text(style.read_text().replace(" and ", " plus "))
    assert compact_style(style, tmp_path / "out") != compact


def test_citeproc_args_name_the_compact_copy(tmp_path):
    from tests._renderfixture import write_fixture_project

    root = write_fixture_project(tmp_path)
    (root / "style.csl").write_bytes(CSL.read_bytes())
    (root / "_quarto.yml").write_text((root / "_quarto.yml").read_text().replace(
        "bibliography: references.bib", "bibliography: references.bib\ncsl: style.csl"))
    project = load_project(root)
    args = citeproc_args(project)
    assert args[:2] == ["--citeproc", f"--bibliography={project.bibliography}"]
    csl = args[2].removeprefix("--csl=")
    assert csl.startswith(str(root / ".render-cache" / "csl")) and csl.endswith(".csl")
    assert compact_style(CSL, tmp_path / "elsewhere").read_bytes() == (root / ".render-cache" / "csl" / csl).read_bytes()
