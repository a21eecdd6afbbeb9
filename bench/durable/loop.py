# The peer: a plain Python + sqlite3 loop that commits the same change per iteration as a durable
# turn does (the state field, the schedule's counters, the occurrence), in WAL mode with
# synchronous=FULL, one transaction per iteration. Usage: python3 loop.py DB [N]
import os, sqlite3, sys, time

path = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(path + suffix):
        os.remove(path + suffix)
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE state (agent TEXT, field TEXT, value TEXT, PRIMARY KEY (agent, field)) WITHOUT ROWID")
db.execute("CREATE TABLE schedules (agent TEXT, name TEXT, due INTEGER, fired INTEGER, history TEXT, PRIMARY KEY (agent, name))")
db.execute("CREATE TABLE fires (agent TEXT, schedule TEXT, due INTEGER, ran INTEGER, PRIMARY KEY (agent, schedule, due)) WITHOUT ROWID")
db.execute("INSERT INTO schedules VALUES ('Counter', 'tick', 0, 0, '[]')")
for i in range(1, n + 1):
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO state VALUES ('Counter', 'n', ?) ON CONFLICT (agent, field) DO UPDATE SET value = excluded.value", (str(i),))
    db.execute("UPDATE schedules SET due = ?, fired = ?, history = ? WHERE agent = 'Counter' AND name = 'tick'", (i, i, '[{"due":%d,"outcome":"ok"}]' % i))
    db.execute("INSERT INTO fires VALUES ('Counter', 'tick', ?, ?)", (i * 1_000_000, time.time_ns()))
    db.execute("COMMIT")
print(db.execute("SELECT value FROM state").fetchone()[0])
