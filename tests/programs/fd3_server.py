#!/usr/bin/python3
"""A socket-activated test server, as a systemd service would be written: it takes its
listening socket from descriptor 3 (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) and binds nothing.

Each connection gets one HTTP/1.0 answer whose body is a JSON object describing this process
(pid, the hand-over variables, FOO from the environment, cwd, uid, umask, descriptor limit), so
a test can check what the supervisor gave it. Flags shape the misbehaviour a test needs:

  --notify          send READY=1 and STATUS= on NOTIFY_SOCKET once serving (sd_notify)
  --never-ready     never accept nor notify; just sleep
  --ignore-term     ignore SIGTERM (the supervisor must SIGKILL it)
  --grandchild F    leave a daemonised grandchild (double fork + setsid) and write its pid to F
  --exit-after-ms N exit with code 3 N ms after start (a crash loop)
  --ping-for-ms N   send WATCHDOG=1 every WATCHDOG_USEC/4 for N ms after READY, then hang
                    (stop pinging, keep serving): -1 pings for ever
  --bind HOST:PORT  without LISTEN_FDS, bind this address itself (how supervisord runs it)
  --slow-exit MS    on SIGTERM stop accepting at once, exit MS later (a drain), so a test can
                    connect while no process accepts
  --drain MS        on SIGTERM stop accepting, answer every connection it accepted, exit MS
                    later: how a server should drain, so a reload loses nothing
"""
import json
import os
import resource
import select
import signal
import socket
import sys
import threading
import time


def notify(message):
    target = os.environ.get("NOTIFY_SOCKET")
    if not target:
        return
    if target.startswith("@"):
        target = "\0" + target[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.sendto(message.encode(), target)


def inherited_socket(args):
    if "LISTEN_FDS" not in os.environ and "--bind" in args:
        host, port = args[args.index("--bind") + 1].rsplit(":", 1)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(1024)
        return s
    if os.environ.get("LISTEN_PID") != str(os.getpid()):
        sys.exit("LISTEN_PID is %r, not this process (%d)" % (os.environ.get("LISTEN_PID"), os.getpid()))
    if int(os.environ.get("LISTEN_FDS", "0")) < 1:
        sys.exit("no socket handed over (LISTEN_FDS)")
    return socket.socket(fileno=3)


def describe():
    mask = os.umask(0)
    os.umask(mask)
    return {
        "pid": os.getpid(),
        "listen_pid": os.environ.get("LISTEN_PID"),
        "listen_fds": os.environ.get("LISTEN_FDS"),
        "fdnames": os.environ.get("LISTEN_FDNAMES"),
        "foo": os.environ.get("FOO"),
        "bar": os.environ.get("BAR"),
        "cwd": os.getcwd(),
        "uid": os.getuid(),
        "umask": "%04o" % mask,
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE)[0],
        "stdin": os.readlink("/proc/self/fd/0"),
    }


def serve_one(conn, info):
    with conn:
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        body = json.dumps(info).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s"
                     % (len(body), body))


def leave_grandchild(path):
    """Returns once the grandchild's pid is in `path`, so a test that waits for READY finds it
    (the intermediate child exits at once; the grandchild writes the file on its own time)."""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open(path + ".tmp", "w") as f:
                f.write(str(os.getpid()))
            os.rename(path + ".tmp", path)
            while True:
                time.sleep(3600)
        os._exit(0)
    os.wait()
    deadline = time.monotonic() + 60
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)


def main():
    args = sys.argv[1:]
    if "--ignore-term" in args:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if "--grandchild" in args:
        leave_grandchild(args[args.index("--grandchild") + 1])
    if "--exit-after-ms" in args:
        delay = int(args[args.index("--exit-after-ms") + 1]) / 1000.0
        threading.Timer(delay, lambda: os._exit(3)).start()
    if "--never-ready" in args:
        while True:
            time.sleep(3600)
    listener = inherited_socket(args)
    info = describe()
    if "--slow-exit" in args:
        linger = int(args[args.index("--slow-exit") + 1]) / 1000.0

        def drain(signum, frame):
            listener.close()
            time.sleep(linger)
            os._exit(0)

        signal.signal(signal.SIGTERM, drain)
    draining = threading.Event()
    if "--drain" in args:
        linger = int(args[args.index("--drain") + 1]) / 1000.0

        def start_drain(signum, frame):
            # Returns, so a connection accepted just before is still handed to its thread.
            draining.set()
            threading.Timer(linger, lambda: os._exit(0)).start()

        signal.signal(signal.SIGTERM, start_drain)
    if "--notify" in args:
        notify("READY=1\nSTATUS=serving %d connections\n" % 0)
    if "--ping-for-ms" in args:
        ping_for = int(args[args.index("--ping-for-ms") + 1]) / 1000.0
        every = int(os.environ["WATCHDOG_USEC"]) / 4e6

        def ping():
            start = time.monotonic()
            while ping_for < 0 or time.monotonic() - start < ping_for:
                notify("WATCHDOG=1")
                time.sleep(every)

        threading.Thread(target=ping, daemon=True).start()
    print("serving on descriptor 3 as pid %d" % os.getpid(), flush=True)
    while not draining.is_set():
        # Polled, not a socket timeout: that would make the shared descriptor non-blocking
        # for every process holding it.
        if "--drain" in args and not select.select([listener], [], [], 0.05)[0]:
            continue
        conn, _ = listener.accept()
        threading.Thread(target=serve_one, args=(conn, info), daemon=True).start()
    while True:
        time.sleep(3600)  # the drain's timer ends the process


if __name__ == "__main__":
    main()
