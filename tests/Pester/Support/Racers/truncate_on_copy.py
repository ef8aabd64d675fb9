"""Truncation mid-copy: as soon as the copy has started, truncates --file (the attacker's own
source) to --size, once. The start shows as a read of the file (its access time moves: the test
sets it before the modification time, so relatime updates it on the first read), as a name ending
in --suffix (a temporary file) appearing in --watch, or, whichever comes first, --delay seconds
after the file --go appears (the test makes it just before it starts the copy). With --on-open the
start is the copy's open of the file (inotify IN_OPEN), and the cut comes --delay seconds later:
where the access time only moves once the whole file was read (tmpfs), that is the one sure sign
of a copy under way."""
import ctypes
import os
import time
import racer
import select

IN_OPEN = 0x20

p = racer.parser(__doc__)
p.add_argument('--file', required=True)
p.add_argument('--watch', required=True)
p.add_argument('--suffix', default='.splicetmp')
p.add_argument('--size', type=int, default=1 << 20)
p.add_argument('--go')
p.add_argument('--delay', type=float, default=0.002)
p.add_argument('--on-open', action='store_true')
args = p.parse_args()
opened = None
if args.on_open:
    libc = ctypes.CDLL(None, use_errno=True)
    opened = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if opened < 0 or libc.inotify_add_watch(opened, os.fsencode(args.file), IN_OPEN) < 0:
        raise OSError(ctypes.get_errno(), 'inotify')
events = racer.Events(args)
bound = racer.Bound(args)
accessed = os.stat(args.file).st_atime_ns
racer.ready(args)
truncated = False
go_at = None
while bound.go():
    why = None
    if opened is not None:
        if not select.select([opened], [], [], 0.05)[0]:
            continue
        os.read(opened, 4096)
        time.sleep(args.delay)
        why = 'open'
    elif os.stat(args.file).st_atime_ns != accessed:
        why = 'read'
    elif go_at is not None and time.monotonic() >= go_at:
        why = 'go'
    elif bound.count % 8 == 0:
        if go_at is None and args.go and os.path.exists(args.go):
            go_at = time.monotonic() + args.delay
        try:
            if any(name.endswith(args.suffix) for name in os.listdir(args.watch)):
                why = 'temporary'
        except OSError:
            pass
    if why:
        os.truncate(args.file, args.size)
        truncated = True
        events.add(kind='truncated', size=args.size, why=why)
        break
racer.result(args, truncated=truncated)
