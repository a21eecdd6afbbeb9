# 10,000 asyncio tasks each awaiting a one-second sleep on a hand-driven virtual clock
# (the same work as tasks.keel on --virtual-time, without waiting for real).
import asyncio

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

    tasks = [asyncio.ensure_future(task(i)) for i in range(1, 10001)]
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
