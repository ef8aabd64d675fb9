"""Rewrites a file (or block device) in place with changing random blocks, for tests of readers
that race a writer.

usage: rewrite-in-place.py PATH READY_PATH SECONDS MAX_WRITES

Opens PATH for writing without truncating it (same inode, same size) and writes blocks of 4 KiB to
64 KiB, taken at changing offsets of a random pool, at random offsets of the file, until SECONDS
have passed or MAX_WRITES blocks are written, whichever comes first. READY_PATH is created once
the first blocks are written, so that a test can start its reader only while the writer runs.
"""

import os
import random
import sys
import time

path, ready_path, seconds, max_writes = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
pool = memoryview(os.urandom(4 * 1024 * 1024))
rng = random.Random()
fd = os.open(path, os.O_WRONLY)
try:
    size = os.lseek(fd, 0, os.SEEK_END)  # a block device's st_size is 0
    deadline = time.monotonic() + seconds
    for written in range(max_writes):
        length = rng.randrange(4096, 65537)
        offset = rng.randrange(0, size - length + 1)
        start = rng.randrange(0, len(pool) - length + 1)
        os.pwrite(fd, pool[start:start + length], offset)
        if written == 16:
            with open(ready_path, "w"):
                pass
        if written % 64 == 0 and time.monotonic() > deadline:
            break
finally:
    os.close(fd)
