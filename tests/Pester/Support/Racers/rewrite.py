"""In-place rewriting: writes new blocks at random places of --file (the attacker's own file),
as fast as it can, without changing its size."""
import os
import random
import racer

p = racer.parser(__doc__)
p.add_argument('--file', required=True)
p.add_argument('--block', type=int, default=65536)
args = p.parse_args()
fd = os.open(args.file, os.O_WRONLY)
size = os.fstat(fd).st_size
blocks = max(1, size // args.block)
bound = racer.Bound(args)
racer.ready(args)
writes = 0
while bound.go():
    data = bytes([writes % 251]) * args.block
    os.pwrite(fd, data, random.randrange(blocks) * args.block)
    writes += 1
os.close(fd)
racer.result(args, writes=writes)
