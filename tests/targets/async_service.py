"""An asyncio target: named tasks awaiting at different depths, for `stack -a`."""

import asyncio
import sys

REPORT = sys.argv[1]


async def leaf(delay):
    await asyncio.sleep(delay)


async def middle(delay):
    while True:
        await leaf(delay)


async def main():
    tasks = [
        asyncio.create_task(middle(3600), name="slow-poller"),
        asyncio.create_task(middle(0.01), name="fast-poller"),
    ]
    print("READY", flush=True)
    open(REPORT, "w").write("{}")
    await asyncio.gather(*tasks)


asyncio.run(main())
