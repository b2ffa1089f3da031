"""Model copies (``scoring.copies``): a copy lives exactly as long as the process that made it.

Real processes, real locks: a child Python makes a copy in a temporary root of the test's own and
then exits normally, is killed with SIGKILL, or stays alive while the parent sweeps.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ticketbuddy.scoring import copies

MAKE_COPY = """
import sys, time
from pathlib import Path
from ticketbuddy.scoring import copies
folder = copies.new_copy_folder(Path(sys.argv[1]))
(folder / "model").mkdir()
(folder / "model" / "weights.bin").write_bytes(b"x" * 1000)
print(folder, flush=True)
if sys.argv[2] == "wait":
    time.sleep(60)
"""


def child(root: Path, mode: str) -> tuple[subprocess.Popen[str], Path]:
    """A Python process that makes one copy in ``root``; it exits at once or waits (``mode``)."""
    proc = subprocess.Popen(
        [sys.executable, "-c", MAKE_COPY, str(root), mode], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    return proc, Path(proc.stdout.readline().strip())


def age(folder: Path, seconds: float) -> None:
    """Make ``folder`` look ``seconds`` old, past the grace for copies being made."""
    then = time.time() - seconds
    os.utime(folder, (then, then))


def test_a_copy_is_removed_when_its_process_exits_normally(tmp_path):
    proc, folder = child(tmp_path, "exit")
    assert proc.wait(timeout=60) == 0
    assert folder.name.startswith(copies.PREFIX) and not folder.exists()


def test_a_killed_process_copy_is_swept_by_the_next_load_and_a_live_one_is_not(tmp_path):
    alive, kept = child(tmp_path, "wait")
    killed, left = child(tmp_path, "wait")
    try:
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        age(left, 2 * copies.GRACE_SECONDS)
        age(kept, 2 * copies.GRACE_SECONDS)
        assert left.exists(), "a SIGKILLed process runs no clean-up of its own"
        ours = copies.new_copy_folder(tmp_path)
        assert not left.exists() and kept.exists() and (kept / "model" / "weights.bin").exists()
        copies.remove(ours)
        assert sorted(p.name for p in tmp_path.iterdir()) == [kept.name]
    finally:
        alive.kill()
        alive.wait(timeout=30)


def test_a_young_unlocked_copy_may_be_half_made_and_is_left_alone(tmp_path):
    making = tmp_path / f"{copies.PREFIX}halfmade"
    making.mkdir()
    assert copies.sweep(tmp_path) == 0 and making.exists()
    age(making, 2 * copies.GRACE_SECONDS)
    assert copies.sweep(tmp_path) == 1 and not making.exists()


def test_sweep_leaves_other_folders_and_this_process_own_copies_alone(tmp_path):
    other = tmp_path / "someone-else"
    other.mkdir()
    ours = copies.new_copy_folder(tmp_path)
    age(ours, 2 * copies.GRACE_SECONDS)
    assert copies.sweep(tmp_path) == 0 and ours.exists() and other.exists()
    copies.remove(ours)
    assert not ours.exists()
