"""Runs each workload in keel and its peers in the same run, alternating (keel, CPython, Lua,
Node, then keel again, ...), and prints the median wall time of each, keel/CPython, and the peak
memory of each (the largest of its runs). Called by bench/run after it builds keel.

    python3 bench/compare.py KEEL ROUNDS [WORKLOAD ...]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

keel, rounds = sys.argv[1], int(sys.argv[2])
base = os.environ.get("KEEL_BASE")  # another keel build (an earlier commit) as one more column
only = set(sys.argv[3:])
py = sys.executable  # the interpreter itself, not a version manager's shim (pyenv adds ~100 ms)
lua = shutil.which("lua5.4")
node = shutil.which("node")

# name: keel command, then the peers' (None where a peer has no version of it)
WORKLOADS = [
    ("fib(30)", [keel, "run", "bench/fib.keel"], [py, "bench/fib.py"], [lua, "bench/fib.lua"], [node, "bench/fib.js"]),
    ("loop 10M", [keel, "run", "bench/loop.keel"], [py, "bench/loop.py"], [lua, "bench/loop.lua"], [node, "bench/loop.js"]),
    ("strings 200k", [keel, "run", "bench/strings.keel"], [py, "bench/strings.py"], [lua, "bench/strings.lua"], [node, "bench/strings.js"]),
    ("collections 1M", [keel, "run", "bench/collections.keel"], [py, "bench/collections.py"], [lua, "bench/collections.lua"], [node, "bench/collections.js"]),
    ("messages 1M", [keel, "run", "bench/messages.keel"], [py, "bench/messages.py"], [lua, "bench/messages.lua"], [node, "bench/messages.js"]),
    ("start-up", [keel, "run", "bench/startup.keel"], [py, "-S", "-c", "pass"], [lua, "-e", ""], [node, "-e", ""]),
]
PEERS = ["keel", "python", "lua", "node"]
if base:
    WORKLOADS = [(name, k, p, l, n, [base] + k[1:]) for name, k, p, l, n in WORKLOADS]
    PEERS.append("base")


def run_once(cmd):
    """Wall seconds and peak resident KiB of one run (its output thrown away). GNU time measures
    the memory: a child forked from this Python would count this Python's pages too."""
    with tempfile.NamedTemporaryFile("r") as peak:
        start = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak.name] + cmd,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if p.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}): {p.stderr.decode(errors='replace').strip()}")
        return wall, int(peak.read().split()[-1])


def main():
    print(f"{'workload':<16}" + "".join(f"{p:>10}" for p in PEERS) + f"{'keel/python':>13}   peak MB ({' '.join(PEERS)})")
    for name, *cmds in WORKLOADS:
        if only and not any(name.startswith(o) for o in only):
            continue
        cmds = [c if c[0] else None for c in cmds]
        times = [[] for _ in cmds]
        peaks = [0 for _ in cmds]
        for _ in range(rounds):
            for i, cmd in enumerate(cmds):
                if cmd is None:
                    continue
                wall, rss = run_once(cmd)
                times[i].append(wall)
                peaks[i] = max(peaks[i], rss)
        med = [statistics.median(t) if t else None for t in times]
        cells = "".join(f"{m:>9.3f}s" if m is not None else f"{'-':>10}" for m in med)
        ratio = med[0] / med[1]
        mem = " ".join(f"{p / 1024:.0f}" if p else "-" for p in peaks)
        print(f"{name:<16}{cells}{ratio:>13.2f}   {mem}", flush=True)


main()
