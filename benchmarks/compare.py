"""
Raw Twisted against the Ti layer, interleaved in one run, with the ratio Ti/raw.

Run it from the repository root (needs gcc, taskset and the project installed)::

    python benchmarks/compare.py              # 5 rounds, about 6 minutes
    python benchmarks/compare.py --quick      # 1 round, smaller workloads
    python benchmarks/compare.py --rounds 3 --pin split --json out.json

Each round runs every server once per workload through the vendored harness
(C{benchmarks/harness/run.sh}, which starts a fresh server per run and drives
it with C{loadgen}), so slow drift of a shared machine spreads over all the
servers alike. The table gives, per workload, the median over the rounds with
min-max, and the ratio of the medians Ti/raw; beside it the server's CPU time
per unit of work (per GB, per round trip, per connection, from the harness's
clock-tick readings), which other load on a shared machine disturbs less than
throughput. Then the in-process layer costs (L{bench_layer}) and the
Buffer/Codec micro-benchmarks (L{bench_codec}) run and print their own tables.

Servers (C{benchmarks/servers/}):

  - C{raw-twisted}: the harness's raw Twisted Protocol server (the floor).
  - C{ti}: C{ti_server.py}, the Ti API: C{listen()}, C{accept()} re-armed in
    C{accepted}, C{Ti.Stream.pump(sock, handler, 65536, True)}, C{sock.write}.
  - C{ti-chunk1k}: the same with C{maxChunkSize} 1024 (bulk only).
  - C{ti-stream}: echo with C{Ti.Stream.write} returning its Deferred (echo only).
  - C{floor}: C{floor_server.py}, not a Ti-API server but C{bench_floor.py}'s
    floor, the least Python work the API's behaviour needs on Twisted (conns
    only): how far up that workload any implementation of the API could get.

Workloads: bulk (1 GB in 64 KiB writes, counted by the server), echo (20000
round trips of 64 B), conns (5000 connections, 200 concurrent, 64 B echoed
each), hold (5000 idle connections held; server RSS per connection).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
HARNESS = os.path.join(HERE, "harness")
RUN_SH = os.path.join(HARNESS, "run.sh")


@dataclass(frozen=True)
class Server:
    """One server command and the workloads it runs."""

    name: str
    command: str
    workloads: tuple[str, ...]


@dataclass(frozen=True)
class Row:
    """One line of the table: a Ti server's workload against raw Twisted's."""

    label: str
    workload: str
    metric: str
    server: str
    higherIsBetter: bool
    target: str


METRICS = {"bulk": "mb_s", "echo": "rt_s", "conns": "conn_s", "hold": "per_conn_b"}
#: Server CPU time per unit of work (the harness's clock-tick measurement): less
#: sensitive than throughput to other load on a shared machine.
COSTS = {"bulk": "srv_s_per_gb", "echo": "srv_us_per_rt", "conns": "srv_us_per_conn"}

ROWS = [
    Row("bulk MB/s, pump 65536", "bulk", "mb_s", "ti", True, ">= 0.90"),
    Row("bulk MB/s, pump 1024", "bulk", "mb_s", "ti-chunk1k", True, "reported"),
    Row("echo rt/s 64 B, sock.write", "echo", "rt_s", "ti", True, ">= 0.85"),
    Row("echo rt/s 64 B, Ti.Stream.write", "echo", "rt_s", "ti-stream", True, "reported"),
    Row("accepted conns/s", "conns", "conn_s", "ti", True, ">= 0.85"),
    Row("accepted conns/s, the floor", "conns", "conn_s", "floor", True, "reported"),
    Row("bytes per idle conn", "hold", "per_conn_b", "ti", False, "<= 2.0"),
]


def servers(python: str) -> list[Server]:
    """The servers, as commands run from the harness directory."""
    ti = f"{python} ../servers/ti_server.py {{port}}"
    return [
        Server(
            "raw-twisted",
            f"{python} ../servers/twisted_raw.py {{port}}",
            ("bulk", "echo", "conns", "hold"),
        ),
        Server("ti", ti, ("bulk", "echo", "conns", "hold")),
        Server("ti-chunk1k", f"{ti} --chunk=1024", ("bulk",)),
        Server("ti-stream", f"{ti} --idiom=stream", ("echo",)),
        Server("floor", f"{python} ../servers/floor_server.py {{port}}", ("conns",)),
    ]


def _sizes(quick: bool) -> list[str]:
    if quick:
        return [
            "--bulk-bytes",
            "256m",
            "--echo-msgs",
            "5000",
            "--conns-n",
            "2000",
            "--hold-n",
            "2000",
            "--hold-secs",
            "2",
        ]
    return []


def _pin(mode: str) -> list[str]:
    if mode == "same":
        return ["--server-cpu", "1", "--client-cpu", "1"]
    if mode == "split":
        return ["--server-cpu", "1", "--client-cpu", "0"]
    return []


def _parse(line: str) -> dict[str, str]:
    return dict(tok.split("=", 1) for tok in line.split() if "=" in tok)


def load(out: str) -> dict[tuple[str, str, str], list[float]]:
    """Every ok run's metrics, by (server, workload, metric), from the harness's raw logs."""
    values: dict[tuple[str, str, str], list[float]] = {}
    for name in sorted(os.listdir(out)):
        if not name.endswith(".raw.log"):
            continue
        with open(os.path.join(out, name)) as f:
            for line in f:
                if not line.startswith("name="):
                    continue
                d = _parse(line)
                workload = d.get("workload", "")
                if d.get("ok") != "1" or workload not in METRICS:
                    continue
                for metric in (METRICS[workload], COSTS.get(workload)):
                    if metric is not None and metric in d:
                        key = (d["name"], workload, metric)
                        values.setdefault(key, []).append(float(d[metric]))
    return values


def _stats(vals: list[float]) -> dict[str, Any] | None:
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def summarize(values: dict[tuple[str, str, str], list[float]]) -> list[dict[str, Any]]:
    """
    The table as data: per row, raw and Ti medians, min, max, runs, the ratio of
    the medians Ti/raw, and the server CPU per unit of work of each with its ratio.
    """
    rows = []
    for row in ROWS:
        entry: dict[str, Any] = {
            "label": row.label,
            "server": row.server,
            "workload": row.workload,
            "metric": row.metric,
            "target": row.target,
        }
        for key, name in (("raw", "raw-twisted"), ("ti", row.server)):
            entry[key] = _stats(values.get((name, row.workload, row.metric), []))
        entry["ratio"] = (
            entry["ti"]["median"] / entry["raw"]["median"] if entry["raw"] and entry["ti"] else None
        )
        cost = COSTS.get(row.workload)
        entry["costMetric"] = cost
        for key, name in (("rawCost", "raw-twisted"), ("tiCost", row.server)):
            entry[key] = _stats(values.get((name, row.workload, cost), [])) if cost else None
        entry["costRatio"] = (
            entry["tiCost"]["median"] / entry["rawCost"]["median"]
            if entry["rawCost"] and entry["tiCost"] and entry["rawCost"]["median"]
            else None
        )
        rows.append(entry)
    return rows


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"


def _cell(stats: dict[str, Any] | None) -> str:
    if stats is None:
        return "-"
    return f"{_fmt(stats['median'])} ({_fmt(stats['min'])}-{_fmt(stats['max'])})"


def formatTable(rows: Sequence[dict[str, Any]]) -> str:
    """The comparison as a Markdown table."""
    lines = [
        "| workload | raw Twisted median (min-max) | Ti median (min-max) | Ti/raw | target "
        "| server CPU per unit, raw / Ti (Ti/raw) | runs |",
        "|---|---|---|---|---|---|---|",
    ]
    units = {"srv_s_per_gb": "s/GB", "srv_us_per_rt": "us/rt", "srv_us_per_conn": "us/conn"}
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        n = max((r[k]["n"] for k in ("raw", "ti") if r[k]), default=0)
        cost = "-"
        if r["costRatio"] is not None:
            unit = units.get(r["costMetric"], "")
            cost = (
                f"{r['rawCost']['median']:.3g} / {r['tiCost']['median']:.3g} {unit} "
                f"({r['costRatio']:.2f})"
            )
        lines.append(
            f"| {r['label']} | {_cell(r['raw'])} | {_cell(r['ti'])} | {ratio} "
            f"| {r['target']} | {cost} | {n} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, str]:
    """nproc, CPU model, Python and Twisted versions."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import twisted

    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": sys.version.split()[0],
        "twisted": twisted.__version__,
    }


