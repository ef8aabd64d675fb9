"""Temporary-file swapping: watches --watch for names ending in --suffix (the engine's hidden
temporary files) and renames over each a symlink to --target (a victim outside the directory)."""
import os
import racer

p = racer.parser(__doc__)
p.add_argument('--watch', required=True)
p.add_argument('--suffix', default='.splicetmp')
p.add_argument('--target', required=True)
args = p.parse_args()
events = racer.Events(args)
bound = racer.Bound(args)
staging = os.path.join(args.watch, '.swap-%d' % os.getpid())
racer.ready(args)
swaps = 0
done = set()
while bound.go():
    try:
        names = os.listdir(args.watch)
    except OSError:
        continue
    for name in names:
        if not name.endswith(args.suffix) or name in done:
            continue
        racer.quietly(os.unlink, staging)
        if racer.quietly(os.symlink, args.target, staging) and racer.quietly(os.rename, staging, os.path.join(args.watch, name)):
            swaps += 1
            done.add(name)
            events.add(kind='swap', name=name)
racer.result(args, swaps=swaps, iterations=bound.count)
