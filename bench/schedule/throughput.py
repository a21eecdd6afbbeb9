# 1,000,000 messages through an asyncio.Queue to one consumer task.
import asyncio

async def main():
    q = asyncio.Queue(maxsize=1024)
    async def consumer():
        for _ in range(1000000):
            await q.get()
    async def producer():
        for i in range(1000000):
            await q.put(i)
    await asyncio.gather(consumer(), producer())

asyncio.run(main())
