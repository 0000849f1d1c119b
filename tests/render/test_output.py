"""The output folder of a render: a render replaces only a site it made, refuses anything else without
touching it, and two renders finishing together neither fail nor leave folders behind."""

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from evalcorr.errors import RenderError
from evalcorr.render import render_project
from evalcorr.render.output import MARKER, check_output_dir, mark_site, replace_site
from tests._renderfixture import PLAIN_INDEX, write_fixture_project


def snapshot(folder: Path) -> dict:
    return {path.relative_to(folder): path.read_bytes() if path.is_file() else None
            for path in sorted(folder.rglob("*"))}


def never_executed(*args, **kwargs):
    raise AssertionError("the render must be refused before any page runs")


@pytest.fixture
def project(tmp_path):
    return write_fixture_project(tmp_path / "project", results="---\ntitle: Results\n---\n\nText.\n",
                                 index=PLAIN_INDEX)


def test_a_folder_with_a_users_file_is_refused_and_kept(project, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("years of work")
    with pytest.raises(RenderError, match=r"refusing to render into .*mine: it holds files that no render made "
                                          r"\(thesis\.tex\)"):
        render_project(project, out, renderer="offline", log=lambda line: None, execute=never_executed)
    assert (out / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine", "project"]  # no build folder either


def test_the_project_root_is_refused_and_nothing_is_touched(project):
    before = snapshot(project)
    with pytest.raises(RenderError, match="it is the project"):
        render_project(project, project, renderer="offline", log=lambda line: None, execute=never_executed)
    assert snapshot(project) == before
    assert sorted(p.name for p in project.parent.iterdir()) == ["project"]


def test_a_folder_containing_the_project_is_refused(project):
    with pytest.raises(RenderError, match="it contains the project"):
        check_output_dir(project.parent, root=project)


def test_home_filesystem_root_and_current_directory_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    with pytest.raises(RenderError, match="it is the home directory"):
        check_output_dir(tmp_path / "home")
    with pytest.raises(RenderError, match="it contains the home directory"):
        check_output_dir(tmp_path)
    with pytest.raises(RenderError, match="it is the filesystem root"):
        check_output_dir("/")
    (tmp_path / "work" / "here").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work" / "here")
    with pytest.raises(RenderError, match="it contains the current directory"):
        check_output_dir(tmp_path / "work")


def test_a_file_is_refused_and_kept(project, tmp_path):
    out = tmp_path / "notes.txt"
    out.write_text("keep me")
    with pytest.raises(RenderError, match="it is a file, not a folder"):
        render_project(project, out, renderer="offline", log=lambda line: None, execute=never_executed)
    assert out.read_text() == "keep me"


def test_the_cli_refuses_in_one_message_without_a_traceback(project, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "data.csv").write_text("a,b\n")
    done = subprocess.run([sys.executable, "-m", "evalcorr", "render", "--renderer", "offline", "--root", str(project),
                           "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "refusing to render into" in done.stderr and "Traceback" not in done.stderr
    assert (out / "data.csv").read_text() == "a,b\n"


def test_new_empty_marked_and_older_sites_may_be_replaced(tmp_path):
    assert check_output_dir(tmp_path / "new") == (tmp_path / "new").resolve()
    (tmp_path / "empty").mkdir()
    check_output_dir(tmp_path / "empty")
    marked = tmp_path / "marked"
    marked.mkdir()
    mark_site(marked)
    (marked / "anything.bin").write_bytes(b"\0")
    check_output_dir(marked)
    older = tmp_path / "older"
    (older / "chapters").mkdir(parents=True)
    for name in ("index.html", "report.pdf", "style.css"):
        (older / name).write_text("x")
    check_output_dir(older, pdf_name="report.pdf")
    (older / "notes.md").write_text("mine")
    with pytest.raises(RenderError, match="notes.md"):
        check_output_dir(older, pdf_name="report.pdf")


def test_a_rendered_site_carries_the_marker(project):
    out = render_project(project, renderer="offline", log=lambda line: None).out_dir
    assert (out / MARKER).is_file()
    render_project(project, renderer="offline", log=lambda line: None)  # replaces its own site
    assert (out / MARKER).is_file()


def _build(parent: Path, label: str) -> Path:
    build = parent / f".site-build-{label}"
    build.mkdir()
    mark_site(build)
    (build / "index.html").write_text(label)
    return build


def test_swaps_finishing_together_take_turns(tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    mark_site(out)
    errors = []
    for attempt in range(20):
        builds = [_build(tmp_path, f"{attempt}-{n}") for n in range(4)]
        start = threading.Barrier(len(builds))

        def swap(build):
            start.wait()
            try:
                replace_site(build, out)
            except Exception as error:  # noqa: BLE001 (the test reports any failure)
                errors.append(error)

        threads = [threading.Thread(target=swap, args=(b,)) for b in builds]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert errors == []
        assert (out / "index.html").read_text() in {f"{attempt}-{n}" for n in range(4)}
        assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_gitignore_covers_the_temporary_folders():
    ignored = subprocess.run(["git", "check-ignore", "--no-index", "._site-build-abc123/", "._site-old-abc123/"],
                             cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True)
    assert ignored.stdout.split() == ["._site-build-abc123/", "._site-old-abc123/"]
