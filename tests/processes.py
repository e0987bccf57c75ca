"""This interpreter in a process of its own, in the project's folder, for what only a fresh
process shows (settings read at start-up, a role connecting, a command's exit status)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def python(*args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """``python manage.py …`` or ``python -c …`` with exactly the environment ``env``."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
