"""Publishing the report: the site and the PDF, with Quarto or with evalcorr's offline renderer.

>>> from evalcorr.render import render_project
>>> result = render_project(".")            # doctest: +SKIP
>>> result.renderer, result.out_dir          # doctest: +SKIP
('offline', PosixPath('/.../_site'))

Renders are atomic: everything is built in a temporary directory beside the output, which replaces
the output only when the whole render succeeded. A failed render leaves the previous site untouched.
A render replaces only a site a render made (evalcorr.render.output); any other output folder is
refused before the render starts.

Renders are incremental (offline renderer): a site whose inputs have not changed since it was
rendered is left as it is (:mod:`evalcorr.render.stamp`); otherwise pages whose cells are unchanged
come from the page cache (:mod:`evalcorr.render.pagecache`), and pandoc and Typst run only on inputs
they have not seen (:class:`evalcorr.render.pandoc.PandocCache`, :func:`evalcorr.render.pdf.write_pdf`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from evalcorr.errors import RenderError
from evalcorr.render.output import check_output_dir, mark_site, replace_site

RENDERERS = ("auto", "quarto", "offline")


@dataclass(frozen=True)
class RenderResult:
    """What a render produced: which renderer ran, the site directory and its PDF."""

    renderer: str
    out_dir: Path
    pdf: Path


def choose_renderer(requested: str = "auto", *, log: Callable[[str], None] = print,
                    required: str | None = None) -> tuple[str, str | None]:
    """``("quarto", path)`` or ``("offline", None)``.

    `requested` ``auto`` honours the ``EVALCORR_RENDERER`` environment variable (``offline`` or
    ``quarto``), else uses Quarto when it is on PATH or installable and its version meets `required`
    (``quarto-required`` of _quarto.yml, e.g. ``>= 1.9.18``), else the offline renderer.
    """
    if requested == "auto":
        requested = os.environ.get("EVALCORR_RENDERER") or "auto"
    if requested not in RENDERERS:
        raise RenderError(f"renderer {requested!r} (argument or EVALCORR_RENDERER) is not one of "
                          f"{', '.join(RENDERERS)}")
    if requested == "offline":
        return "offline", None
    from evalcorr.render.quarto import find_quarto, meets_requirement, quarto_version

    quarto = find_quarto(log=log)
    if quarto:
        version = quarto_version(quarto)
        if meets_requirement(version, required):
            return "quarto", quarto
        found = ".".join(map(str, version)) if version else "of unknown version"
        if requested == "quarto":
            raise RenderError(f"Quarto {found} at {quarto} does not meet quarto-required {required!r} of "
                              "_quarto.yml; update Quarto or render with `--renderer offline`")
        log(f"quarto: {quarto} is {found}, older than quarto-required {required!r}; rendering with "
            "evalcorr's offline renderer")
        return "offline", None
    if requested == "quarto":
        raise RenderError("the Quarto renderer was requested, but `quarto` is not on PATH and "
                          "`pip install quarto-cli` did not provide it; install Quarto (https://quarto.org) "
                          "or render with `--renderer offline`")
    log("quarto: not available; rendering with evalcorr's offline renderer")
    return "offline", None


def render_project(root: str | Path = ".", out_dir: str | Path | None = None, *, renderer: str = "auto",
                   log: Callable[[str], None] = print, execute=None) -> RenderResult:
    """Render the site and the PDF of the project at `root`.

    Parameters
    ----------
    root
        Project root (the folder with ``_quarto.yml``).
    out_dir
        Output folder; default the project's ``output-dir`` (``_site``) under `root`.
    renderer
        ``auto``, ``quarto`` or ``offline`` (see :func:`choose_renderer`).
    log
        Called with each progress line (one per page).
    execute
        Page executor for the offline renderer; default :func:`evalcorr.render.execute.execute_page`.

    Returns
    -------
    RenderResult
    """
    from evalcorr.render.project import load_project

    project = load_project(root)
    out = Path(out_dir) if out_dir is not None else project.root / project.output_dir
    out = check_output_dir(out, root=project.root, pdf_name=project.pdf_file)
    name, quarto = choose_renderer(renderer, log=log, required=project.quarto_required)
    digest = None
    if name == "offline" and execute is None:
        from evalcorr.render.stamp import inputs_digest, is_up_to_date

        digest = inputs_digest(project)
        if is_up_to_date(out, digest, project.root):
            log(f"render: nothing changed since {out} was rendered; it is up to date")
            return RenderResult(renderer=name, out_dir=out, pdf=out / project.pdf_file)
    log(f"render: {name} renderer, {len(project.pages)} pages -> {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{out.name}-build-", dir=out.parent))
    try:
        if name == "quarto":
            from evalcorr.render.quarto import render_with_quarto

            render_with_quarto(quarto, project.root, build)
        else:
            from evalcorr.render.offline import render_offline

            render_offline(project, build, log=log, execute=execute)
        pdf = build / project.pdf_file
        if not pdf.is_file():
            raise RenderError(f"the {name} render did not produce {project.pdf_file}")
        mark_site(build)
        if digest is not None:
            from evalcorr.render.stamp import write_stamp

            write_stamp(build, digest, project.root)
        build.chmod(0o755)
        replace_site(build, out, root=project.root, pdf_name=project.pdf_file)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    log(f"render: done ({name} renderer): {out / 'index.html'} and {out / project.pdf_file}")
    return RenderResult(renderer=name, out_dir=out, pdf=out / project.pdf_file)

