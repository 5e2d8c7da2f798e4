"""A process that dies with the one that started it (issue 24): a flow-run process outliving its
killed worker ran its review a second time beside the run the restarted worker took over.

Linux's parent-death signal (prctl PR_SET_PDEATHSIG, prctl(2)) makes the kernel SIGKILL the
process when its parent ends, even by `kill -9`. Set late (after the process has started), it
comes with a check that the parent is still the one that started it: a parent that died in
between has left the process to init, and it ends at once. Elsewhere than Linux nothing is done.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent_pid: int) -> bool:
    """SIGKILL this process when `parent_pid` (its parent) ends; ends it now when the parent has
    already gone. Whether the kernel took the request (False off Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return False
    if os.getppid() != parent_pid:  # the parent died before the request: it cannot fire now
        os.kill(os.getpid(), signal.SIGKILL)
    return True
