import asyncio, sys
n = int(sys.argv[1]) if len(sys.argv) > 1 else 0
async def main():
    loop = asyncio.get_running_loop()
    for _ in range(n):
        loop.call_later(3600, lambda: None)
    await asyncio.sleep(1)
asyncio.run(main())
