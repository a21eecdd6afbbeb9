# The peer of counters.keel: 100,000 asyncio tasks, each with a queue of its own, each given one
# message and keeping a counter; then the same check.
import asyncio, sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000

async def counter(q, counts, k):
    msg = await q.get()
    counts[k] += 1

async def main():
    counts = [0] * N
    queues = [asyncio.Queue() for _ in range(N)]
    tasks = [asyncio.create_task(counter(queues[k], counts, k)) for k in range(N)]
    for k in range(N):
        queues[k].put_nowait(k)
    await asyncio.gather(*tasks)
    print(f"  {N} instances, counters sum {sum(counts)}")

asyncio.run(main())
