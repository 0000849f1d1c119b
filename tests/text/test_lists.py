"""evalcorr.text.lists: how lists read in the report's sentences."""

import pandas as pd

from evalcorr.text import DisplayNames, brace_groups, join_and, labelled_values, names, pair_with_value, short_list


def test_join_and():
    assert join_and([]) == ""
    assert join_and([], empty="none") == "none"
    assert join_and(["a"]) == "a"
    assert join_and(["a", "b"]) == "a and b"
    assert join_and(["a", "b", "c"]) == "a, b and c"
    assert join_and(["a", "b", "c"], last=" or ") == "a, b or c"


def test_names_from_a_mapping_keep_unknown_ids_and_from_a_function():
    assert names(["x", "y"], {"x": "Ex"}) == ["Ex", "y"]
    assert names(["a_b"], lambda t: t.replace("_", " ")) == ["a b"]
    assert names([1, 2]) == ["1", "2"]


def test_labelled_values():
    assert labelled_values(["A", "B"], [0.914, -0.2]) == "A (0.91), B (-0.20)"
    assert labelled_values(["A"], [3], fmt="d") == "A (3)"


def test_brace_groups_orders_groups_by_label_and_items_as_given():
    labels = pd.Series({"add": 2, "sub": 2, "faith": 1, "spanish": 3})
    assert brace_groups(labels, {"spanish": "Spanish"}) == "{faith}; {add, sub}; {Spanish}"


def test_pair_with_value():
    assert pair_with_value("nqa", "nq", 0.8312, {"nqa": "NarrativeQA"}) == "NarrativeQA and nq (r = 0.83)"
    assert pair_with_value("a", "b", 0.5, label="rho", fmt=".1f") == "a and b (rho = 0.5)"


def test_display_names_read_unknown_ids_as_themselves():
    display = DisplayNames({"bbh_x": "BBH x"})
    assert display["bbh_x"] == "BBH x" and display["log10_params_b"] == "log10_params_b"
    assert names(["bbh_x", "y"], display) == ["BBH x", "y"]


def test_labelled_range_names_both_ends():
    from evalcorr.text import labelled_range

    kept = pd.Series({"PC1": 0.10, "general factor": 0.06, "log parameters": 0.75, "none": float("nan")})
    assert labelled_range(kept) == "6% (general factor) to 75% (log parameters)"
    assert labelled_range(pd.Series({"a": 0.901, "b": 0.899})) == "90%"
    assert labelled_range(kept, ".2f", " and ") == "0.06 (general factor) and 0.75 (log parameters)"


def test_short_list_names_the_first_six():
    assert short_list(list("abc")) == "a, b and c"
    assert short_list(list("abcdefgh")) == "a, b, c, d, e, f and 2 more"
    assert short_list(["x", "y"], {"x": "X"}) == "X and y"
