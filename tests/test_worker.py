"""`koyalite worker` stops on SIGTERM whenever it comes, leaving no process."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from tests.conftest import KOYALITE, new_project, project_env


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("after", [0.5, 1.5, 3.0, 6.0])
def test_sigterm_during_or_after_start_up_stops_every_process(tmp_path, after):
    project = new_project(tmp_path)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [KOYALITE, "worker"], cwd=project, env=project_env(project),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        time.sleep(after)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _group_alive(worker.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _group_alive(worker.pid), log.read_text()
    finally:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        worker.wait(timeout=10)
    assert "Traceback" not in log.read_text()
