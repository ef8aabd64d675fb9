"""The other user: walks --root again and again, listing every directory it can and reading every
file it can. Each file read is an event (with whether --marker was in it), and so is the first
sight of each (path, mode), so that the test can compare every mode this user saw with the
source's."""
import os
import stat
import racer

p = racer.parser(__doc__)
p.add_argument('--root', required=True)
p.add_argument('--marker', default='SECRET')
args = p.parse_args()
marker = args.marker.encode()
events = racer.Events(args)
bound = racer.Bound(args)
seen = set()
reads = 0
listed = 0
racer.ready(args)


def visit(path, relative):
    global reads, listed
    try:
        st = os.lstat(path)
    except OSError:
        return
    mode = stat.S_IMODE(st.st_mode)
    if relative and (relative, mode) not in seen:
        seen.add((relative, mode))
        events.add(kind='mode', path=relative, mode='%o' % mode)
    if stat.S_ISDIR(st.st_mode):
        try:
            names = os.listdir(path)
        except OSError:
            return
        if relative:
            listed += 1
            events.add(kind='listed', path=relative, entries=len(names))
        for name in names:
            visit(os.path.join(path, name), relative + '/' + name if relative else name)
    elif stat.S_ISREG(st.st_mode):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return
        try:
            data = os.read(fd, 1 << 20)
        except OSError:
            data = None
        finally:
            os.close(fd)
        if data is not None:
            reads += 1
            events.add(kind='read', path=relative, bytes=len(data), secret=marker in data)


while bound.go():
    visit(args.root, '')
racer.result(args, reads=reads, listed=listed, passes=bound.count)
