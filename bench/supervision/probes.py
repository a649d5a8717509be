"""What a client sees of a supervised server: an echo, an HTTP answer, a refused connection.

Shared by bench/supervision/compare and bench/reload. Every wait polls every millisecond: the
figures measured are tens to hundreds of milliseconds, so the poll adds at most 1 ms.
"""
import socket
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def echoes(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"x")
            return s.recv(1) == b"x"
    except OSError:
        return False


def wait_serving(port, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if echoes(port):
            return time.monotonic()
        time.sleep(0.001)
    raise RuntimeError(f"port {port} did not echo within {timeout}s")


def http_get(port, timeout=5.0):
    """"ok", "refused" (no listener: ECONNREFUSED) or "cut" (connected, no whole answer)."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return "refused"
    except OSError:
        return "cut"
    try:
        with s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            return "ok" if s.recv(12).startswith(b"HTTP/1.1 200") else "cut"
    except OSError:
        return "cut"


def wait_http(port, timeout=30.0):
    """The moment of the first answered request: "serving" means answered, not connected.

    Under Corral the connect succeeds at once (the agent holds the socket) and the request waits
    in the backlog until the program accepts; under supervisord, or run bare, it is refused until
    the program has bound its port. Either way the first answer ends the measure.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if http_get(port) == "ok":
            return time.monotonic()
        time.sleep(0.001)
    raise RuntimeError(f"port {port} did not answer HTTP within {timeout}s")


def wait_dead(pid, timeout=30.0):
    """Until `pid` is gone or a zombie: its sockets are closed then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return
        except OSError:
            return
        time.sleep(0.001)
    raise RuntimeError(f"pid {pid} still alive")


def wait_not_pid(get_pid, old, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid = get_pid()
        if pid and pid != old:
            return pid
        time.sleep(0.005)
    raise RuntimeError("no new pid")


def outcomes_during(action, port, settle=0.5):
    """Runs `action()` while a client requests in a loop; returns the outcome counts.

    `settle` seconds after the action returns, the client stops: supervisorctl returns after
    startsecs, corralctl once the new process is READY, and both should serve by then.
    """
    done = threading.Event()
    counts = {"ok": 0, "refused": 0, "cut": 0}

    def client():
        while not done.is_set():
            counts[http_get(port)] += 1

    thread = threading.Thread(target=client)
    thread.start()
    time.sleep(0.2)
    try:
        action()
        time.sleep(settle)
    finally:
        done.set()
        thread.join()
    return counts