def runRounds(args: argparse.Namespace, out: str) -> None:
    """Run every server once per workload, round after round."""
    python = sys.executable
    extra = _sizes(args.quick) + _pin(args.pin)
    env = dict(os.environ)
    env.setdefault("BENCH_BUILD", os.path.join(tempfile.gettempdir(), "tisocket-bench-build"))
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (os.path.dirname(HERE), env.get("PYTHONPATH", "")) if p
    )
    workloads = [w for w in args.workloads.split(",") if w]
    chosen = [s for s in servers(python) if args.servers is None or s.name in args.servers]
    for r in range(1, args.rounds + 1):
        for w in workloads:
            for s in chosen:
                if w not in s.workloads:
                    continue
                print(f"round {r}/{args.rounds}: {s.name} {w}", file=sys.stderr, flush=True)
                subprocess.run(
                    [
                        RUN_SH,
                        "--name",
                        s.name,
                        "--server",
                        s.command,
                        "--workloads",
                        w,
                        "--runs",
                        "1",
                        "--first-run",
                        str(r),
                        "--out",
                        out,
                        *extra,
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    check=False,
                    timeout=900,
                )


def runInProcess(moduleName: str, repeat: int, title: str) -> list[dict[str, Any]]:
    """Run an in-process benchmark script's rows, print its table under C{title}; its data."""
    module = importlib.import_module(moduleName)
    results = module.runBenchmarks(repeat=repeat)
    print(f"\n## {title}\n")
    print(module.formatTable(results))
    return [r.asDict() for r in results]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the comparison and print the table (and the codec micro-benchmarks)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").strip().split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument(
        "--quick", action="store_true", help="1 round (unless --rounds), smaller workloads"
    )
    parser.add_argument(
        "--pin",
        choices=("same", "split", "none"),
        default="same",
        help="same: server and client on CPU 1 (default); split: 1 and 0",
    )
    parser.add_argument("--workloads", default="bulk,echo,conns,hold")
    parser.add_argument(
        "--servers",
        type=lambda s: s.split(","),
        default=None,
        help="comma list of server names (default all)",
    )
    parser.add_argument(
        "--out", default=None, help="keep the raw logs in this directory (new or empty)"
    )
    parser.add_argument("--json", default=None, help="also write the results here as JSON")
    parser.add_argument("--no-codec", action="store_true", help="skip the codec benchmarks")
    parser.add_argument(
        "--no-layer", action="store_true", help="skip the in-process layer benchmarks"
    )
    args = parser.parse_args(argv)
    if args.quick and "--rounds" not in (argv if argv is not None else sys.argv):
        args.rounds = 1
    if args.out is not None and os.path.isdir(args.out) and os.listdir(args.out):
        # The table is made from every log in the directory: an earlier run's
        # logs would be counted as runs of this one.
        parser.error(f"--out {args.out!r} is not empty: give a new or empty directory")
    for tool in ("gcc", "taskset") if args.pin != "none" else ("gcc",):
        if shutil.which(tool) is None:
            parser.error(f"{tool} is needed")
    out = args.out or tempfile.mkdtemp(prefix="tisocket-compare.")
    os.makedirs(out, exist_ok=True)
    started = time.time()
    runRounds(args, out)
    rows = summarize(load(out))
    info = machine()
    print(
        f"\n## Ti layer / raw Twisted, {args.rounds} interleaved round(s), pin={args.pin}"
        f"{', quick' if args.quick else ''}\n"
    )
    print(formatTable(rows))
    print(
        f"\nnproc={info['nproc']} cpu={info['cpu']} python={info['python']} "
        f"twisted={info['twisted']} time={time.time() - started:.0f}s raw logs: {out}"
    )
    sys.path.insert(0, HERE)
    layer: list[dict[str, Any]] = []
    if not args.no_layer:
        layer = runInProcess(
            "bench_layer",
            3 if args.quick else 7,
            "Layer cost in process (process CPU time per operation, best of runs)",
        )
    codec: list[dict[str, Any]] = []
    if not args.no_codec:
        codec = runInProcess(
            "bench_codec",
            3 if args.quick else 5,
            "Buffer/Codec micro-benchmarks (best of runs, ns per call)",
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": info,
                    "rounds": args.rounds,
                    "pin": args.pin,
                    "quick": args.quick,
                    "rows": rows,
                    "layer": layer,
                    "codec": codec,
                },
                f,
                indent=2,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
