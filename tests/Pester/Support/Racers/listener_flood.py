"""Slow handshakes: watches /proc/net/tcp (which every user may read) for a new listening socket on
--address, and opens --count connections to each new one that send nothing and stay open (a
listener that hears one handshake at a time is held off by them for --count times its handshake
time-out). Counts the listeners found, the connections made and those the listener closed."""
import ipaddress
import select
import socket
import racer

p = racer.parser(__doc__)
p.add_argument('--address', required=True)
p.add_argument('--count', type=int, default=8)
args = p.parse_args()
wanted = '%08X' % int.from_bytes(ipaddress.IPv4Address(args.address).packed, 'little')


def listening():
    ports = set()
    with open('/proc/net/tcp') as table:
        for line in list(table)[1:]:
            fields = line.split()
            address, port = fields[1].split(':')
            if address == wanted and fields[3] == '0A':
                ports.add(int(port, 16))
    return ports


seen = listening()
held = []
found = made = closed = 0
bound = racer.Bound(args)
racer.ready(args)
while bound.go():
    for port in listening() - seen:
        seen.add(port)
        found += 1
        for _ in range(args.count):
            s = socket.socket()
            s.setblocking(False)
            if s.connect_ex((args.address, port)) in (0, 115):
                held.append(s)
                made += 1
            else:
                s.close()
    readable = select.select(held, [], [], 0.001)[0] if held else []
    for s in readable:
        try:
            gone = s.recv(1) == b''
        except OSError:
            gone = True
        if gone:
            held.remove(s)
            s.close()
            closed += 1
racer.result(args, listeners=found, connections=made, closed=closed)
