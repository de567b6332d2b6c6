"""End the app when its terminal goes away, as the hangup signal would have.

A closed terminal window (or ``tmux kill-server``) hangs the app's terminal up. The hangup
signal that ends a program then goes to the terminal's session leader, which is not always
the app: under ``make run`` it is make, which waits for the app. Left alone the app would
run on with nobody to see it: its input reads as endless end-of-input (Textual's input
thread reads it again at once, a core kept busy) and its output thread has died on the
first write to the dead terminal, so the next frame blocks the app for good. Nothing can be
shown or saved any more, so the watch ends the process at once, as the signal does.
"""

from __future__ import annotations

import os
import signal
import threading
import time

HANGUP_EXIT = 128 + signal.SIGHUP  # what a shell reports for a program a hangup ended


def watch_terminal(fd: int, interval: float = 1.0) -> None:
    """Check once per ``interval`` that ``fd`` is still a terminal; when it is not (hung
    up), exit with ``HANGUP_EXIT``. The check runs in a thread of its own: the app's own
    thread may be the one blocked on the dead terminal."""

    def watch() -> None:
        while os.isatty(fd):
            time.sleep(interval)
        os._exit(HANGUP_EXIT)

    threading.Thread(target=watch, name="lucy-hangup-watch", daemon=True).start()
