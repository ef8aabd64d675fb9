"""Destination flipping: renames over DIR/NAME, again and again, a symlink to each --target in
turn (e.g. /dev/null, a FIFO of ours, a victim file). Keeps the FIFO --fifo open for reading
(without blocking) and drains it: every byte a writer put in it is an event."""
import os
import racer

p = racer.parser(__doc__)
p.add_argument('--dir', required=True)
p.add_argument('--name', required=True)
p.add_argument('--fifo', required=True)
p.add_argument('--target', action='append', required=True)
args = p.parse_args()

if not os.path.exists(args.fifo):
    os.mkfifo(args.fifo, 0o666)
reader = os.open(args.fifo, os.O_RDONLY | os.O_NONBLOCK)
events = racer.Events(args)
received = 0


def drain():
    global received
    while True:
        try:
            data = os.read(reader, 65536)
        except BlockingIOError:
            return
        if not data:
            return
        received += len(data)
        events.add(kind='fifo', bytes=len(data), head=data[:64].decode('latin-1'))


final = os.path.join(args.dir, args.name)
staging = os.path.join(args.dir, '.flip-' + str(os.getpid()))
bound = racer.Bound(args)
racer.ready(args)
swaps = 0
while bound.go():
    target = args.target[bound.count % len(args.target)]
    if racer.rename_over(staging, final, lambda path: os.symlink(target, path)):
        swaps += 1
    drain()
drain()
racer.result(args, swaps=swaps, fifo_bytes=received, iterations=bound.count)
