"""Durable trial results: an embedded SQLite database in the output directory.

One row per (experiment, point, scheme, trial), written by the parent process as each trial
finishes, in its own transaction.  WAL journal: a killed process loses only uncommitted work
(the trials in flight); readers (``load_results``) never block the writer.  The schema is
documented in ``docs/experiments.md``.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from os import PathLike
from pathlib import Path
from typing import Any

__all__ = ["DB_NAME", "ResultStore", "TrialRow", "SpecMismatchError"]

#: File name of the database inside the output directory.
DB_NAME = "results.sqlite"

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS experiments (
    name        TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,   -- SweepSpec.fingerprint(): scenario, grid, options, seed
    spec        TEXT NOT NULL,   -- SweepSpec.to_dict() as JSON (latest trials / schemes)
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS trials (
    experiment   TEXT    NOT NULL REFERENCES experiments(name),
    point        INTEGER NOT NULL,  -- index in SweepSpec.points()
    scheme       TEXT    NOT NULL,
    trial        INTEGER NOT NULL,
    inputs       TEXT    NOT NULL,  -- JSON: the point's parameters and runner options
    seed_entropy TEXT    NOT NULL,  -- root seed (decimal string: may exceed 64 bits)
    spawn_key    TEXT    NOT NULL,  -- JSON [point, trial]: SeedSequence(entropy, spawn_key)
    status       TEXT    NOT NULL CHECK (status IN ('ok', 'infeasible', 'error')),
    outputs      TEXT,              -- JSON dict of the runner's metrics (NULL on error)
    error        TEXT,              -- traceback when status = 'error'
    wall_time_s  REAL,              -- wall time of the scheme runner call [s]
    finished_at  TEXT    NOT NULL,  -- UTC ISO 8601
    host         TEXT,              -- hostname:pid of the worker
    PRIMARY KEY (experiment, point, scheme, trial)
);
"""


class SpecMismatchError(ValueError):
    """The output directory already holds an experiment of that name with other inputs."""


@dataclass(frozen=True)
class TrialRow:
    """One finished (point, scheme, trial)."""

    experiment: str
    point: int
    scheme: str
    trial: int
    inputs: Mapping[str, Any]
    seed_entropy: int
    spawn_key: tuple[int, ...]
    status: str
    outputs: Mapping[str, Any] | None
    error: str | None
    wall_time_s: float | None
    host: str | None


