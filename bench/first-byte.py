#!/usr/bin/env python3
"""Runs a command and prints, in seconds, when its first output byte came (stdout or stderr) and when it exited:
the time a user waits before a build says anything, and the whole wait. Usage: first-byte.py COMMAND [ARGS...]"""
import os
import select
import subprocess
import sys
import time

start = time.monotonic()
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
first = None
streams = [process.stdout, process.stderr]
while streams:
    ready, _, _ = select.select(streams, [], [])
    for stream in ready:
        data = os.read(stream.fileno(), 65536)
        if not data:
            streams.remove(stream)
        elif first is None:
            first = time.monotonic() - start
status = process.wait()
end = time.monotonic() - start
print(f"{first if first is not None else end:.4f} {end:.4f} {status}")
sys.exit(status)
