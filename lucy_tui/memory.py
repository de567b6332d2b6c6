"""Keep the garbage collector off what lives as long as the app: the loaded client list.

A full collection walks every object the collector tracks. With 50,000 clients loaded one
took 80-90 ms, and it fell in the middle of a keystroke now and then (bench/app.py's filter
keystrokes: the slowest 95-107 ms of CPU, 22 ms with the list kept out; bench/README.md).
Once the whole list is in, everything alive then is moved out of the collector's reach
(``gc.freeze``). Those objects are still freed as usual when nothing refers to them any
more (the rows of a list loaded again, say): only a reference cycle among them would stay,
and the list's rows hold none.
"""

from __future__ import annotations

import gc


def keep_long_lived() -> None:
    """Collect what is garbage now, then keep everything still alive out of later
    collections."""
    gc.collect()
    gc.freeze()
