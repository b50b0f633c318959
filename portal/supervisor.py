"""``portal serve``'s supervisor: starts its children, restarts a dead worker or scheduler with
a growing back-off, and stops everything (exit status 1) when the web server dies."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

log = logging.getLogger("portal.serve")
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 30.0
STABLE_AFTER = 60.0  # a child that ran this long starts again from the shortest back-off


@dataclass
class Child:
    """A command to keep running; ``restart=False`` means its death ends the supervisor."""

    name: str
    args: list[str]
    restart: bool = True
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_FIRST
    restart_at: float | None = None
    restarts: int = field(default=0)

    def start(self) -> None:
        """Start (or restart) the command."""
        # A session of its own: stopping it reaches its whole group (a SIGKILLed gunicorn
        # master's workers too).
        self.process = subprocess.Popen(self.args, start_new_session=True)
        self.started_at, self.restart_at = time.monotonic(), None

    def alive(self) -> bool:
        """Whether the command runs now."""
        return self.process is not None and self.process.poll() is None

    def stop(self, signum: int = signal.SIGTERM) -> None:
        """Send ``signum`` to the command's process group (whatever is left of it)."""
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass


def _plan_restart(child: Child, now: float) -> None:
    if now - child.started_at >= STABLE_AFTER:
        child.backoff = BACKOFF_FIRST
    child.restart_at = now + child.backoff
    log.warning(
        "%s exited with %s; restarting in %.0f s",
        child.name,
        child.process.returncode,
        child.backoff,
        extra={"child": child.name, "exit_status": child.process.returncode},
    )
    child.backoff = min(child.backoff * 2, BACKOFF_MAX)


def supervise(children: list[Child], poll: float = 0.2) -> int:
    """Run the children until SIGTERM/SIGINT (status 0) or a child without restart dies (1)."""
    stopping: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        child.start()
    status = 0
    while not stopping:
        now = time.monotonic()
        fatal = [c for c in children if not c.restart and not c.alive()]
        if fatal:
            log.error("%s exited with %s: stopping", fatal[0].name, fatal[0].process.returncode)
            status = 1
            break
        for child in children:
            if child.alive() or not child.restart:
                continue
            if child.restart_at is None:
                _plan_restart(child, now)
            elif now >= child.restart_at:
                child.restarts += 1
                child.start()
        time.sleep(poll)
    _stop_all(children)
    return status


def _stop_all(children: list[Child], grace: float = 30.0) -> None:
    for child in children:
        child.stop()
    deadline = time.monotonic() + grace
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.stop(signal.SIGKILL)
            child.process.wait()
