"""Not a racer: builds a test tree in one process (from pwsh, each file costs a few ms; here a few
microseconds): --dirs directories (--dir-name, a format of d) of --files files (--file-name, a
format of d and f) holding --text (a format of d and f), plus --also NAME=TEXT in each directory
and at the top. Modes are set exactly (umask does not apply)."""
import argparse
import os

p = argparse.ArgumentParser(description=__doc__)
p.add_argument('--root', required=True)
p.add_argument('--dirs', type=int, default=0)
p.add_argument('--files', type=int, default=0)
p.add_argument('--dir-name', default='d{d:02}')
p.add_argument('--file-name', default='f{f:02}')
p.add_argument('--text', default='file {d}/{f}\n')
p.add_argument('--dir-mode', default='755')
p.add_argument('--file-mode', default='644')
p.add_argument('--root-mode')
p.add_argument('--also', action='append', default=[])
args = p.parse_args()
dir_mode = int(args.dir_mode, 8)
file_mode = int(args.file_mode, 8)
also = [item.split('=', 1) for item in args.also]


def write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, file_mode)


os.makedirs(args.root, exist_ok=True)
for name, text in also:
    write(os.path.join(args.root, name), text.replace('\\n', '\n').format(d='top', f=name))
for d in range(args.dirs):
    directory = os.path.join(args.root, args.dir_name.format(d=d))
    os.mkdir(directory)
    for f in range(args.files):
        write(os.path.join(directory, args.file_name.format(d=d, f=f)), args.text.replace('\\n', '\n').format(d=d, f=f))
    for name, text in also:
        write(os.path.join(directory, name), text.replace('\\n', '\n').format(d=d, f=name))
    os.chmod(directory, dir_mode)
os.chmod(args.root, int(args.root_mode or args.dir_mode, 8))
