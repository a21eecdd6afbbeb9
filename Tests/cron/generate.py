#!/usr/bin/env python3
"""Generates cron_cases.tsv: expected next fire times from an established implementation.

The table is produced by the `cronsim` package (Debian cron semantics: day-of-month OR
day-of-week when both are restricted; DST handling like Debian's cron). keel-swift's Swift tests
compare CronSpec against every row. Regenerate with:

    pip install cronsim==2.9 && python3 Tests/cron/generate.py > Tests/cron/cron_cases.tsv

Columns: expression, IANA zone, start (Unix seconds, UTC), then the next five fire times
(Unix seconds). The output is deterministic (fixed seed).
"""
import random
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from cronsim import CronSim, CronSimError

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo",
         "Europe/London", "Pacific/Auckland"]

# Hand-picked expressions: every feature the implementation must get right.
FIXED = [
    "* * * * *", "*/15 * * * *", "0 * * * *", "0 0 * * *", "30 2 * * *", "0 9-17 * * 1-5", "0 9 * * MON-FRI",
    "10-30/5 * * * *", "0 0 1 * *", "0 0 31 * *", "0 0 30 * *", "0 0 29 2 *", "0 12 29 2 *", "0 0 28-31 * *",
    "0 0 1,15 * 1", "0 0 13 * 5", "0 0 * * 7", "0 0 * * 0", "0 0 * * SUN", "0 0 1 JAN *", "0 0 1 JAN-MAR *",
    "15 14 1 * *", "0 22 * * 1-5", "23 0-20/2 * * *", "5 4 * * sun", "0 0,12 1 */2 *", "0 4 8-14 * *",
    "0 0 1 1 *", "0 0 * * 6,0", "*/5 1-3 * * *", "0 1-3 * * *", "30 1 * * *", "0 3 * * *", "59 23 31 12 *",
    "0 */6 * * *", "0 0 */7 * *", "0 0 * */3 *", "1/10 * * * *", "0 5/4 * * *",
    "*/30 2 * * *", "0 2 * * *", "45 2 * 3,10,11 0", "0 0 15 * MON", "0 0 * FEB *", "0 0 29 * *",
    "0 0 31 4 *", "18-18/2 * * * *", "0-0/1 * * * *", "0 3-3/2 * * *",
    # Month-dependent terms (cronsim 2.9 knows L, LW, #, and nL; nW and a seconds field have hand-made cases in CronTableTests).
    "0 0 L * *", "0 12 L 2 *", "0 0 LW * *", "30 6 * * 1#1", "0 0 * * 5#2", "0 0 * * 0#5", "0 0 * * 5L", "0 9 L * 1-5",
    "0 0 L,15 * *", "0 0 * * MON#1", "0 0 1,L * *", "15 8 * * SUN#3,SAT#1",
]

STARTS = [
    datetime(2024, 2, 28, 23, 59, 30, tzinfo=timezone.utc),  # leap day ahead
    datetime(2025, 12, 31, 23, 58, tzinfo=timezone.utc),     # year end
    datetime(2026, 3, 28, 22, 50, tzinfo=timezone.utc),      # EU spring forward
    datetime(2026, 10, 24, 23, 10, tzinfo=timezone.utc),     # EU fall back
    datetime(2026, 3, 8, 5, 30, tzinfo=timezone.utc),        # US spring forward
    datetime(2026, 11, 1, 4, 45, tzinfo=timezone.utc),       # US fall back
    datetime(2026, 4, 4, 14, 59, tzinfo=timezone.utc),       # Sydney fall back
    datetime(2026, 10, 3, 15, 1, tzinfo=timezone.utc),       # Sydney spring forward
    datetime(2026, 1, 31, 12, 0, 7, tzinfo=timezone.utc),    # end of a long month
    datetime(2026, 6, 15, 8, 20, tzinfo=timezone.utc),
]


def field(rng, lo, hi, names=None):
    kind = rng.randrange(9)
    if kind == 0:
        return "*"
    if kind == 1:
        return f"*/{rng.randint(2, max(2, (hi - lo) // 2))}"
    if kind == 2:
        a = rng.randint(lo, hi)
        return str(a) if not names or rng.random() < 0.5 else names[a - lo]
    if kind == 3:
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi)
        if names and rng.random() < 0.5:
            return f"{names[a - lo]}-{names[b - lo]}"
        return f"{a}-{b}"
    if kind == 4:
        a = rng.randint(lo, hi)
        b = rng.randint(a, hi)
        return f"{a}-{b}/{rng.randint(1, 5)}"
    if kind == 5:
        return ",".join(str(x) for x in sorted(rng.sample(range(lo, hi + 1), rng.randint(2, 4))))
    if kind == 6:
        return f"{rng.randint(lo, hi)}/{rng.randint(2, 7)}"
    return str(rng.randint(lo, hi))


def random_expr(rng):
    days = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
    months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    return " ".join([
        field(rng, 0, 59), field(rng, 0, 23), field(rng, 1, 31), field(rng, 1, 12, months), field(rng, 0, 7, days),
    ])


def main():
    rng = random.Random(20261122)
    rows = 0
    exprs = list(FIXED) + [random_expr(rng) for _ in range(1200)]
    for i, expr in enumerate(exprs):
        zones = ZONES if i < len(FIXED) else [rng.choice(ZONES)]
        starts = STARTS if i < len(FIXED) else [rng.choice(STARTS), datetime.fromtimestamp(
            rng.randint(1704067200, 1893456000), timezone.utc)]
        for zone in zones:
            for start in starts:
                try:
                    it = CronSim(expr, start.astimezone(ZoneInfo(zone)))
                    fires = [int(next(it).timestamp()) for _ in range(5)]
                except (CronSimError, StopIteration):
                    continue
                print("\t".join([expr, zone, str(int(start.timestamp()))] + [str(f) for f in fires]))
                rows += 1
    import sys
    print(f"{rows} rows", file=sys.stderr)


if __name__ == "__main__":
    main()
