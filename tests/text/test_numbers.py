"""evalcorr.text.numbers: how numbers read in the report's sentences."""

import pytest

from evalcorr.text import count_word, format_permutation_p, percent, percent_at_least, plural, share_of_pairs


def test_percent_scales_and_rounds_a_fraction():
    assert percent(0.1234) == "12"
    assert percent(0.1234, 1) == "12.3"
    assert percent(0.1234, 1, symbol=True) == "12.3%"
    assert percent(-0.05) == "-5"


def test_format_permutation_p_marks_the_floor():
    assert format_permutation_p(1 / 10001, 10000) == "p ≤ 0.0001"
    assert format_permutation_p(0.0015, 10000) == "p = 0.0015"
    assert format_permutation_p(0.25, 999) == "p = 0.250"


def test_percent_at_least_rounds_down():
    assert percent_at_least(0.98699) == "98.6%"   # ordinary rounding would say 98.7%, overstating
    assert percent_at_least(0.996) == "99.6%"
    assert percent_at_least(1.0) == "100.0%"


def test_share_of_pairs_says_all_only_when_every_pair_qualifies():
    assert share_of_pairs(1.0, 45) == "all 45 pairs are"
    assert share_of_pairs(0.978, 1540) == "97.8% of the 1,540 pairs are"
    assert share_of_pairs(0.9999, 10) == "100.0% of the 10 pairs are"


def test_upper_bound_rounds_up_so_at_most_stays_true():
    from evalcorr.text import upper_bound

    assert upper_bound(0.00117) == "0.0012"   # "at most 0.001" would be false
    assert upper_bound(0.0012) == "0.0012"
    assert upper_bound(0.1234) == "0.13"
    assert upper_bound(0.5, significant=1) == "0.5"
    assert upper_bound(12.01) == "13"
    assert upper_bound(0.0) == "0"
    with pytest.raises(ValueError):
        upper_bound(-0.1)


def test_interval_reads_as_brackets():
    from evalcorr.text import interval

    assert interval(0.5351, 0.683) == "[0.54, 0.68]"
    assert interval(0.05, 0.9, ".0%") == "[5%, 90%]"


def test_ordinal_suffixes():
    from evalcorr.text import ordinal

    assert [ordinal(n) for n in (1, 2, 3, 4, 8, 11, 12, 13, 21, 22, 57, 101, 111)] == [
        "1st", "2nd", "3rd", "4th", "8th", "11th", "12th", "13th", "21st", "22nd", "57th", "101st", "111th"]


def test_counts_as_words_and_plurals():
    assert [count_word(n) for n in (0, 1, 2, 10, 11, 1500)] == ["no", "one", "two", "ten", "11", "1,500"]
    assert plural(1, "task") == "1 task" and plural(2, "task") == "2 tasks" and plural(1500, "model") == "1,500 models"
    assert plural(3, "task was", "tasks were") == "3 tasks were"
