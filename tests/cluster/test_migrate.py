"""``portal migrate`` from several places at once: the others wait, then find nothing to do."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

from sqlalchemy import create_engine, text

from portal.config import PROJECT_ROOT

RUNS = 3


def _migrate(url: str, instance: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "INSTANCE_PATH": instance}
    return subprocess.Popen(
        [sys.executable, "-c", "from portal.cli import main; main()", "migrate"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_three_concurrent_migrations_all_succeed_and_apply_each_step_once(
    fresh_database: Callable[[str], str], tmp_path
):
    url = fresh_database("concurrent_migrate")
    runs = [_migrate(url, str(tmp_path / f"instance{n}")) for n in range(RUNS)]
    outputs = [run.communicate(timeout=180)[0] for run in runs]
    assert [run.returncode for run in runs] == [0] * RUNS, "\n".join(outputs)
    first_steps = [out for out in outputs if "Running upgrade  -> cca2d605058e" in out]
    assert len(first_steps) == 1, "\n".join(outputs)  # the others found nothing to do
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    engine.dispose()
    assert len(versions) == 1
