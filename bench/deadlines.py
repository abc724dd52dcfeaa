"""Deadline computation: speed on one core, against the naive minute walk, and identity
with the walk on ≥ 100,000 random cases (issue #3, Performance).

    .venv/bin/python -m bench.deadlines                 # 100,000 identity cases, 300 naive walks
    .venv/bin/python -m bench.deadlines --cases 20000 --naive 100   # quicker

Cases: weekday office hours (Mon–Fri 08:00–17:00, Europe/Amsterdam) with Dutch public
holidays, starts anywhere in 2025–2027 (40 % aimed at holidays, the days around them and
DST change days), terms up to five working days, 0–3 pauses (10 % still open). The
oracle is the minute walk of tests/core/test_calendar_oracle.py: over a per-minute table
for the identity check (spread over processes), and without a table (zoneinfo and the
holiday list asked at every minute) as the speed baseline, on a sample. No database.
"""

import argparse
import importlib.util
import multiprocessing as mp
import os
import sys
import time

from bench.common import REPO, verdict, write_json

ORACLE_PATH = REPO / "tests" / "core" / "test_calendar_oracle.py"


def load_oracle():
    spec = importlib.util.spec_from_file_location("calendar_oracle", ORACLE_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "regie.test_settings")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


_worker = {}


def _init_worker():
    setup()
    oracle = load_oracle()
    _worker["oracle"] = oracle
    _worker["table"] = oracle.MinuteTable(oracle.OFFICE_HOURS, oracle.RANGE_FIRST, oracle.RANGE_LAST)


def _walk_batch(batch):
    oracle, table = _worker["oracle"], _worker["table"]
    return [oracle.oracle_deadlines(table, *case) for case in batch]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="random cases checked against the walk")
    parser.add_argument("--naive", type=int, default=300, help="cases timed with the table-free naive walk")
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--json")
    args = parser.parse_args()

    setup()
    oracle = load_oracle()
    from regie.core.calendars import WorkingCalendar
    from regie.servicedesk.sla import compute_deadlines

    calendar = WorkingCalendar(weekly_hours=oracle.OFFICE_HOURS)
    cases = oracle.cases(args.seed, args.cases)
    with_pauses = sum(1 for case in cases if case[3])
    deadlines_per_pass = sum(2 if not any(end is None for _s, end in case[3]) else 1 for case in cases)
    print(f"{len(cases):,} cases ({with_pauses:,} with pauses), {deadlines_per_pass:,} deadlines "
          f"(response + resolution; resolution unknown while a pause is open)", flush=True)

    # 1. The product, one core: a warm-up pass builds the timelines, then best of three.
    # CPU time of this process (one thread, so one core) besides wall time: other work on
    # the machine delays the wall clock but barely changes the CPU a pass needs.
    for case in cases[:2000]:
        compute_deadlines(calendar, *case)
    timings, cpu_timings = [], []
    for _ in range(3):
        began, began_cpu = time.perf_counter(), time.process_time()
        product = [compute_deadlines(calendar, *case) for case in cases]
        timings.append(time.perf_counter() - began)
        cpu_timings.append(time.process_time() - began_cpu)
    product_seconds = min(cpu_timings)
    per_second = deadlines_per_pass / product_seconds
    calls_per_second = len(cases) / product_seconds
    print(f"product: CPU {product_seconds:.3f} s per pass (best of 3: {', '.join(f'{t:.3f}' for t in cpu_timings)};"
          f" wall {', '.join(f'{t:.3f}' for t in timings)}) → {per_second:,.0f} deadlines/s "
          f"({deadlines_per_pass / min(timings):,.0f}/s by wall clock), {calls_per_second:,.0f} compute_deadlines "
          f"calls/s", flush=True)

    # 2. The naive walk (no table), on the first `--naive` cases, same core.
    sample = cases[: args.naive]
    began = time.process_time()
    for start, response, resolution, pauses in sample:
        oracle.naive_walk(oracle.OFFICE_HOURS, start, response)
        if not any(end is None for _s, end in pauses):
            oracle.naive_walk(oracle.OFFICE_HOURS, start, resolution, pauses)
    naive_seconds = time.process_time() - began
    sample_deadlines = sum(2 if not any(end is None for _s, end in case[3]) else 1 for case in sample)
    began = time.process_time()
    for _ in range(20):
        for case in sample:
            compute_deadlines(calendar, *case)
    product_sample_seconds = (time.process_time() - began) / 20
    ratio = naive_seconds / product_sample_seconds
    print(f"naive walk: {sample_deadlines / naive_seconds:,.0f} deadlines/s on {len(sample)} cases "
          f"({naive_seconds:.1f} s CPU); product on the same cases: {sample_deadlines / product_sample_seconds:,.0f}/s "
          f"→ {ratio:,.0f}× the naive walk", flush=True)

    # 3. Identity with the minute walk (over a per-minute table), all cases, in processes.
    began = time.perf_counter()
    batches = [cases[i : i + 2000] for i in range(0, len(cases), 2000)]
    with mp.get_context("fork").Pool(args.processes, initializer=_init_worker) as pool:
        expected = [result for batch in pool.map(_walk_batch, batches) for result in batch]
    walk_seconds = time.perf_counter() - began
    mismatches = [
        (case, want, (got.response_due_at, got.resolution_due_at))
        for case, want, got in zip(cases, expected, product, strict=True)
        if want != (got.response_due_at, got.resolution_due_at)
    ]
    print(f"identity: {len(mismatches)} mismatches in {len(cases):,} cases "
          f"(minute walk over a table, {args.processes} processes, {walk_seconds:.0f} s)", flush=True)
    for case, want, got in mismatches[:5]:
        print(f"  {case}: walk {want}, product {got}")

    print()
    print(f"{verdict(per_second >= 200_000)}  ≥ 200,000 deadlines/s on one core: {per_second:,.0f}/s "
          f"({calls_per_second:,.0f} calls/s of two deadlines)")
    print(f"{verdict(ratio >= 1000)}  ≥ 1,000× the naive minute walk: {ratio:,.0f}×")
    print(f"{verdict(not mismatches and len(cases) >= 100_000)}  identical to the walk on ≥ 100,000 cases: "
          f"{len(mismatches)} mismatches in {len(cases):,}")
    if args.json:
        write_json(args.json, {
            "cases": len(cases), "deadlines": deadlines_per_pass, "product_wall_seconds": timings,
            "product_cpu_seconds": cpu_timings,
            "deadlines_per_second": per_second, "calls_per_second": calls_per_second,
            "naive_cases": len(sample), "naive_seconds": naive_seconds, "ratio": ratio,
            "mismatches": len(mismatches), "walk_seconds": walk_seconds,
        })


if __name__ == "__main__":
    main()
