"""Not an attacker: feeds a FIFO slowly (--chunk bytes every --interval seconds), so that a copy
reading it is mid-file for as long as the test wants. Each chunk written is counted in --result
(bytes so far), so that the test knows the copy is under way. Ends when the reader goes away
(EPIPE), or by the usual bounds."""
import os
import signal
import time
import racer

p = racer.parser(__doc__)
p.add_argument('--fifo', required=True)
p.add_argument('--chunk', type=int, default=65536)
p.add_argument('--interval', type=float, default=0.005)
args = p.parse_args()
signal.signal(signal.SIGPIPE, signal.SIG_IGN)
bound = racer.Bound(args)
racer.ready(args)
# Open without blocking forever: wait for a reader in slices, within the bounds.
fd = None
while fd is None and bound.go():
    try:
        fd = os.open(args.fifo, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        time.sleep(0.01)
written = 0
if fd is not None:
    os.set_blocking(fd, True)
    chunk = bytes(range(256)) * (args.chunk // 256)
    while bound.go():
        try:
            written += os.write(fd, chunk)
        except OSError:
            break
        racer.result(args, bytes=written)
        time.sleep(args.interval)
racer.result(args, bytes=written, done=True)
