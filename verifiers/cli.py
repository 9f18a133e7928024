"""`verifiers serve` and `verifiers score`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from verifiers.engine import Engine, LabelError, UnknownDomain
from verifiers.sample import Sample
from verifiers.settings import Settings
from verifiers.verdict import Status, Verdict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="verifiers", description="Cascade Verifiers reward service")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument("--config", type=Path, help="YAML/TOML/JSON settings file")
    serve.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="run the math workers and sandbox runners as actors on this Ray cluster (HOST:PORT or auto)",
    )

    score = sub.add_parser("score", help="score a JSONL of native items offline")
    score.add_argument("input", type=Path, help="JSONL, one /score item per line")
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
        settings = Settings.load(args.config, **{k: v for k, v in flags if v is not None})
    except ValidationError as exc:  # a configuration mistake, not a crash: say what, not where in our code
        problems = "\n".join(f"  {'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        print(f"verifiers: invalid configuration\n{problems}", file=sys.stderr)
        return 2
    if args.command == "serve":
        return serve_command(settings)
    return asyncio.run(score_command(settings, args.input, args.output, args.chunk))


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
        timeout_graceful_shutdown=settings.server.shutdown_grace_s,
    )
    return 0


async def score_command(settings: Settings, src: Path, dst: Path, chunk: int) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    console = Console(stderr=True)
    lines = src.read_text().splitlines()
    tally: Counter[tuple[str, str]] = Counter()
    rewards: dict[str, list[float]] = {}
    started = time.perf_counter()
    async with Engine(settings) as engine:
        with (
            dst.open("wb") as out,
            Progress(
                TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
            ) as progress,
        ):
            bar = progress.add_task("score", total=len(lines))
            for start in range(0, len(lines), chunk):
                batch = lines[start : start + chunk]
                parsed = [_parse_line(engine, line, start + i + 1) for i, line in enumerate(batch)]
                scored = iter(await engine.score([item for _, item in parsed if isinstance(item, Sample)]))
                for domain, item in parsed:
                    verdict = item if isinstance(item, Verdict) else next(scored)
                    out.write(orjson.dumps(verdict.to_wire(), default=str) + b"\n")
                    tally[(domain, verdict.status.value)] += 1
                    rewards.setdefault(domain, []).append(verdict.reward)
                progress.advance(bar, len(batch))
    console.print(_summary(tally, rewards, time.perf_counter() - started))
    return 0


def _parse_line(engine: Engine, line: str, lineno: int) -> tuple[str, Sample[Any] | Verdict]:
    """A line that cannot become a sample becomes an `error` verdict: one bad row loses nothing else."""
    domain = "?"
    try:
        raw = orjson.loads(line)
        domain = str(raw["domain"])
        label = engine.parse_label(domain, raw.get("label"))
        return domain, Sample(domain, raw["response"], label, prompt=raw.get("prompt"), group_id=raw.get("group_id"))
    except (orjson.JSONDecodeError, KeyError, TypeError, LabelError, UnknownDomain) as exc:
        return domain, Verdict.failed(Status.ERROR, f"line {lineno}: {type(exc).__name__}: {exc}")


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
