"""gunicorn servers for the load benchmarks, all started with the same settings.

Every server reads ``gunicorn.conf.py``, the file docs/betrieb.md recommends for production
(sync workers, one per core, the app preloaded in the master); only the address and the error log differ. So a
ratio compares applications, not server settings.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CONFIG = ROOT / "gunicorn.conf.py"


def configured_workers() -> int:
    """How many workers gunicorn.conf.py starts on this machine."""
    settings: dict = {}
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), settings)  # noqa: S102 - our own config file
    return int(settings["workers"])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: its master process and the address it listens on."""

    name: str
    app: str
    env: dict[str, str]
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str, timeout: float = 60.0) -> Server:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(CONFIG),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--error-logfile",
            str(self.log_path),
            self.app,
        ]
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn ended at start, see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + ready_path, timeout=5) as response:  # noqa: S310 - loopback
                    response.read()
                # Every worker must be up before we measure, not only the first to answer.
                if len(self.worker_pids()) >= configured_workers():
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name}: not ready after {timeout:.0f} s, see {self.log_path}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
