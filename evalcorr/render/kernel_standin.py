"""The kernel's stand-in: what the kernel spec runs when kernels are forked
(:mod:`evalcorr.render.forkserver`).

jupyter_client starts and stops it like any kernel process. It hands the fork server its arguments,
working directory, environment and standard streams, forwards the signals it gets (interrupt,
terminate) to the kernel's process group and ends as the kernel ends (its exit status, or the signal
that killed it).

One is started for every page, as ``python -I -S <this file> ADDRESS -- ARGS``: it uses the standard
library only and imports nothing of evalcorr, so that it is running in about 10 ms.
"""

import json
import os
import signal
import socket
import sys


def launch(address: str, args: list[str]) -> int:
    """Have the server at ``address`` fork a kernel with ``args``; forward signals; its exit status."""
    forwarded = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
    signal.pthread_sigmask(signal.SIG_BLOCK, forwarded)     # held until the kernel's pid is known
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(address)
    body = json.dumps({"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}).encode()
    message = f"{len(body)}\n".encode() + body
    try:
        sent = socket.send_fds(conn, [message[:1 << 15]], [0, 1, 2])
        if sent < len(message):
            conn.sendall(message[sent:])
    except BrokenPipeError:
        pass        # the server refused the request and closed the connection: its answer says why
    reader = conn.makefile("r")
    kind, _, value = reader.readline().strip().partition(" ")
    if kind != "pid":
        sys.stderr.write(f"evalcorr kernel fork server: {value or 'no answer'}\n")
        return 1
    pid = int(value)

    def forward(signum, _frame):
        try:
            os.killpg(pid, signum)      # the kernel's process group, as jupyter_client signals a kernel
        except (ProcessLookupError, PermissionError):
            pass

    for signum in forwarded:
        signal.signal(signum, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, forwarded)
    line = reader.readline()            # "exit <code>" when the kernel ends
    code = int(line.split()[1]) if line.startswith("exit ") else 1
    if code < 0:                        # killed by a signal: end the same way
        signal.signal(-code, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [-code])
        os.kill(os.getpid(), -code)
    return code


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "--":
        return launch(argv[0], argv[2:])
    sys.stderr.write("usage: python -I -S kernel_standin.py ADDRESS -- ARGS...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
