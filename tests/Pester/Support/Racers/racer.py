"""Shared plumbing of the attack racers (run as an unprivileged user by the Security.*.Tests.ps1).

Every racer is bounded twice: it stops after --seconds and after --max iterations, and also as
soon as the file --stop exists (checked every few iterations), so that it can never outlive its
test even when nobody kills it. --ready is created once the racer is set up; --result receives a
JSON summary at the end, and events (bytes it should never have got) are appended to --events as
they happen, flushed at once, so that they survive a kill.
"""
import argparse
import json
import os
import time


def parser(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument('--seconds', type=float, default=5.0)
    p.add_argument('--max', type=int, default=1_000_000)
    p.add_argument('--ready')
    p.add_argument('--stop')
    p.add_argument('--result')
    p.add_argument('--events')
    return p


class Bound:
    """`while bound.go():` runs until the deadline, the iteration limit or the stop file."""

    def __init__(self, args):
        self.deadline = time.monotonic() + args.seconds
        self.max = args.max
        self.stop = args.stop
        self.count = 0

    def go(self):
        self.count += 1
        if self.count > self.max:
            return False
        if self.count % 32 == 0:
            if time.monotonic() > self.deadline:
                return False
            if self.stop and os.path.exists(self.stop):
                return False
        return True


def ready(args):
    if args.ready:
        with open(args.ready, 'w') as f:
            f.write(str(os.getpid()))


class Events:
    """Appends one JSON line per event to --events, flushed at once."""

    def __init__(self, args):
        self.file = open(args.events, 'a', buffering=1) if args.events else None
        self.count = 0

    def add(self, **event):
        self.count += 1
        if self.file:
            self.file.write(json.dumps(event) + '\n')
            self.file.flush()


def result(args, **summary):
    if args.result:
        temporary = args.result + '.part'
        with open(temporary, 'w') as f:
            json.dump(summary, f)
        os.replace(temporary, args.result)


def quietly(call, *arguments):
    """Runs one racing step; losing the race (ENOENT, EEXIST, EACCES...) is normal."""
    try:
        call(*arguments)
        return True
    except OSError:
        return False


def rename_over(staging, final, make):
    """One swap: makes a new item at `staging` (make(staging)) and renames it over `final`;
    True when both steps won their race."""
    quietly(os.unlink, staging)
    return quietly(make, staging) and quietly(os.rename, staging, final)
