"""What every benchmark suite gets: the settings of this run, the databases, a log line helper."""

from __future__ import annotations

import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.databases import Databases
from bench.wrk import LoadSettings

SIGNING_FOLDER = "keys"


@dataclass
class Settings:
    quick: bool = False
    load: LoadSettings = field(default_factory=LoadSettings)
    kinds: tuple[str, ...] = ("sqlite", "postgresql")
    sizes: tuple[int, ...] = (33, 1000, 10000)
    issue_sizes: tuple[int, ...] = (33, 1000)
    memory_sizes: tuple[int, int] = (100, 1000)
    load_certificates: int = 1000
    timing_runs: int = 7  # per scale figure and size; the median counts
    suites: tuple[str, ...] = ("load", "scale", "issuing", "memory", "mail", "credentials")

    @classmethod
    def smoke(cls) -> Settings:
        """Seconds, not minutes: proves the harness while others use the machine."""
        return cls(
            quick=True,
            load=LoadSettings(seconds=3, warmup_seconds=1, repeat=1),
            sizes=(33, 1000),
            issue_sizes=(33, 100),
            memory_sizes=(20, 100),
            load_certificates=100,
            timing_runs=3,
        )


@dataclass
class Context:
    settings: Settings
    databases: Databases
    work: Path
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(36))
    started: float = field(default_factory=time.monotonic)

    @property
    def signing_key_dir(self) -> Path:
        path = self.work / SIGNING_FOLDER
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return path

    def log(self, message: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)
