# 100,000 one-shots spread evenly over one second.
import asyncio, sys, time

async def main():
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    left = [100000]
    late = []
    start = loop.time()
    def fire(due):
        late.append((loop.time() - due) * 1000)
        left[0] -= 1
        if left[0] == 0:
            done.set_result(None)
    for i in range(100000):
        loop.call_at(start + i * 1e-5, fire, start + i * 1e-5)
    await done
    late.sort()
    print(f"lateness p50 {late[len(late) // 2]:.2f} ms, p99 {late[int(len(late) * 0.99)]:.2f} ms", file=sys.stderr)

asyncio.run(main())
