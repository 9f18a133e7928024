"""`verifiers serve` and `verifiers score`.

A mistake in what the user gave us (a missing or malformed file, a bad configuration, a line that
is not a valid item) is one line on stderr, `verifiers: WHAT`, and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import sys
import time
import tomllib
import warnings
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from verifiers.engine import Engine
from verifiers.errors import BadInput, SettingRenamed
from verifiers.sample import Sample
from verifiers.schemas import ScoreItem
from verifiers.settings import Settings
from verifiers.verdict import Status

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
        return asyncio.run(score_command(settings, args.input, _lines(args.input), args.output, args.chunk))
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


async def score_command(settings: Settings, src: Path, lines: list[tuple[int, str]], dst: Path, chunk: int) -> int:
    """Score the items of `lines` (from `src`) into `dst`. Every line is checked first, so a bad one
    is reported (exit 2) before anything is scored or written, rather than after hours of scoring."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(stderr=True)
    tally: Counter[tuple[str, str]] = Counter()
    rewards: dict[str, list[float]] = {}
    started = time.perf_counter()
    async with Engine(settings) as engine:
        samples = [_sample(engine, src, n, line) for n, line in lines]
        try:
            out = dst.open("wb")
        except OSError as exc:
            raise UsageError(f"cannot write {dst}: {exc}") from None
        with (
            out,
            Progress(
                TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
            ) as progress,
        ):
            bar = progress.add_task("score", total=len(samples))
            for start in range(0, len(samples), chunk):
                batch = samples[start : start + chunk]
                for sample, verdict in zip(batch, await engine.score(batch), strict=True):
                    out.write(orjson.dumps(verdict.to_wire(), default=str) + b"\n")
                    tally[(sample.domain, verdict.status.value)] += 1
                    rewards.setdefault(sample.domain, []).append(verdict.reward)
                progress.advance(bar, len(batch))
    console.print(_summary(tally, rewards, time.perf_counter() - started))
    return 0


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


def _summary(tally: Counter[tuple[str, str]], rewards: dict[str, list[float]], elapsed: float) -> Table:
    table = Table(title=f"{sum(tally.values())} items in {elapsed:.1f} s")
    table.add_column("domain")
    for s in Status:
        table.add_column(s.value, justify="right")
    table.add_column("mean reward", justify="right")
    for domain in sorted(rewards):
        values = rewards[domain]
        table.add_row(domain, *(str(tally[(domain, s.value)]) for s in Status), f"{sum(values) / len(values):.3f}")
    return table


if __name__ == "__main__":
    sys.exit(main())
