"""Scale benchmark of the cash-application matcher (issue 4); a benchmark, not a timed test.

Generates a seeded batch in memory with :mod:`fixtures.scale_data` (no documents), then
times ``shared.matching.decide_batch`` end to end, reads the peak memory, and checks every
``auto`` decision against the generator's truth::

    .venv/bin/python benchmarks/bench_matcher_scale.py --payments 100000 --items 1000000 \\
        --customers 20000 --steps

* without ``--steps``: one run at the given size, in this process;
* ``--steps``: the fractions 1/8, 1/4, 1/2 and 1 of the size (``--fractions`` to change
  them), each in a fresh process so that peak memory is per size, each with a time
  limit (``--step-timeout``, default 300 s); sizes after one that runs out are skipped.
  The decide times are fitted as ``time ~ n**k`` (least squares on log-log);
* ``--profile``: cProfile of ``decide_batch`` (single run), top ``--top`` functions by
  own time and by cumulative time;
* ``--sample N``: decide only the first N payments (value-date order) against the whole
  ledger and every remittance: what a full-size ledger costs before the per-payment work
  (index building, memory), when the whole batch would take too long;
* ``--trusted``: build the domain objects with ``model_construct`` instead of validating.

Memory is the process's peak resident set size, ``resource.getrusage(RUSAGE_SELF)
.ru_maxrss`` (interpreter + data + engine), read once after generation and once after
``decide_batch``; the target of 4 GB is about the second.  ``--tracemalloc`` also traces
Python allocations during ``decide_batch`` (its peak is the engine's own working set; the
time is then two to three times slower and not comparable).

Time is wall-clock (``time.perf_counter``).  The machine's load average is printed: other
processes on a shared machine slow every figure.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import math
import os
import platform
import pstats
import resource
import shlex
import subprocess
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from fractions import Fraction
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fixtures.scale_data import DEFAULT_SEED, ScaleData, Truth, generate  # noqa: E402
from shared.domain import Decision, DecisionKind  # noqa: E402

_RESULT = "RESULT "  # prefix of a child's JSON lines on stdout
_GIB = 1024**3


def _rss_peak() -> int:
    """Peak resident set size of this process in bytes (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def engine_version() -> str:
    """The commit the matcher runs at, and whether shared/matching has local changes."""

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else "?"

    dirty = git("status", "--porcelain", "--", "shared/matching")
    return f"{git('rev-parse', '--short', 'HEAD')}{' + local changes' if dirty else ''}"


def machine_info() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                       .splitlines() if line.startswith("MemTotal:"))
    except (OSError, StopIteration):
        mem_kib = 0
    import pydantic

    return {
        "nproc": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)), "cpu": cpu,
        "ram_gib": round(mem_kib / 1024**2, 1), "loadavg": os.getloadavg(),
        "python": platform.python_version(), "pydantic": pydantic.VERSION,
        "platform": platform.platform(),
        "engine": engine_version(),
    }


def evaluate(decisions: list[Decision], truth: dict[str, Truth]) -> dict[str, Any]:
    """Auto share, straight-through rate and wrong auto decisions against the truth."""
    seen = Counter(d.payment_id for d in decisions)
    per_tag: dict[str, Counter[str]] = defaultdict(Counter)
    wrong: list[dict[str, Any]] = []
    for d in decisions:
        t = truth.get(d.payment_id)
        if t is None:
            continue
        tag = per_tag[t.tag]
        tag["payments"] += 1
        if d.kind is DecisionKind.AUTO:
            tag["auto"] += 1
            if t.accepts(d):
                tag["correct"] += 1
            else:
                tag["wrong"] += 1
                if len(wrong) < 8:
                    wrong.append({
                        "payment_id": d.payment_id, "tag": t.tag, "exception": t.exception,
                        "truth": [(doc, str(a)) for doc, a in t.applications],
                        "truth_adjustments": [(k, doc, str(a)) for k, doc, a, _ in t.adjustments],
                        "truth_on_account": str(t.on_account),
                        "decided": [(a.doc_no, str(a.amount)) for a in d.applications],
                        "decided_adjustments": [(j.type.value, j.doc_no, str(j.amount))
                                                for j in d.adjustments],
                        "decided_on_account": str(d.on_account),
                        "evidence": list(d.evidence)[:8]})
        elif t.exception is not None:
            tag["routed"] += 1
    total = sum(per_tag.values(), Counter())
    determinable = sum(1 for t in truth.values() if t.determinable)
    exceptions = len(truth) - determinable
    return {
        "payments": len(truth), "decisions": len(decisions),
        "missing": sum(1 for pid in truth if pid not in seen),
        "repeated": sum(1 for n in seen.values() if n > 1),
        "auto": total["auto"], "correct": total["correct"], "wrong": total["wrong"],
        "auto_share": total["auto"] / len(truth),
        "straight_through": total["correct"] / determinable if determinable else 0.0,
        "wrong_auto_rate": total["wrong"] / len(truth),
        "exception_routing": total["routed"] / exceptions if exceptions else 1.0,
        "per_tag": {k: dict(v) for k, v in sorted(per_tag.items())},
        "wrong_examples": wrong,
    }


