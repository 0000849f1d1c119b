"""Numbers and lists as the report's sentences print them.

The chapters' computed prose calls these instead of formatting by hand, so that one rule (how a share
is rounded, how a list is joined, how a p-value at its floor reads, how a table is printed into a page
with its data escaped) holds on every page. They take
values the statistics computed and return strings; none computes a statistic.

>>> from evalcorr.text import join_and, percent
>>> percent(0.1234, 1), join_and(["MATH", "BBH", "GPQA"])
('12.3', 'MATH, BBH and GPQA')
"""

from evalcorr.text.lists import (
    DisplayNames, brace_groups, join_and, labelled_range, labelled_values, names, pair_with_value, short_list)
from evalcorr.text.numbers import (
    count_word, format_permutation_p, interval, ordinal, percent, percent_at_least, plural, share_of_pairs,
    upper_bound, with_interval)
from evalcorr.text.tables import markdown_table

__all__ = ["DisplayNames", "brace_groups", "count_word", "format_permutation_p", "interval", "join_and",
           "labelled_range", "labelled_values", "markdown_table", "names", "ordinal", "pair_with_value", "percent",
           "percent_at_least", "plural", "share_of_pairs", "short_list", "upper_bound", "with_interval"]
