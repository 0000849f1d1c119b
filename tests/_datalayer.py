"""Test helpers for the data layer: a tiny mirror + manifest, toy parsers, a local HTTP mirror server.

Shared by test_manifest, test_fetch, test_cache, test_loaders and test_cli_data.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

TOY_SCORES_CSV = """snapshot,model,task,level,score,params_b
2024-01,org/a,alpha,task,0.50,7
2024-01,org/a,beta,task,0.25,7
2024-01,org/b,alpha,task,0.75,
2024-01,org/a,overall,aggregate,0.40,7
2024-06,org/a,alpha,task,0.60,7
2024-06,org/a,beta,task,0.30,7
2024-06,org/b,alpha,task,0.80,
2024-06,org/c,beta,task,0.10,1.5
2024-06,org/c,gamma,task,0.90,1.5
2024-06,org/a,overall,aggregate,0.45,7
"""

TOY_TRANSFER_CSV = """model,train_task,eval_task,stage,metric,value
m1,a,b,after_A,accuracy,0.27
m1,b,a,after_A,accuracy,0.10
m1,,a,untuned,accuracy,0.05
m2,a,b,after_A,accuracy,0.40
"""

TOY_PARSERS = '''
from pathlib import Path

import pandas as pd

CALLS = Path(__file__).with_name("calls.log")


def _count(name):
    with CALLS.open("a") as handle:
        handle.write(name + "\\n")
'''

TOY_SCORES_PARSER = TOY_PARSERS + '''
KIND = "scores"


def parse(files):
    _count("toy-scores")
    raw = pd.read_csv(files["toy/scores.csv"], dtype={"snapshot": "str"})
    n = len(raw)
    na_text = pd.Series([None] * n, dtype="str")
    return pd.DataFrame({
        "source": "toy-scores", "snapshot": raw["snapshot"], "model": raw["model"], "task": raw["task"],
        "benchmark": "Toy", "family": "Toy", "subfamily": "", "display": raw["task"].str.title(),
        "level": raw["level"], "metric": "acc", "score": raw["score"].astype("float64"), "scale": "fraction",
        "n_items": pd.array([100] * n, dtype="Int64"), "params_b": raw["params_b"].astype("float64"),
        "architecture": na_text, "precision": na_text, "base_family": na_text, "base_model": na_text, "model_type": na_text,
        "pretrain_tokens_t": float("nan"), "flops_1e21": float("nan"),
    })
'''

TOY_TRANSFER_PARSER = TOY_PARSERS + '''
KIND = "transfer"


def parse(files):
    _count("toy-transfer")
    raw = pd.read_csv(files["toy/transfer.csv"], dtype="str", keep_default_na=False)
    return pd.DataFrame({
        "source": "toy-transfer", "model": raw["model"], "setting": "default", "train_task": raw["train_task"],
        "eval_task": raw["eval_task"], "stage": raw["stage"], "metric": raw["metric"],
        "value": raw["value"].astype("float64"), "n_items": pd.array([pd.NA] * len(raw), dtype="Int64"),
        "seed": pd.array([pd.NA] * len(raw), dtype="Int64"),
    })
'''

TOY_EMPTY_PARSER = TOY_PARSERS + '''
KIND = "scores"


def parse(files):
    _count("toy-empty")
    return pd.DataFrame()
'''


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


TOY_SCALES = {"scores": {"fraction": [0, 1]}, "transfer": {"accuracy": [0, 1]}}


def source_entry(source_id: str, kind: str, files: dict[str, bytes], uses=(), parser=None) -> dict:
    """A manifest entry for files whose bytes are given; urls point at a fake upstream host."""
    return {
        "id": source_id, **({"parser": parser, "scales": TOY_SCALES[kind]} if parser else {}),
        "title": f"Toy source {source_id}", "kind": kind,
        "upstream": {"repository": "https://github.com/example/toy", "commit": "0" * 40},
        "licence": "MIT", "citation": {"keys": ["toy2024"], "text": "Toy et al. (2024)."},
        "snapshot": "toy", "uses": list(uses),
        "files": [{"path": path, "upstream_path": path, "url": f"https://upstream.invalid/{path}",
                   "sha256": sha256(data), "size": len(data)} for path, data in files.items()],
    }


TOY_FILES = {
    "toy-scores": ("scores", {"toy/scores.csv": TOY_SCORES_CSV.encode()}),
    "toy-transfer": ("transfer", {"toy/transfer.csv": TOY_TRANSFER_CSV.encode()}),
    "toy-empty": ("scores", {"toy/empty.csv": b"model,task\n"}),
}


def make_world(root: Path, monkeypatch) -> dict:
    """A mirror, a manifest and registered toy parsers under ``root``; returns their paths.

    Sets MANIFEST_PATH, EVALCORR_DATA_DIR (the mirror) and EVALCORR_CACHE_DIR (``root/cache``).
    Each toy source names its parser, ``toyparsers.<id>``, in the manifest.
    """
    from evalcorr.data import manifest

    mirror = root / "mirror"
    sources = []
    for source_id, (kind, files) in TOY_FILES.items():
        for path, data in files.items():
            (mirror / path).parent.mkdir(parents=True, exist_ok=True)
            (mirror / path).write_bytes(data)
        sources.append(source_entry(source_id, kind, files, parser=f"toyparsers.{source_id.replace('-', '_')}"))
    manifest_path = root / "manifest.yaml"
    manifest_path.write_text(yaml.safe_dump({"version": 1, "sources": sources}, sort_keys=False))

    package = root / "toyparsers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "toy_scores.py").write_text(TOY_SCORES_PARSER)
    (package / "toy_transfer.py").write_text(TOY_TRANSFER_PARSER)
    (package / "toy_empty.py").write_text(TOY_EMPTY_PARSER)
    monkeypatch.syspath_prepend(str(root))
    for name in [m for m in sys.modules if m == "toyparsers" or m.startswith("toyparsers.")]:
        monkeypatch.delitem(sys.modules, name)  # each test imports its own toy parsers
    monkeypatch.setattr(manifest, "MANIFEST_PATH", manifest_path)
    monkeypatch.setenv("EVALCORR_DATA_DIR", str(mirror))
    monkeypatch.setenv("EVALCORR_CACHE_DIR", str(root / "cache"))
    return {"mirror": mirror, "manifest": manifest_path, "cache": root / "cache", "calls": package / "calls.log"}


def set_parser(world: dict, source_id: str, parser: str | None) -> None:
    """Rewrite the toy manifest so that ``source_id`` names another parser module (None: no parser)."""
    from evalcorr.data.manifest import _load_manifest

    document = yaml.safe_load(world["manifest"].read_text())
    for entry in document["sources"]:
        if entry["id"] == source_id:
            entry.pop("parser", None)
            if parser:
                entry["parser"] = parser
    world["manifest"].write_text(yaml.safe_dump(document, sort_keys=False))
    _load_manifest.cache_clear()  # the file may keep its mtime within the clock's resolution


def parse_calls(world: dict) -> list[str]:
    """Names of the toy parsers run so far, in order."""
    return world["calls"].read_text().split() if world["calls"].exists() else []


class _MirrorHandler(BaseHTTPRequestHandler):
    """Serves files of ``server.root``; honours ``Range: bytes=N-`` unless ``server.ignore_range``;
    ``server.truncate`` maps a path to a byte count after which the first response is cut off;
    ``server.trickle`` maps a path to the seconds between the bytes of its body (sent one by one);
    ``server.oversend`` maps a path to a number of junk bytes sent after the file (announced in
    Content-Length when ``server.announce_oversend``, else the body ends when the connection closes)."""

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server API)
        server = self.server
        server.requests.append((self.path, self.headers.get("Range")))
        path = server.root / self.path.lstrip("/").replace("%20", " ")
        if not path.is_file():
            self.send_error(404, "Not Found")
            return
        data = path.read_bytes()
        start = 0
        header = self.headers.get("Range")
        if header and not server.ignore_range:
            start = int(header.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_error(416, "Range Not Satisfiable")
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        extra = server.oversend.get(self.path.lstrip("/"), 0)
        if not extra or server.announce_oversend:
            self.send_header("Content-Length", str(len(body) + extra))
        self.end_headers()
        try:
            if extra:
                self._oversend(body, extra)
                return
            if self.path.lstrip("/") in server.trickle:
                self._trickle(body, server.trickle[self.path.lstrip("/")])
                return
        except (BrokenPipeError, ConnectionResetError):  # the client gave up, as it should
            self.close_connection = True
            return
        cut = server.truncate.pop(self.path.lstrip("/"), None)
        if cut is not None:
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)

    def _trickle(self, body: bytes, delay: float) -> None:
        for byte in body:
            if self.server.stopping.wait(delay):
                break
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
        self.close_connection = True

    def _oversend(self, body: bytes, extra: int) -> None:
        self.wfile.write(body)
        junk = b"x" * 65536
        while extra > 0 and not self.server.stopping.is_set():
            self.wfile.write(junk[:extra])
            self.server.sent_extra += min(extra, len(junk))
            extra -= len(junk)
        self.close_connection = True


@contextmanager
def mirror_server(root: Path, *, ignore_range: bool = False, truncate: dict[str, int] | None = None,
                  trickle: dict[str, float] | None = None, oversend: dict[str, int] | None = None,
                  announce_oversend: bool = False):
    """A real HTTP server on 127.0.0.1 (free port) serving ``root``; yields it (``.url``, ``.requests``).

    It is stopped when the block ends: a response still trickling or oversending stops at once.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MirrorHandler)
    server.root = Path(root)
    server.ignore_range = ignore_range
    server.truncate = dict(truncate or {})
    server.trickle = dict(trickle or {})
    server.oversend = dict(oversend or {})
    server.announce_oversend = announce_oversend
    server.sent_extra = 0
    server.stopping = threading.Event()
    server.requests = []
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


def edited_copy(files: dict, tmp_path: Path, name: str, edit) -> dict:
    """``files`` with manifest file ``name`` replaced by a copy under ``tmp_path`` whose text is
    ``edit(text)`` (a corrupted, truncated or renamed variant of a real file)."""
    copy = tmp_path / name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(edit(Path(files[name]).read_text(encoding="utf-8")), encoding="utf-8")
    return {**files, name: copy}


def replace_line(text: str, number: int, edit) -> str:
    """``text`` with line ``number`` (1-based) replaced by ``edit(line)``."""
    lines = text.split("\n")
    lines[number - 1] = edit(lines[number - 1])
    return "\n".join(lines)


def replace_cell(text: str, line: int, column: str, value: str) -> str:
    """A simple CSV's ``text`` (no quoted commas) with the cell of ``column`` on ``line`` set to ``value``."""
    index = text.split("\n", 1)[0].split(",").index(column)
    return replace_line(text, line, lambda row: ",".join(value if i == index else cell
                                                         for i, cell in enumerate(row.split(","))))
