"""A plain Jupyter kernel started the way Quarto starts one, to check what a real kernel emits.

Independent of evalcorr's renderer: a stock ipykernel (this interpreter), started in the directory
Quarto would use (the page's folder, or the project root with ``execute-dir: project``) with the
environment given, then Quarto's Python setup as Quarto documents it (figure size and dpi in rcParams,
``set_matplotlib_formats(fig-format)`` through matplotlib-inline, ``os.chdir(run_path)``, ``%reset``),
then the page's cells one by one; inline expressions are evaluated as Jupyter user expressions after the
cells above them, as Quarto's runner does. Nothing else touches the display machinery.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

from evalcorr.render.qmd import CodeCell, InlineExpr, MarkdownBlock, parse_qmd


def quarto_setup(fig_format="svg", fig_width=7, fig_height=4.5, fig_dpi=100, run_path=None) -> str:
    """What Quarto's hidden Python setup cell does (src/resources/jupyter/lang/python/setup.py)."""
    chdir = f"os.chdir({str(run_path)!r})\n" if run_path else ""
    return (
        "import os\n"
        "import matplotlib.pyplot as plt\n"
        f"plt.rcParams['figure.figsize'] = ({fig_width}, {fig_height})\n"
        f"plt.rcParams['figure.dpi'] = {fig_dpi}\n"
        f"plt.rcParams['savefig.dpi'] = {fig_dpi}\n"
        "from matplotlib_inline.backend_inline import set_matplotlib_formats\n"
        f"set_matplotlib_formats({fig_format!r})\n"
        f"{chdir}"
        "%reset -f\n"
    )


@dataclass
class PlainRun:
    """What the kernel emitted: outputs per code cell (in page order) and display data per inline expression."""

    cells: list[tuple[CodeCell, list]] = field(default_factory=list)
    inline: list[tuple[InlineExpr, dict]] = field(default_factory=list)

    def images(self, cell: CodeCell) -> list[dict]:
        """The image outputs (display data or results carrying an image) of one cell."""
        outputs = next(outs for c, outs in self.cells if c is cell)
        return [out for out in outputs if out.get("output_type") in ("display_data", "execute_result")
                and any(mime.startswith("image/") for mime in out.get("data", {}))]

    def errors(self) -> list[str]:
        return [f"{cell.describe()}: {out['ename']}: {out['evalue']}" for cell, outs in self.cells
                for out in outs if out.get("output_type") == "error"]


class _Specs(KernelSpecManager):
    def get_kernel_spec(self, kernel_name):
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="python3", language="python")


def run_plain(qmd: Path, *, cwd: Path, env: dict | None = None, setup: str | None = None,
              timeout: int = 600) -> PlainRun:
    """Execute every cell and inline expression of `qmd` in a plain kernel started in `cwd`."""
    doc = parse_qmd(Path(qmd).read_text(encoding="utf-8"), source=qmd)
    nb = nbformat.v4.new_notebook()
    km = KernelManager(kernel_name="python3", kernel_spec_manager=_Specs())
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=True, resources={"metadata": {"path": str(cwd)}})
    run = PlainRun()
    with client.setup_kernel(env=env) if env is not None else client.setup_kernel():
        cells = [setup or quarto_setup()] + [block for block in doc.blocks]
        for index, block in enumerate(cells):
            if isinstance(block, MarkdownBlock):
                for part in block.parts:
                    if isinstance(part, InlineExpr):
                        msg_id = client.kc.execute("", store_history=False, user_expressions={"x": part.expr})
                        reply = client.wait_for_reply(msg_id)
                        result = reply["content"]["user_expressions"]["x"]
                        run.inline.append((part, result.get("data", {"error": result.get("evalue")})))
                continue
            source = block if isinstance(block, str) else block.code
            cell = nbformat.v4.new_code_cell(source)
            nb.cells.append(cell)
            client.execute_cell(cell, len(nb.cells) - 1)
            if not isinstance(block, str):
                run.cells.append((block, list(cell.outputs)))
    return run
