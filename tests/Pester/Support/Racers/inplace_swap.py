"""In-place swapping: renames over DIR/NAME, again and again, a fresh regular file of ours and a
symlink to --target (a victim) in turn, so that a copy writing into the file it saw there
(-InPlace) finds another file, or a link, when it opens the name. The victim must never change."""
import os
import racer

p = racer.parser(__doc__)
p.add_argument('--dir', required=True)
p.add_argument('--name', required=True)
p.add_argument('--target', required=True)
args = p.parse_args()

final = os.path.join(args.dir, args.name)
staging = os.path.join(args.dir, '.inplace-' + str(os.getpid()))
bound = racer.Bound(args)
racer.ready(args)
swaps = 0


def link_to_victim(path):
    os.symlink(args.target, path)


def file_of_ours(path):
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))


while bound.go():
    if racer.rename_over(staging, final, link_to_victim if bound.count % 2 else file_of_ours):
        swaps += 1
racer.result(args, swaps=swaps, iterations=bound.count)