def run_once(args: argparse.Namespace, *, emit: bool = False) -> dict[str, Any]:
    """Generate, decide, evaluate; with ``emit`` print each stage as a result line."""
    from shared.matching import decide_batch

    size = {"payments": args.payments, "items": args.items, "customers": args.customers}
    engine = engine_version()  # the lead may commit while a long run goes on
    clock = time.perf_counter()
    data: ScaleData = generate(**size, seed=args.seed, trusted=args.trusted)
    result: dict[str, Any] = {
        **size, "engine": engine, "generate_s": time.perf_counter() - clock,
        "generate_phases": data.timings, "remittances": len(data.remittances),
        "rss_after_generate": _rss_peak()}
    if emit:
        print(_RESULT + json.dumps(result), flush=True)
    gc.collect()  # the generator's garbage is not the engine's cost
    profile = cProfile.Profile() if args.profile else None
    if args.tracemalloc:
        tracemalloc.start()
    clock = time.perf_counter()
    if profile is not None:
        profile.enable()
    payments = data.payments[: args.sample] if args.sample else data.payments
    decisions = decide_batch(payments, customers=data.customers,
                             open_items=data.open_items, remittances=data.remittances)
    if profile is not None:
        profile.disable()
    result["decide_s"] = time.perf_counter() - clock
    if args.tracemalloc:
        result["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    result["rss_peak"] = _rss_peak()
    # The first payments in value-date order have the same truth whatever follows them.
    result["decided"] = len(payments)
    result["quality"] = evaluate(decisions, {p.payment_id: data.truth[p.payment_id]
                                             for p in payments})
    if profile is not None:
        result["profile"] = _profile_text(profile, args.top)
    if emit:
        print(_RESULT + json.dumps(result), flush=True)
    return result


def _profile_text(profile: cProfile.Profile, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.strip_dirs()
    for key in ("tottime", "cumulative"):
        out.write(f"--- top {top} by {key} ---\n")
        stats.sort_stats(key).print_stats(top)
    return out.getvalue()


def run_steps(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each fraction of the size in a fresh process, smallest first, under a time limit."""
    results: list[dict[str, Any]] = []
    fractions = [Fraction(f) for f in args.fractions.split(",")]
    stopped = False
    for frac in sorted(fractions):
        size = {k: max(1, round(getattr(args, k) * frac))
                for k in ("payments", "items", "customers")}
        row: dict[str, Any] = {"fraction": str(frac), **size}
        if stopped:
            results.append({**row, "status": "skipped (a smaller size ran out of time)"})
            continue
        cmd = [sys.executable, __file__, "--child", "--seed", str(args.seed),
               f"--sample={args.sample}",
               *(f"--{k}={v}" for k, v in size.items()),
               *(["--trusted"] if args.trusted else []),
               *(["--tracemalloc"] if args.tracemalloc else [])]
        print(f"... step {frac}: {size['payments']} payments, {size['items']} items, "
              f"{size['customers']} customers", file=sys.stderr, flush=True)
        try:
            run = subprocess.run(cmd, capture_output=True, text=True, timeout=args.step_timeout)
            stdout, status = run.stdout, "ok" if run.returncode == 0 else (
                f"failed (exit {run.returncode}): {run.stderr.strip().splitlines()[-1:]}")
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout or b""
            stdout = out.decode() if isinstance(out, bytes) else out
            status, stopped = f"timed out after {args.step_timeout:.0f} s", True
        lines = [json.loads(x[len(_RESULT):]) for x in stdout.splitlines()
                 if x.startswith(_RESULT)]
        results.append({**row, **(lines[-1] if lines else {}), "status": status})
    return results


def fit_exponent(points: list[tuple[float, float]]) -> float | None:
    """k of ``t = c * n**k`` by least squares on logarithms, or None under two points."""
    points = [(n, t) for n, t in points if n > 0 and t > 0]
    if len(points) < 2:
        return None
    xs, ys = [math.log(n) for n, _ in points], [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if sxx else None


def report(results: list[dict[str, Any]], info: dict[str, Any], command: str) -> None:
    print("Cash-application matcher at scale (issue 4)")
    print(f"command : {command}")
    print(f"machine : {info['nproc']} CPUs ({info['affinity']} usable), {info['cpu']}, "
          f"{info['ram_gib']} GiB RAM; load average at start "
          f"{' / '.join(f'{x:.2f}' for x in info['loadavg'])}")
    print(f"python  : {info['python']}, pydantic {info['pydantic']}, {info['platform']}")
    engines = sorted({r["engine"] for r in results if "engine" in r})
    print(f"engine  : shared.matching.decide_batch at git {', '.join(engines) or info['engine']}"
          f"{'  (WARNING: the engine changed between sizes)' if len(engines) > 1 else ''}")
    print("memory  : peak RSS (getrusage ru_maxrss) after generation / after decide_batch")
    print()
    head = (f"{'payments':>9} {'items':>9} {'cust':>6} {'decided':>8} {'gen s':>7} {'decide s':>9} "
            f"{'us/pay':>8} {'RSS gen':>8} {'RSS peak':>8} {'auto':>6} {'STP':>6} "
            f"{'wrong':>6}  status")
    print(head)
    print("-" * len(head))
    for r in results:
        q = r.get("quality", {})
        decide, decided = r.get("decide_s"), r.get("decided")
        print(f"{r['payments']:>9} {r['items']:>9} {r['customers']:>6} {_num(decided, '8d')} "
              f"{_num(r.get('generate_s'), '7.1f')} {_num(decide, '9.2f')} "
              f"{_num(decide and decided and decide / decided * 1e6, '8.0f')} "
              f"{_num(r.get('rss_after_generate', 0) / _GIB or None, '7.2f')}G "
              f"{_num(r.get('rss_peak', 0) / _GIB or None, '7.2f')}G "
              f"{_num(q.get('auto_share', 0) * 100 if q else None, '5.1f')}% "
              f"{_num(q.get('straight_through', 0) * 100 if q else None, '5.1f')}% "
              f"{_num(q.get('wrong'), '6d')}  {r.get('status', 'ok')}")
    done = [r for r in results if "decide_s" in r]
    for label, key in (("decide_batch", "decide_s"), ("generation", "generate_s")):
        pts = [(r["payments"], r[key]) for r in results if key in r]
        k = fit_exponent(pts)
        if k is not None:
            print(f"{label} time ~ n^{k:.2f} (n = generated size; least squares over "
                  f"{len(pts)} sizes)")
    if not done:
        return
    last = done[-1]
    q = last["quality"]
    print()
    print(f"at {last['decided']} of {last['payments']} payments: decisions {q['decisions']}, "
          f"missing {q['missing']}, repeated {q['repeated']}; "
          f"auto {q['auto']} ({q['auto_share']:.1%}), "
          f"correct {q['correct']}, wrong {q['wrong']} ({q['wrong_auto_rate']:.3%} of payments); "
          f"straight-through {q['straight_through']:.1%} of determinable; exceptions routed "
          f"to review {q['exception_routing']:.1%}")
    phases = ", ".join(f"{k} {v:.1f} s" for k, v in last["generate_phases"].items())
    print(f"generation phases: {phases}; remittances {last['remittances']}")
    if "tracemalloc_peak" in last:
        print(f"tracemalloc peak during decide_batch: {last['tracemalloc_peak'] / _GIB:.2f} GiB")
    if last["decided"] < last["payments"]:
        print("(--sample: the remittances of payments not decided stay in play, so the "
              "quality figures are indicative only)")
    target = last["decided"] >= 100_000 and last["items"] >= 1_000_000
    if target:
        ok_t, ok_m = last["decide_s"] < 60, last["rss_peak"] < 4 * _GIB
        print(f"target (2-core machine: < 60 s, < 4 GB): time {'met' if ok_t else 'NOT met'}, "
              f"memory {'met' if ok_m else 'NOT met'}")
    print()
    print(f"{'tag':<20} {'payments':>8} {'auto':>7} {'correct':>8} {'wrong':>6} {'routed':>7}")
    for tag, c in q["per_tag"].items():
        print(f"{tag:<20} {c.get('payments', 0):>8} {c.get('auto', 0):>7} "
              f"{c.get('correct', 0):>8} {c.get('wrong', 0):>6} {c.get('routed', 0):>7}")
    for w in q["wrong_examples"]:
        print(f"wrong auto: {json.dumps(w)}")
    if "profile" in last:
        print()
        print(last["profile"])


def _num(value: float | int | None, spec: str) -> str:
    width = int(spec.split(".")[0].rstrip("df") or 0)
    return format(value, spec) if value is not None else "-".rjust(width)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--payments", type=int, default=100_000, help="payments in the batch")
    parser.add_argument("--items", type=int, default=1_000_000, help="open items in the ledger")
    parser.add_argument("--customers", type=int, default=20_000, help="customers")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="generator seed")
    parser.add_argument("--steps", action="store_true",
                        help="run fractions of the size, each in a fresh process, and fit k")
    parser.add_argument("--fractions", default="1/8,1/4,1/2,1",
                        help="comma-separated fractions of the size for --steps")
    parser.add_argument("--step-timeout", type=float, default=300.0,
                        help="seconds a step (generation + decide) may take under --steps")
    parser.add_argument("--trusted", action="store_true",
                        help="build domain objects with model_construct (no validation)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile decide_batch (single run) and print the top functions")
    parser.add_argument("--top", type=int, default=15, help="functions shown by --profile")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="trace Python allocations during decide_batch (slows it down)")
    parser.add_argument("--sample", type=int, default=0,
                        help="decide only the first N payments (value-date order) against the "
                             "whole ledger: the fixed cost of a full-size ledger, cheaply")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_once(args, emit=True)
        return 0
    info = machine_info()
    command = shlex.join(sys.orig_argv)
    results = run_steps(args) if args.steps else [{**run_once(args), "status": "ok"}]
    report(results, info, command)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "command": command,
                                         "results": results}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
