"""`verifiers serve` and `verifiers score`.

A mistake in what the user gave us (a missing or malformed file, a bad configuration, a line that
is not a valid item) is one line on stderr, `verifiers: WHAT`, and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import logging
import math
import os
import sys
import time
import tomllib
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import orjson
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from verifiers.engine import Engine
from verifiers.errors import BadInput, SettingRenamed
from verifiers.report import Report
from verifiers.sample import Sample
from verifiers.schemas import ScoreItem
from verifiers.settings import Settings
from verifiers.stats import Window
from verifiers.verdict import Status, Verdict

EXIT_USAGE = 2


class UsageError(Exception):
    """Something the user gave us is unusable; the message says what, in one line."""


def main(argv: list[str] | None = None) -> int:
    # Python shows a DeprecationWarning only when __main__ raises it; a renamed setting must be seen.
    warnings.filterwarnings("default", category=SettingRenamed)
    parser = argparse.ArgumentParser(prog="verifiers", description="Cascade Verifiers reward service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--config", type=Path, help="YAML/TOML/JSON settings file")
    serve.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run the pools (workers, sandbox runners) as actors on this Ray cluster (HOST:PORT or auto)",
    )

    score = sub.add_parser("score", help="score a JSONL of native items offline")
    score.add_argument("input", type=Path, help="JSONL, one /score item per line (blank lines are skipped)")
    score.add_argument("-o", "--output", type=Path, required=True, help="JSONL of results, same order")
    score.add_argument("--config", type=Path, help="YAML/TOML/JSON settings file")
    score.add_argument("--chunk", type=int, default=512, help="items in flight at once")
    score.add_argument("--report", type=Path, help="also write a self-contained HTML report here (docs/status.md)")

    args = parser.parse_args(argv)
    flags = (
        (("server.host", args.host), ("server.port", args.port), ("ray.address", args.ray))
        if args.command == "serve"
        else ()
    )
    try:
        settings = _settings(args.config, {k: v for k, v in flags if v is not None})
        if args.command == "serve":
            return serve_command(settings)
        return asyncio.run(
            score_command(settings, args.input, _lines(args.input), args.output, args.chunk, args.report)
        )
    except UsageError as exc:
        print(f"verifiers: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_USAGE


def _settings(config: Path | None, overrides: dict[str, Any]) -> Settings:
    try:
        return Settings.load(config, **overrides)
    except ValidationError as exc:  # a configuration mistake, not a crash: say what, not where in our code
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"invalid configuration: {problems}") from None
    except (OSError, ValueError, yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read the configuration file {config}: {exc}") from None


def serve_command(settings: Settings) -> int:
    import uvicorn

    from verifiers.server import create_app

    logging.basicConfig(
        level=settings.server.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    uvicorn.run(
        create_app(settings),
        host=settings.server.host,
        port=settings.server.port,
        backlog=settings.server.backlog,
        log_level=settings.server.log_level,
        access_log=False,  # thousands of requests per second; /metrics has the counts
        timeout_graceful_shutdown=math.ceil(settings.server.shutdown_grace_s),  # uvicorn takes whole seconds
    )
    return 0


def _lines(src: Path) -> list[tuple[int, str]]:
    """(line number, line) of every non-blank line of `src`."""
    try:
        text = src.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {src}: {exc}") from None
    return [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


async def score_command(
    settings: Settings,
    src: Path,
    lines: list[tuple[int, str]],
    dst: Path,
    chunk: int,
    report_path: Path | None = None,
) -> int:
    """Score the items of `lines` (from `src`) into `dst`, and the report into `report_path` if given.
    Every line is checked and both outputs are opened first, so a bad line or an unwritable path is
    reported (exit 2) before anything is scored, rather than after hours of scoring."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(stderr=True)
    for path in (dst, report_path):
        if path is not None:
            _check_writable(path)
    report = Report(src, settings.health)
    started = time.perf_counter()
    with contextlib.ExitStack() as outputs:
        async with Engine(settings) as engine:
            samples = [(n, _sample(engine, src, n, line)) for n, line in lines]
            out = outputs.enter_context(_create(dst, "wb"))
            report_out = outputs.enter_context(_create(report_path, "w")) if report_path is not None else None
            with Progress(
                TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
            ) as progress:
                bar = progress.add_task("score", total=len(samples))
                for start in range(0, len(samples), chunk):
                    batch = samples[start : start + chunk]
                    scored = await asyncio.gather(*(_timed(engine, sample) for _, sample in batch))
                    for (lineno, sample), (verdict, elapsed) in zip(batch, scored, strict=True):
                        out.write(orjson.dumps(verdict.to_wire(), default=str) + b"\n")
                        report.add(lineno, sample.domain, verdict, elapsed, sample.response)
                    progress.advance(bar, len(batch))
        elapsed_total = time.perf_counter() - started
        console.print(_summary(report.windows, elapsed_total))
        if report_out is not None:
            report_out.write(report.html(elapsed_total))
            console.print(f"report: {report_path}")
    return 0


def _check_writable(path: Path) -> None:
    """UsageError if `path` cannot be created or written, checked before the engine starts: its pools
    take seconds to start and log as they do, and the error must be the one line the user sees. The
    file itself is created only once every input line is known to be good (`_create`)."""
    parent = path.parent
    if not parent.is_dir():
        problem = OSError(errno.ENOENT, os.strerror(errno.ENOENT), str(path))
    elif not os.access(path if path.exists() else parent, os.W_OK):
        problem = OSError(errno.EACCES, os.strerror(errno.EACCES), str(path))
    else:
        return
    raise UsageError(f"cannot write {path}: {problem}")


def _create(path: Path, mode: str) -> IO[Any]:
    """`path` opened for writing; UsageError if it cannot be."""
    try:
        return path.open(mode, encoding=None if "b" in mode else "utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc}") from None


async def _timed(engine: Engine, sample: Sample[Any]) -> tuple[Verdict, float]:
    """A sample's verdict and the seconds from its submission to its verdict."""
    started = time.perf_counter()
    (verdict,) = await engine.score([sample])
    return verdict, time.perf_counter() - started


def _sample(engine: Engine, src: Path, lineno: int, line: str) -> Sample[Any]:
    """The sample of one line; UsageError naming the file and line if it is not a valid item."""
    where = f"{src}:{lineno}"
    try:
        raw = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise UsageError(f"{where}: not valid JSON: {exc}") from None
    try:
        item = ScoreItem.model_validate(raw)
        return engine.sample(item.domain, item.response, item.label, prompt=item.prompt, group_id=item.group_id)
    except ValidationError as exc:
        raise UsageError(f"{where}: {_first_problem(exc.errors())}") from None
    except BadInput as exc:
        raise UsageError(f"{where}: {exc}") from None


def _first_problem(errors: Sequence[Any]) -> str:
    first = errors[0]
    field = ".".join(map(str, first["loc"])) or "item"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{field}: {first['msg']}{more}"


def _summary(windows: dict[str, Window], elapsed: float) -> Table:
    table = Table(title=f"{sum(w.samples for w in windows.values())} items in {elapsed:.1f} s")
    table.add_column("domain")
    for s in Status:
        table.add_column(s.value, justify="right")
    table.add_column("mean reward (unmasked)", justify="right")
    for domain, w in windows.items():
        mean = f"{sum(w.rewards) / len(w.rewards):.3f}" if w.rewards else "-"
        table.add_row(domain, *(str(w.statuses[s.value]) for s in Status), mean)
    return table


if __name__ == "__main__":
    sys.exit(main())
