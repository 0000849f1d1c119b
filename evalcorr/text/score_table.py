"""How a user's score table and what its checks did read in the table report.

Takes the :class:`evalcorr.data.user_tables.TableReport` that reading the table produced and returns
Markdown sentences; nothing here reads a file or computes a statistic.
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePath

from evalcorr.text.lists import join_and, short_list
from evalcorr.text.numbers import plural
from evalcorr.text.table_verdicts import TABLE_ROWS
from evalcorr.text.tables import code_span, escape_markdown, markdown_table

SCALE_WORDS = {"fraction": "fractions between 0 and 1", "percent": "percentages between 0 and 100",
               "mixed": "on different scales (see the warning below)"}


def describe_table(report) -> str:
    """One paragraph: what was read, its size, the scale, where families come from, what was dropped."""
    name = PurePath(report.source).name
    text = (f"The table is {report.description} ({code_span(name)}): {plural(report.n_models, 'model')} and "
            f"{plural(report.n_tasks, 'task')}")
    if (report.n_models, report.n_tasks) != (report.n_models_read, report.n_tasks_read):
        text += f" after the checks, of {report.n_models_read:,} models and {report.n_tasks_read:,} tasks read"
    text += "."
    scale = report.scale_of_table()
    text += f" The scores are {SCALE_WORDS.get(scale, 'on their own scales')}."
    text += (f" Families come from {escape_markdown(report.families_from)}." if report.families_from
             else " No families were given, so pairs are not split into within and between families; "
                  "the blocks below are found from the scores alone.")
    if report.metrics:
        counts = Counter(report.metrics.values()).most_common()
        used = join_and(f"{code_span(metric)} ({plural(n, 'task')})" for metric, n in counts)
        text += f" Metric read: {used}."
    text += (f" Each task needs scores of at least {report.min_models:,} models, and each pair of tasks at least "
             f"{report.min_models:,} models in common.")
    if report.dropped_tasks:
        text += f" {plural(len(report.dropped_tasks), 'task was', 'tasks were')} dropped (listed below)."
    if report.dropped_models:
        verb = "was" if len(report.dropped_models) == 1 else "were"
        text += (f" {plural(len(report.dropped_models), 'model')} with no score left "
                 f"({short_list(escape_markdown(m) for m in report.dropped_models)}) {verb} dropped.")
    if report.ignored_columns:
        text += f" Text columns read as labels, not tasks: {short_list(code_span(c) for c in report.ignored_columns)}."
    return text


def dropped_tasks_markdown(report, limit: int = TABLE_ROWS) -> str:
    """The dropped tasks as a Markdown table (task, models with a score, reason), at most ``limit`` rows;
    empty without any."""
    table = report.dropped_table()
    if table.empty:
        return ""
    table = table.rename(columns={"task": "Task", "n_models": "Models with a score", "reason": "Why it was dropped"})
    more = f"\n\n({len(table) - limit:,} more dropped tasks are not listed.)" if len(table) > limit else ""
    return markdown_table(table.head(limit)) + more


def checks_markdown(report) -> str:
    """The report's warnings as callouts and its notes as a list, escaped (they quote task names)."""
    parts = [f"::: {{.callout-warning}}\n## Check the scores\n\n{escape_markdown(w)}.\n:::\n" for w in report.warnings]
    parts += [f"- {escape_markdown(note[0].upper() + note[1:])}." for note in report.notes]
    return "\n".join(parts)
