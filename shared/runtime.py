"""Process-level helpers for batch work."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["gc_paused"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a batch that allocates a great deal.

    Building indexes over a million open items allocates millions of small containers;
    each allocation burst triggers a full collection that walks every live object, which
    doubled the matcher's time at scale.  The batch creates no reference cycles worth
    collecting (reference counting frees its garbage), so the collector waits until it
    is done.  Nested use is safe: only the outermost call switches the collector back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
