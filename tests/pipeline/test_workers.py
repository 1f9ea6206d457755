"""Pool workers end with the process that started them."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import psutil

SCRIPT = """
import os, time
from helpers.workers import process_pool

if __name__ == "__main__":
    pool = process_pool(2)
    pids = {pool.submit(os.getpid).result() for _ in range(4)}
    print(" ".join(map(str, pids)), flush=True)
    time.sleep(120)
"""


def dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_workers_exit_when_their_parent_is_killed(tmp_path):
    script = tmp_path / "pool.py"
    script.write_text(SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert workers and all(not dead(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(dead(pid) for pid in workers):
            time.sleep(0.2)
        assert all(dead(pid) for pid in workers)
    finally:
        for pid in [parent.pid, *locals().get("workers", [])]:
            try:
                psutil.Process(pid).kill()
            except psutil.NoSuchProcess:
                pass
