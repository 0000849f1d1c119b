"""The offline renderer: execute .qmd pages in a Jupyter kernel, publish them with pandoc, Jinja2 and typst."""
