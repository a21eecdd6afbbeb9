# N asyncio tasks (argument; default 10,000) each awaiting a one-second sleep on a hand-driven virtual clock
# (the same work as tasks.keel on --virtual-time, without waiting for real).
import asyncio
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000

async def main():
    loop = asyncio.get_running_loop()
    timers = []
    now = 0.0

    def sleep(s):
        f = loop.create_future()
        timers.append((now + s, len(timers), f))
        return f

    async def task(i):
        await sleep(1.0)
        return i

    tasks = [asyncio.ensure_future(task(i)) for i in range(1, N + 1)]
    await asyncio.sleep(0)
    while timers:
        batch = sorted(timers)
        timers.clear()
        for due, _, f in batch:
            now = due
            f.set_result(None)
        await asyncio.sleep(0)
    print(sum(await asyncio.gather(*tasks)))

asyncio.run(main())
