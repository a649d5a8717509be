#!/usr/bin/python3
"""A socket-activated HTTP server (its socket from descriptor 3, as fd3_server.py takes it) for
the agent's health checks. GET /count answers how many probes came so far (connections closed
without a request, as the tcp probe's, and GET /healthz); any other path 200 "ok". Flags shape the misbehaviour a test needs:

  --hang-after-ms N  after N ms stop accepting (and so answering) for good, as a deadlocked
                     server would; the process stays alive
  --grow-mib N       once serving, allocate (and touch) N MiB more every 100 ms, without end
"""
import os
import select
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fd3_server import inherited_socket  # noqa: E402

probes = 0
lock = threading.Lock()


def count_probe():
    global probes
    with lock:
        probes += 1


def answer(conn):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                if not data:
                    count_probe()
                return
            data += chunk
        path = data.split(b" ", 2)[1] if data.count(b" ") >= 2 else b"/"
        if path == b"/healthz":
            count_probe()
        with lock:
            body = str(probes).encode() if path == b"/count" else b"ok"
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(body), body))


def grow(mib):
    hoard = []
    while True:
        hoard.append(b"x" * (mib << 20))
        time.sleep(0.1)


def main():
    args = sys.argv[1:]
    listener = inherited_socket(args)
    hang_at = None
    if "--hang-after-ms" in args:
        hang_at = time.monotonic() + int(args[args.index("--hang-after-ms") + 1]) / 1000.0
    if "--grow-mib" in args:
        mib = int(args[args.index("--grow-mib") + 1])
        threading.Thread(target=grow, args=(mib,), daemon=True).start()
    print("serving on descriptor 3 as pid %d" % os.getpid(), flush=True)
    while hang_at is None or time.monotonic() < hang_at:
        if not select.select([listener], [], [], 0.05)[0]:
            continue
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()
    print("hanging: no more accepts", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
