"""Long-lived pandoc processes that convert one document after another.

A pandoc run pays for its own start: the process, and when it formats citations, citeproc's set-up
(about 0.1 s a run; a second document formatted in the same process adds 0.02 s). A cold render runs
pandoc about 35 times, a dozen of them with citeproc. A worker here is ``pandoc lua`` running
``templates/pandoc-worker.lua``: it reads a request from its standard input, converts it with pandoc's
Lua API exactly as the command line would (:func:`request_options` translates the command line), and
answers on its standard output, until its input closes. On the report's 34 distinct conversions of a
cold render the outputs are the command line's, byte for byte, in 1.1 s of pandoc instead of 2.7 s.

:func:`convert` lends each calling thread an idle worker started with the same pandoc and environment
(or starts one); threads never share one.
A command line with an option not translated here, a text with tabs or carriage returns (which the
command line changes before reading), a failed conversion and a worker that died all return None, and
the caller runs pandoc as its own process, which then gives pandoc's own error. A pandoc whose first
worker dies unanswered (one without ``pandoc lua``) gets no other worker in that environment.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import threading
from pathlib import Path

SCRIPT = Path(__file__).with_name("templates") / "pandoc-worker.lua"
# The command line's defaults that pandoc's Lua API does not share (its readers default to 80 columns).
COLUMNS = 72
# Writers without citations of their own (the command line turns those off under --citeproc; Lua does not).
CITEPROC_WRITERS = ("json", "html", "html4", "html5")


def request_options(args: list[str]) -> dict | None:
    """What the pandoc command line `args` asks for, as a worker's request options; None when `args`
    holds anything but the options translated here (-f, -t, --wrap, --mathml, -M KEY=true|false,
    --citeproc, --bibliography, --csl)."""
    reader, writer, meta, bibliographies = {"columns": COLUMNS}, {"columns": COLUMNS}, {}, []
    options = {"reader": reader, "writer": writer, "meta": meta, "citeproc": False}
    words = iter(args)
    for word in words:
        if word in ("-f", "-t", "-M"):          # the short options take the next word as their value
            word = f"{word}={next(words, '')}"
        name, _, value = word.partition("=")
        if name in ("-f", "--from") and value:
            options["from"] = value
        elif name in ("-t", "--to") and value:
            options["to"] = value
        elif name == "--wrap" and value in ("auto", "none", "preserve"):
            writer["wrap_text"] = value
        elif word == "--mathml":
            writer["html_math_method"] = "mathml"
        elif name == "-M" and value.partition("=")[2] in ("true", "false"):   # YAML booleans, as pandoc reads them
            key, _, flag = value.partition("=")
            meta[key] = flag == "true"
        elif word == "--citeproc":
            options["citeproc"] = True
        elif name == "--bibliography" and value:
            bibliographies.append(value)
        elif name == "--csl" and value:
            meta["csl"] = value
        else:
            return None
    if "from" not in options or "to" not in options:
        return None
    if options["citeproc"] and options["to"] not in CITEPROC_WRITERS:
        return None         # with --citeproc the command line turns off a writer's own citations
    if bibliographies:
        meta["bibliography"] = bibliographies[0] if len(bibliographies) == 1 else bibliographies
    return options


class PandocWorker:
    """One ``pandoc lua`` process serving requests (:data:`SCRIPT`); ``env`` is pandoc's environment."""

    def __init__(self, pandoc: str, env: dict[str, str]):
        self.env, self.key = env, _worker_key(pandoc, env)
        self.process = subprocess.Popen([pandoc, "lua", str(SCRIPT)], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)

    def convert(self, options: dict, text: str) -> str | None:
        """The output for `text`, or None when the conversion failed (the message is pandoc's to give).

        Raises OSError or EOFError when the process is gone."""
        head, body = json.dumps(options).encode(), text.encode()
        self.process.stdin.write(b"%d %d\n" % (len(head), len(body)) + head + body)
        self.process.stdin.flush()
        status, _, size = self.process.stdout.readline().decode().partition(" ")
        if status not in ("ok", "error"):
            raise EOFError("the pandoc worker stopped")
        output = self.process.stdout.read(int(size))
        if len(output) != int(size):
            raise EOFError("the pandoc worker stopped")
        if status == "error":
            return None
        # read as the command line's output was read (universal newlines); the command line ends its
        # output with a newline (an empty one too), pandoc.write does not
        output = output.decode().replace("\r\n", "\n").replace("\r", "\n")
        return output if output.endswith("\n") else output + "\n"

    def close(self) -> None:
        try:
            self.process.stdin.close()
            self.process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


_idle: list[PandocWorker] = []
_lock = threading.Lock()
_unavailable: set = set()       # worker keys whose first worker died unanswered


def _worker_key(pandoc: str, env: dict[str, str]) -> tuple:
    """What a worker serves: its pandoc, its environment (GHCRTS is read when pandoc starts) and its
    working directory (relative paths, a bibliography or a style, are read from it)."""
    return pandoc, frozenset(env.items()), os.getcwd()


def convert(pandoc: str, args: list[str], text: str, env: dict[str, str]) -> str | None:
    """Pandoc's output for the command line ``pandoc args`` on `text`, from a worker; None when a worker
    cannot give it (see the module docstring): run the command line instead."""
    options = request_options(args)
    # The command line expands tabs and drops carriage returns before reading, pandoc.read does not:
    # such a text goes to the command line (JSON never has either outside its escapes).
    key = _worker_key(pandoc, env)
    if options is None or "\t" in text or "\r" in text or os.name != "posix" or key in _unavailable:
        return None
    with _lock:
        worker = next((w for w in reversed(_idle) if w.key == key), None)
        if worker is not None:
            _idle.remove(worker)
    fresh = worker is None
    try:
        if fresh:
            worker = PandocWorker(pandoc, env)
        output = worker.convert(options, text)
    except BaseException as error:
        if worker is not None:
            worker.close()
        if not isinstance(error, (OSError, EOFError, ValueError)):
            raise
        if fresh and isinstance(error, (EOFError, BrokenPipeError)):
            _unavailable.add(key)     # e.g. a pandoc without `pandoc lua`: not tried again
        return None
    with _lock:
        _idle.append(worker)
    return output


def close_workers() -> None:
    """Stop every idle worker (also run at exit); the next conversion starts a new one."""
    with _lock:
        workers, _idle[:] = list(_idle), []
    for worker in workers:
        worker.close()


atexit.register(close_workers)
