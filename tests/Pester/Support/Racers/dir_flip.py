"""Directory flipping: every directory in --watch whose name matches --pattern is, again and
again, renamed aside (to .aside-NAME, inside --watch, so no permission on it is needed), replaced
by a symlink to --target (an absolute path outside), and then put back (the link removed, the
directory renamed back). Whatever removes those directories sees, at any moment, either the real
directory or a link to --target; one that followed the link would empty --target."""
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
bound = racer.Bound(args)
racer.ready(args)
swaps = 0
while bound.go():
    try:
        names = [n for n in os.listdir(args.watch) if pattern.fullmatch(n)]
    except OSError:
        continue
    for name in names:
        path = os.path.join(args.watch, name)
        aside = os.path.join(args.watch, '.aside-' + name)
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue
        if stat.S_ISDIR(mode):
            if racer.quietly(os.rename, path, aside) and racer.quietly(os.symlink, args.target, path):
                swaps += 1
        elif stat.S_ISLNK(mode) and os.path.isdir(aside):
            if racer.quietly(os.unlink, path):
                racer.quietly(os.rename, aside, path)
racer.result(args, swaps=swaps, iterations=bound.count)
