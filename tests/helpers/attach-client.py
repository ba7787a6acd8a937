#!/usr/bin/env python3
"""A client of a detached container's attach socket (lib/attach.h), for the
tests: attach-client.py STATE_DIR [--input TEXT] [--eof] [--resize ROWS COLS]
[--hello]

Prints the container's stdout and stderr on its own, sends the input (then
end of input with --eof) and the window size, and exits with the container's
exit status when the supervisor sends it (3 when the connection ends
without one).  --hello prints the hello flags (tty, stdin) and exits."""
import os
import socket
import struct
import sys

args = sys.argv[1:]
state_dir = args.pop(0)
dirfd = os.open(state_dir, os.O_PATH | os.O_DIRECTORY)
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/proc/self/fd/%d/attach" % dirfd)
hello = s.recv(16385)
assert hello[:1] == b"h", hello
if "--hello" in args:
    print("tty" if hello[1] & 1 else "notty", "stdin" if hello[1] & 2 else "nostdin")
    sys.exit(0)
while args:
    a = args.pop(0)
    if a == "--input":
        s.send(b"i" + args.pop(0).encode())
    elif a == "--eof":
        s.send(b"e")
    elif a == "--resize":
        rows, cols = int(args.pop(0)), int(args.pop(0))
        s.send(b"w" + struct.pack("HHHH", rows, cols, 0, 0))
while True:
    m = s.recv(16385)
    if not m:
        sys.exit(3)
    kind, data = m[:1], m[1:]
    if kind == b"1":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    elif kind == b"2":
        sys.stderr.buffer.write(data)
        sys.stderr.flush()
    elif kind == b"x":
        sys.exit(int(data))
