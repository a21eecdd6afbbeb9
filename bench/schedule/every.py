# 1,000 fixed-cadence 10 ms timers for two seconds on asyncio.
import asyncio, sys

async def main():
    loop = asyncio.get_running_loop()
    late = []
    handles = []
    def tick(start, k):
        due = start + k * 0.01
        late.append((loop.time() - due) * 1000)
        handles.append(loop.call_at(start + (k + 1) * 0.01, tick, start, k + 1))
    for _ in range(1000):
        start = loop.time()
        tick(start, 0)
    await asyncio.sleep(2)
    for h in handles:
        h.cancel()
    late.sort()
    print(f"ticks {len(late)}, lateness p50 {late[len(late) // 2]:.2f} ms, p99 {late[int(len(late) * 0.99)]:.2f} ms", file=sys.stderr)

asyncio.run(main())
