"""The peer of bench/durable/nodes: the pg-boss / River way of running recurring work on
PostgreSQL. 1,000 jobs, each due every 100 ms; workers claim the most overdue due job with
FOR UPDATE SKIP LOCKED and, in one transaction per occurrence, change its state, record the
occurrence under a unique key and move it to its next due time.

    python3 pgpeer.py setup URL    # (re)create the tables
    python3 pgpeer.py work URL     # a worker, until killed
"""
import signal
import sys
import time

import psycopg

INTERVAL = 100_000_000  # ns


def setup(url):
    with psycopg.connect(url, autocommit=True) as c:
        c.execute("DROP TABLE IF EXISTS jobs, fires")
        c.execute("CREATE TABLE jobs (name TEXT PRIMARY KEY, next_due BIGINT NOT NULL, count BIGINT NOT NULL DEFAULT 0)")
        c.execute("CREATE INDEX jobs_due ON jobs (next_due)")
        c.execute("CREATE TABLE fires (agent TEXT, due BIGINT, ran BIGINT NOT NULL, PRIMARY KEY (agent, due))")
        now = time.time_ns()
        with c.cursor() as cur:
            cur.executemany("INSERT INTO jobs (name, next_due) VALUES (%s, %s)",
                            [(f"A{i}", now + i * INTERVAL // 1000) for i in range(1000)])


stopping = False


def stop(*_):
    global stopping
    stopping = True


def work(url):
    signal.signal(signal.SIGTERM, stop)   # ends between transactions
    with psycopg.connect(url) as c:
        while not stopping:
            with c.transaction():
                row = c.execute("SELECT name, next_due FROM jobs WHERE next_due <= %s ORDER BY next_due LIMIT 1 "
                                "FOR UPDATE SKIP LOCKED", (time.time_ns(),)).fetchone()
                if row is not None:
                    name, due = row
                    c.execute("UPDATE jobs SET count = count + 1, next_due = %s WHERE name = %s", (due + INTERVAL, name))
                    c.execute("INSERT INTO fires (agent, due, ran) VALUES (%s, %s, %s)", (name, due, time.time_ns()))
            if row is None:
                time.sleep(0.001)


if __name__ == "__main__":
    {"setup": setup, "work": work}[sys.argv[1]](sys.argv[2])
