"""Imported first by ``tasks``: the garbage collector pauses while the rest of the package
imports, and what is imported by then is frozen out of its reach.

Every luigi command imports some 750 modules. With the collector on, its full passes over
the growing heap cost a third of the import (``import tasks``: 785 against 558 ms in a
fresh interpreter, 447 with both changes), and at exit the interpreter's last
collections walk it all again (180 ms of a no-op rerun's 0.8 s). Frozen objects are
never walked: not at exit, not by the full passes during a build, and not in the forked
worker processes, whose collections would otherwise write to every inherited page.
Modules and what they hold live as long as the process, so nothing collectable is lost.
"""

import gc

_enabled = gc.isenabled()
gc.disable()


def imports_done() -> None:
    """Freeze what is imported, then let the collector run again (if it ran before)."""
    gc.freeze()
    if _enabled:
        gc.enable()
