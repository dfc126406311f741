#!/usr/bin/env python3
"""Holds connections open against the service the way slow and idle clients do, for slow-clients.sh.

Usage: slow-clients.py HOST PORT SECONDS SLOW IDLE API_KEY
  SLOW clients each start a POST /v1/detect with a 200 kB body declared and send one byte every two seconds;
  IDLE clients open a connection and send nothing. Each reconnects when the service drops it. Prints, at the end,
  how many connections of each kind were opened and how many the service closed.
"""
import asyncio
import sys

HOST, PORT, SECONDS, SLOW, IDLE, KEY = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
BOUNDARY = "slowclientboundary"
counts = {"slow_opened": 0, "slow_dropped": 0, "idle_opened": 0, "idle_dropped": 0}


HEAD = (f"POST /v1/detect HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nX-API-Key: {KEY}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: 200000\r\n\r\n"
        f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"slow.jpg\"\r\n"
        f"Content-Type: image/jpeg\r\n\r\n").encode()


async def trickle(reader, writer, deadline):
    """Sends the head, then a byte every two seconds; returns when the service closes (or answers) the connection."""
    writer.write(HEAD)
    await writer.drain()
    while asyncio.get_running_loop().time() < deadline:
        writer.write(b"\xff")
        await writer.drain()
        try:
            await asyncio.wait_for(reader.read(1), timeout=2.0)
            return True
        except asyncio.TimeoutError:
            pass
    return False


async def wait_idle(reader, writer, deadline):
    """Sends nothing; returns when the service closes the connection."""
    remaining = deadline - asyncio.get_running_loop().time()
    if remaining <= 0:
        return False
    try:
        await asyncio.wait_for(reader.read(1), timeout=remaining)
        return True
    except asyncio.TimeoutError:
        return False


async def client(kind, converse, deadline):
    """Connects, converses until the service drops the connection, and connects again, until the deadline."""
    loop = asyncio.get_running_loop()
    while loop.time() < deadline:
        try:
            reader, writer = await asyncio.open_connection(HOST, PORT)
        except OSError:
            await asyncio.sleep(1)
            continue
        counts[kind + "_opened"] += 1
        try:
            dropped = await converse(reader, writer, deadline)
        except (ConnectionError, OSError):
            dropped = True
        finally:
            writer.close()
        counts[kind + "_dropped"] += dropped


async def main():
    deadline = asyncio.get_running_loop().time() + SECONDS
    await asyncio.gather(*[client("slow", trickle, deadline) for _ in range(SLOW)], *[client("idle", wait_idle, deadline) for _ in range(IDLE)])
    print(" ".join(f"{k} {v}" for k, v in counts.items()))


asyncio.run(main())
