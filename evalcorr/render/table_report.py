"""The report of a user's score table: the package's Quarto template, rendered like the main report.

:func:`render_table_report` copies the template (``templates/table-report/``: ``_quarto.yml``, a landing
page, three chapters, references) into a temporary project, writes the checked table into its ``data/``
folder (:func:`evalcorr.data.user_tables.save_score_table`), sets the book's title and subtitle, and
renders the project with :func:`evalcorr.render.render_project` (Quarto where available, the offline
renderer otherwise; atomic, so a failed render leaves ``out_dir`` as it was). The template's cells read
the table back with ``load_score_table("data")`` and call evalcorr's statistics, figures and sentences.

>>> table = read_score_table("my_leaderboard.csv")                       # doctest: +SKIP
>>> render_table_report(table, "my-report", title="My leaderboard")      # doctest: +SKIP
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Callable

import yaml

from evalcorr.data.user_tables import ScoreTable, save_score_table
from evalcorr.errors import DataError, EvalcorrError
from evalcorr.render import RenderResult, render_project
from evalcorr.render.output import check_output_dir
from evalcorr.render.project import CONFIG, load_project
from evalcorr.stats import partial
from evalcorr.stats.blocks import complete_core

TEMPLATE = Path(__file__).parent / "templates" / "table-report"
DATA_FOLDER = "data"


def check_report_output(out_dir: str | Path) -> Path:
    """The resolved output folder, if a render may replace it (:func:`evalcorr.render.output.check_output_dir`:
    a new or empty folder, or a site an earlier render made); checked before anything is read or written."""
    return check_output_dir(out_dir, pdf_name=load_project(TEMPLATE).pdf_file)


def check_reportable(table: ScoreTable) -> None:
    """Refuse a table the report's analyses cannot run on, naming the table and what to do.

    The partial correlations need at least 4 models per task and 3 tasks (with 2, removing a factor
    computed from them leaves every partial r at -1); the factor analysis and the signatures need
    at least 4 models with every score of the tasks they analyse (:func:`evalcorr.stats.blocks.complete_core`).
    """
    source, report = table.report.source, table.report
    if report.min_models < partial.MIN_MODELS:
        raise DataError(f"{source}: each task needs at least {partial.MIN_MODELS} models for the report's partial "
                        f"correlations (--min-models is {report.min_models})")
    try:
        core = complete_core(table.wide)
    except EvalcorrError as error:
        raise DataError(f"{source}: {error}") from None
    if core.shape[1] < partial.MIN_TASKS:
        why = (f"needs at least {partial.MIN_TASKS} tasks (with 2, removing the common factor leaves every partial "
               "correlation at -1)")
        if core.shape[1] == table.wide.shape[1]:
            raise DataError(f"{source}: {core.shape[1]} tasks; the report {why}")
        raise DataError(f"{source}: only {core.shape[1]} tasks ({', '.join(map(str, core.columns))}) are scored for "
                        f"most of the models together, and the report {why}: add the missing scores")


def default_title(table: ScoreTable) -> str:
    """``Score correlations in <file or folder name>``."""
    return f"Score correlations in {PurePath(table.report.source).name}"


def subtitle(table: ScoreTable) -> str:
    """``120 models x 30 tasks, from a wide CSV file``."""
    report = table.report
    return f"{report.n_models:,} models × {report.n_tasks:,} tasks, from {report.description}"


def render_table_report(table: ScoreTable, out_dir: str | Path, *, title: str | None = None,
                        renderer: str = "auto", log: Callable[[str], None] = print) -> RenderResult:
    """Render the report of ``table`` (from :func:`evalcorr.data.user_tables.read_score_table`) into ``out_dir``.

    Parameters
    ----------
    table : ScoreTable
        the checked table.
    out_dir : str or Path
        the site folder to write (``index.html``, ``chapters/``, ``report.pdf``).
    title : str, optional
        the report's title (default :func:`default_title`).
    renderer : {"auto", "quarto", "offline"}
        as for :func:`evalcorr.render.render_project`.
    log : callable
        receives the progress lines.

    Returns
    -------
    RenderResult

    Raises
    ------
    DataError, RenderError
        before anything is written, when the table cannot be reported (:func:`check_reportable`) or
        ``out_dir`` may not be replaced (:func:`check_report_output`); RenderError when a page fails.
    """
    out = check_report_output(out_dir)
    check_reportable(table)
    with tempfile.TemporaryDirectory(prefix="evalcorr-report-") as folder:
        project = Path(folder) / "report"
        shutil.copytree(TEMPLATE, project)
        save_score_table(table, project / DATA_FOLDER)
        config_path = project / CONFIG
        config = yaml.safe_load(config_path.read_text())
        config["book"]["title"] = title or default_title(table)
        config["book"]["subtitle"] = subtitle(table)
        config_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
        return render_project(project, out, renderer=renderer, log=log)
