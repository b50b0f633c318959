"""The validators are built once per process even when many threads ask at once (the worker
runs jobs in threads; libxml2 fails when two threads compile a schema together)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_eight_threads_asking_for_the_validator_cold_all_get_the_same_one() -> None:
    # A fresh interpreter: the validator must not be built yet when the threads start.
    script = textwrap.dedent(
        """
        import threading
        from portal.cfdi import validation

        barrier, got, errors = threading.Barrier(8), [], []

        def ask():
            barrier.wait()
            try:
                got.append(validation.fast_validator())
            except Exception as error:
                errors.append(repr(error))

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], errors
        assert len(got) == 8 and all(v is got[0] for v in got)
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
