"""Reads a FIFO. --mode drain: holds it open without blocking and records every byte that arrives
as an event (a FIFO that must never receive data). --mode once: opens it (blocking, as a reader
waiting for a writer), copies everything to --out until the writer closes, then exits."""
import os
import time
import racer

p = racer.parser(__doc__)
p.add_argument('--fifo', required=True)
p.add_argument('--mode', choices=['drain', 'once'], default='drain')
p.add_argument('--out')
args = p.parse_args()
events = racer.Events(args)
bound = racer.Bound(args)

if args.mode == 'drain':
    fd = os.open(args.fifo, os.O_RDONLY | os.O_NONBLOCK)
    racer.ready(args)
    received = 0
    while bound.go():
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            data = b''
        if data:
            received += len(data)
            events.add(kind='fifo', bytes=len(data), head=data[:64].decode('latin-1'))
        else:
            time.sleep(0.002)
    racer.result(args, fifo_bytes=received)
else:
    racer.ready(args)
    # O_NONBLOCK only for the open (a reader never waits in open then), then blocking reads with
    # a deadline, so that no writer means an empty result rather than a racer that never ends.
    fd = os.open(args.fifo, os.O_RDONLY | os.O_NONBLOCK)
    os.set_blocking(fd, True)
    got = bytearray()
    seen_writer = False
    import select
    while bound.go():
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        data = os.read(fd, 65536)
        if data:
            seen_writer = True
            got += data
        elif seen_writer:
            break
        else:
            time.sleep(0.01)
    with open(args.out, 'wb') as f:
        f.write(got)
    racer.result(args, bytes=len(got))
