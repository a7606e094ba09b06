"""Ctrl-C for `make run`: the terminal's interrupt goes to the stack, not to make.

A terminal sends Ctrl-C's SIGINT to its whole foreground process group: `make` and the stack alike.
make then reports the interrupt as its own failure ("make: *** [run] Interrupt", exit 130) however
cleanly the stack stopped. So while the stack runs it takes the terminal's foreground in a process group
of its own (as a shell does for a job); make sees no signal and exits with the stack's status. The
foreground is handed back before exiting, so the shell's prompt returns to a normal terminal.
"""

import contextlib
import os
import signal
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def interrupts_to_this_process() -> Iterator[None]:
    """Make this process's own group the terminal's foreground for the block (no-op without a terminal)."""
    if not sys.stdin.isatty():
        yield
        return
    fd = sys.stdin.fileno()
    # A process group that is not in the foreground is stopped by SIGTTOU when it changes the foreground.
    old_ttou = signal.signal(signal.SIGTTOU, signal.SIG_IGN)
    try:
        previous = os.tcgetpgrp(fd)  # fails where the terminal is not this session's own
        os.setpgid(0, 0)
        os.tcsetpgrp(fd, os.getpgrp())
    except OSError:  # not our terminal, or a session leader: leave the terminal as it was
        signal.signal(signal.SIGTTOU, old_ttou)
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.tcsetpgrp(fd, previous)
        signal.signal(signal.SIGTTOU, old_ttou)
