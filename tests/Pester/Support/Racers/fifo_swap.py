"""Source kind swapping: DIR/NAME is, in turn, a regular file and a FIFO that nobody writes (both
hard links of files made here, so the FIFO is always reachable as DIR/fifo to free a reader
stuck in open(2) on it)."""
import os
import racer

p = racer.parser(__doc__)
p.add_argument('--dir', required=True)
p.add_argument('--name', required=True)
args = p.parse_args()
regular = os.path.join(args.dir, 'regular')
fifo = os.path.join(args.dir, 'fifo')
with open(regular, 'wb') as f:
    f.write(b'plain data\n')
if not os.path.exists(fifo):
    os.mkfifo(fifo, 0o644)
final = os.path.join(args.dir, args.name)
staging = os.path.join(args.dir, '.swap')
bound = racer.Bound(args)
racer.ready(args)
swaps = 0
while bound.go():
    for source in (regular, fifo):
        racer.quietly(os.unlink, staging)
        if racer.quietly(os.link, source, staging) and racer.quietly(os.rename, staging, final):
            swaps += 1
racer.quietly(os.unlink, staging)
racer.result(args, swaps=swaps)