def _out_dir(out_dir: Any) -> Path:
    """``out_dir`` (a non-empty string or path-like) as a Path."""
    if isinstance(out_dir, str) and out_dir or isinstance(out_dir, PathLike):
        return Path(out_dir)
    raise ValueError(f"out_dir: must be a directory path, got {out_dir!r}")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _dumps(value: Any) -> str:
    # NaN / inf are kept (Python's json writes and reads them back); keys sorted for stable text
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class ResultStore:
    """The results database of one output directory.

    Parameters
    ----------
    out_dir : path
        Directory (created if missing); the database is ``out_dir / "results.sqlite"``.
    readonly : bool
        Open an existing database for reading only.
    """

    def __init__(self, out_dir: str | PathLike[str], *, readonly: bool = False) -> None:
        self.out_dir = _out_dir(out_dir)
        if not isinstance(readonly, bool):
            raise ValueError(f"readonly: must be a bool, got {readonly!r}")
        self.path = self.out_dir / DB_NAME
        if readonly:
            if not self.path.exists():
                raise ValueError(f"out_dir: no results database at {self.path}")
            self._conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30.0)
        else:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=30.0)
            # WAL: each commit is one append to the log, readers do not block the writer.
            # synchronous=NORMAL keeps every committed trial through a killed process (the log
            # is in the OS cache); only a power cut can drop the last commits, never corrupt.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            with self._conn:
                self._conn.executescript(_SCHEMA)
                self._conn.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)",
                                   (str(SCHEMA_VERSION),))
        version = self._conn.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if version is None or int(version[0]) != SCHEMA_VERSION:
            raise ValueError(f"{self.path}: unsupported results schema version "
                             f"{None if version is None else version[0]}")

    # ------------------------------------------------------------------ context
    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ experiments
    def register_experiment(self, name: str, fingerprint: str, spec: Mapping[str, Any]) -> None:
        """Record an experiment, or check that the one already stored has the same fingerprint
        (raises :class:`SpecMismatchError` otherwise) and update its stored spec."""
        now = _now()
        with self._conn:
            row = self._conn.execute("SELECT fingerprint FROM experiments WHERE name = ?",
                                     (name,)).fetchone()
            if row is None:
                self._conn.execute("INSERT INTO experiments VALUES (?, ?, ?, ?, ?)",
                                   (name, fingerprint, _dumps(spec), now, now))
            elif row[0] != fingerprint:
                raise SpecMismatchError(
                    f"experiment {name!r} in {self.out_dir} was run with another scenario, grid, "
                    "options or seed; its stored trials would not match: use another experiment "
                    "name or output directory")
            else:
                self._conn.execute("UPDATE experiments SET spec = ?, updated_at = ? WHERE name = ?",
                                   (_dumps(spec), now, name))

    def experiments(self) -> dict[str, dict[str, Any]]:
        """Stored spec (``SweepSpec.to_dict()``) of every experiment, by name."""
        return {name: json.loads(spec) for name, spec in
                self._conn.execute("SELECT name, spec FROM experiments ORDER BY name")}

    # ------------------------------------------------------------------ trials
    def finished(self, experiment: str, *, include_errors: bool = True
                 ) -> set[tuple[int, str, int]]:
        """Keys (point, scheme, trial) already stored for ``experiment`` (rows with status
        'error' only when ``include_errors``)."""
        sql = "SELECT point, scheme, trial FROM trials WHERE experiment = ?"
        if not include_errors:
            sql += " AND status != 'error'"
        return {(p, s, t) for p, s, t in self._conn.execute(sql, (experiment,))}

    def commit(self, rows: Iterable[TrialRow]) -> None:
        """Store the rows of one finished trial in one transaction (replacing a stored 'error'
        row of the same key when the trial was retried)."""
        now = _now()
        values = [(r.experiment, r.point, r.scheme, r.trial, _dumps(r.inputs),
                   str(r.seed_entropy), _dumps(list(r.spawn_key)), r.status,
                   None if r.outputs is None else _dumps(r.outputs), r.error,
                   None if r.wall_time_s is None or not math.isfinite(r.wall_time_s) else r.wall_time_s,
                   now, r.host) for r in rows]
        with self._conn:
            self._conn.executemany(
                "INSERT OR REPLACE INTO trials (experiment, point, scheme, trial, inputs, "
                "seed_entropy, spawn_key, status, outputs, error, wall_time_s, finished_at, host) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)

    def fetch(self, experiment: str | None = None) -> list[dict[str, Any]]:
        """Every stored row (of one experiment), JSON columns decoded, in key order."""
        sql = ("SELECT experiment, point, scheme, trial, inputs, seed_entropy, spawn_key, status, "
               "outputs, error, wall_time_s, finished_at, host FROM trials")
        args: tuple[Any, ...] = ()
        if experiment is not None:
            sql += " WHERE experiment = ?"
            args = (experiment,)
        sql += " ORDER BY experiment, point, scheme, trial"
        out = []
        for (exp, point, scheme, trial, inputs, entropy, key, status, outputs, error, runtime,
             finished, host) in self._conn.execute(sql, args):
            out.append({"experiment": exp, "point": point, "scheme": scheme, "trial": trial,
                        "inputs": json.loads(inputs), "seed_entropy": int(entropy),
                        "spawn_key": tuple(json.loads(key)), "status": status,
                        "outputs": None if outputs is None else json.loads(outputs),
                        "error": error, "wall_time_s": runtime, "finished_at": finished,
                        "host": host})
        return out

    def count(self, experiment: str | None = None) -> int:
        if experiment is None:
            return self._conn.execute("SELECT COUNT(*) FROM trials").fetchone()[0]
        return self._conn.execute("SELECT COUNT(*) FROM trials WHERE experiment = ?",
                                  (experiment,)).fetchone()[0]
