import pytest


@pytest.fixture
def page_env(tmp_path, monkeypatch):
    """A page being rendered, as Quarto's environment names it: <tmp>/chapters/results.qmd."""
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "results.qmd").write_text("---\ntitle: R\n---\n")
    monkeypatch.setenv("QUARTO_PROJECT_ROOT", str(tmp_path))
    monkeypatch.setenv("QUARTO_DOCUMENT_PATH", "chapters")  # relative to the root, as some Quarto versions give it
    monkeypatch.setenv("QUARTO_DOCUMENT_FILE", "results.qmd")
    return tmp_path
