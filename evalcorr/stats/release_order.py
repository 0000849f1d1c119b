"""Task order of the released transfer sheets.

The tidy cache is sorted, so the order in which a source lists its tasks is kept here; sources not
listed keep the frame's order. A leaf module, so that every transfer module can use it.
"""

RELEASE_ORDER: dict[str, list[str]] = {
    "transfer-scaling": ["addition", "subtraction", "spanish", "division", "math_expressions",
                         "multiplication_2x1", "faith", "science"],
}
