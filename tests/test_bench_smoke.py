"""The benchmark scripts still run (tiny sizes): they are how targets are checked."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_adapter_benchmark_runs():
    out = _run("bench/adapters.py", "--messages", "5")
    assert "discord_p99_ms=" in out.splitlines()[-1]


@pytest.mark.skipif(not (SHARED / "chat").is_dir(), reason="shared evaluation data not present")
def test_the_pipeline_benchmark_runs():
    out = _run("bench/pipeline.py", "--messages", "300")
    assert out.splitlines()[-1].startswith("msgs_per_s=")
