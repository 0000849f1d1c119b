"""One parser per data source: verified raw files -> one tidy DataFrame.

Each parser module defines
    KIND = "scores" | "transfer"
    def parse(files: Mapping[str, Path]) -> pandas.DataFrame
where ``files`` maps every file path listed in the manifest for the source (and for the sources it
``uses``), as written there relative to the mirror root, to its verified local path. The returned
frame follows the tidy schema of docs/architecture.md and is validated by evalcorr.data.schema.

A source names its parser in data/manifest.yaml (``parser: <module>``); a new source is a manifest
entry plus one module here.
"""
