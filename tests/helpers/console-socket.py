#!/usr/bin/env python3
"""console-socket.py SOCKET READY — the receiving end of runc's
--console-socket, as conmon is: listen on SOCKET (touch READY once
listening), take the one message with its fd (SCM_RIGHTS), print
"name: <the message>" and "fd: <where the fd points>", then copy what the
terminal shows to stdout until it reports end of file or 5 s pass."""
import array
import os
import select
import socket
import sys
import time

path, ready = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
open(ready, "w").close()
srv.settimeout(10)
conn, _ = srv.accept()
msg, anc, _, _ = conn.recvmsg(64, socket.CMSG_LEN(array.array("i", [0]).itemsize))
fds = array.array("i")
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
if len(fds) != 1:
    sys.exit("console-socket: expected one fd, got %d" % len(fds))
print("name: " + msg.decode(), flush=True)
print("fd: " + os.readlink("/proc/self/fd/%d" % fds[0]), flush=True)
end = time.time() + 5
while time.time() < end:
    r, _, _ = select.select([fds[0]], [], [], 0.2)
    if not r:
        continue
    try:
        data = os.read(fds[0], 4096)
    except OSError:  # EIO: the terminal's last user is gone
        break
    if not data:
        break
    sys.stdout.write(data.decode(errors="replace"))
    sys.stdout.flush()
