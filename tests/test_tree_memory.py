"""bench/tree_memory.py: the PSS of a whole process tree, as python -m bench reports it."""

from __future__ import annotations

import subprocess
import sys
import time

from bench.tree_memory import TreePss, descendants, tree_pss_kb

# A parent and the child it forks each hold 60 MB of their own, then wait to be measured.
TREE = """
import os, sys, time
mine = bytearray(os.urandom(1 << 20) * 60)
if os.fork() == 0:
    theirs = bytearray(os.urandom(1 << 20) * 60)
    print("ready", flush=True)
    time.sleep(3)
    os._exit(0)
time.sleep(0.5)
os.wait()
"""


def test_the_tree_s_pss_counts_every_process_once():
    process = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "ready"
        members = descendants(process.pid)
        assert len(members) == 2 and members[0] == process.pid
        sampler = TreePss(process.pid, interval=0.05).start()
        time.sleep(0.3)
        total = tree_pss_kb(process.pid) / 1024
        peak = sampler.stop()
        # Both private 60 MB blocks count, the shared interpreter pages once.
        assert 120 <= total < 200, total
        assert 120 <= peak < 200 and sampler.samples >= 2, peak
    finally:
        process.wait(timeout=10)
    assert tree_pss_kb(process.pid) == 0  # gone: nothing to count
