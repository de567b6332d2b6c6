"""The app on a real terminal that goes away: it quits instead of spinning on a dead input.

A terminal window closed (or ``tmux kill-server``) hangs its pseudo-terminal up; the app's
input then reads as endless end-of-input. The hangup signal that would end the app does not
always reach it (under ``make run`` make gets it, and waits for the app), so here the app
runs with that signal ignored: only the app's own check can end it.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from lucy_tui.hangup import HANGUP_EXIT

DRAWN = b"Filter"  # on the client list's filter bar: the app is up and drawing


def on_its_own_terminal() -> None:
    """In the child: a session of its own with the pty as its controlling terminal, and
    the hangup signal ignored (as when it goes to make instead)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def read_until(master: int, marker: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            seen += os.read(master, 65536)
    return seen


def test_the_app_quits_when_its_terminal_goes_away(tmp_path: Path) -> None:
    master, terminal = os.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 160, 0, 0))
    env = {name: value for name, value in os.environ.items() if not name.startswith("LUCY_")}
    env |= {
        "LUCY_DATA_DIR": str(tmp_path / "data"),
        "LUCY_CONFIG_DIR": str(tmp_path / "config"),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
    }
    app = subprocess.Popen(
        [sys.executable, "-c", "from lucy_tui.cli import main; raise SystemExit(main())"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=env,
        start_new_session=True,
        preexec_fn=on_its_own_terminal,
    )
    os.close(terminal)  # only the app holds it now
    try:
        assert DRAWN in read_until(master, DRAWN, timeout=60), "the app did not start"
        os.close(master)  # the terminal window is closed
        master = -1
        started = time.monotonic()
        assert app.wait(timeout=15) == HANGUP_EXIT
        assert time.monotonic() - started < 5  # the watch checks once a second
    finally:
        if master >= 0:
            os.close(master)
        if app.poll() is None:
            app.kill()
            app.wait()
