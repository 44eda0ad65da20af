"""A process that has imported the command line and forks one child per crafted case.

Starting Python and importing trailcheck costs about a second of CPU, more than most cases
themselves; a suite of a hundred cases would spend most of its time there. This process
pays it once: for each request it forks a child that applies the resource limits, takes
the case's directory, environment, standard input and output files, and runs
``checker.cli.main`` exactly as ``python -m checker`` does (``checker/__main__.py``),
then exits with its code. The child is a real, separate process under real limits; only
the interpreter start-up is shared.

Protocol (one JSON object per line): a request ``{"args", "cwd", "env", "stdin", "cpu",
"memory", "wall"}`` on the request descriptor; the answer ``{"code", "timed_out"}`` on
the answer descriptor once the child has ended (``code`` negative: killed by that signal).
``stdin`` is a file path, ``"closed"`` or ``"terminal"``; stdout and stderr go to
``cwd/stdout.txt`` and ``cwd/stderr.txt``.

Run as ``python zygote.py REQUEST_FD ANSWER_FD``.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import resource
import signal
import sys
import time
import traceback
from typing import Any

from checker import cli


def run_child(request: dict[str, Any]) -> None:
    """In the forked child: limits, directory, environment, descriptors; then the command line."""
    os.setsid()  # its own process group: the wall clock kills the child's workers with it
    resource.setrlimit(resource.RLIMIT_CPU, (request["cpu"], request["cpu"] + 5))
    resource.setrlimit(resource.RLIMIT_AS, (request["memory"], request["memory"]))
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for descriptor, name in ((1, "stdout.txt"), (2, "stderr.txt")):
        target = os.open(os.path.join(request["cwd"], name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(target, descriptor)
        os.close(target)
    stdin = request["stdin"]
    if stdin == "closed":
        os.close(0)
    elif stdin == "terminal":
        _, follower = pty.openpty()
        os.dup2(follower, 0)
    else:
        source = os.open(stdin or os.devnull, os.O_RDONLY)
        os.dup2(source, 0)
        os.close(source)
    try:
        code = cli.main(request["args"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # what the interpreter would do with an exception escaping main
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def wait(pid: int, wall: float) -> tuple[int, bool]:
    """The child's exit code (negative: its signal), and whether the wall clock killed it."""
    deadline = time.monotonic() + wall
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status), False
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            return os.waitstatus_to_exitcode(status), True
        time.sleep(0.01)


def serve(requests: int, answers: int) -> None:
    with os.fdopen(requests, "r", encoding="utf-8") as incoming, os.fdopen(answers, "w", encoding="utf-8") as out:
        for line in incoming:
            request = json.loads(line)
            pid = os.fork()
            if pid == 0:
                run_child(request)
            code, timed_out = wait(pid, request["wall"])
            out.write(json.dumps({"code": code, "timed_out": timed_out}) + "\n")
            out.flush()


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
