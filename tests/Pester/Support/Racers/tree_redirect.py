"""Tree redirection: watches --watch and, as soon as a real directory whose name matches
--pattern appears there, renames it away (inside --watch, so no write permission on it is
needed) and puts a symlink to --target (an absolute path outside the copy) in its place."""
import os
import re
import stat
import racer

p = racer.parser(__doc__)
p.add_argument('--watch', required=True)
p.add_argument('--pattern', required=True)
p.add_argument('--target', required=True)
args = p.parse_args()
pattern = re.compile(args.pattern)
events = racer.Events(args)
bound = racer.Bound(args)
racer.ready(args)
swaps = 0
moved = 0
while bound.go():
    try:
        names = os.listdir(args.watch)
    except OSError:
        continue
    for name in names:
        if not pattern.fullmatch(name):
            continue
        path = os.path.join(args.watch, name)
        try:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                continue
        except OSError:
            continue
        moved += 1
        aside = os.path.join(args.watch, '.moved-%s-%d' % (name, moved))
        if racer.quietly(os.rename, path, aside) and racer.quietly(os.symlink, args.target, path):
            swaps += 1
            events.add(kind='swap', name=name)
racer.result(args, swaps=swaps, iterations=bound.count)
