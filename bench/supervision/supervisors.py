"""The two supervisors bench/supervision/compare drives, each with a private home, and the bare
program beside them. Both daemons run at once so that each run can alternate between them.

Each start method returns the start command as a running process (its return is measured too);
each knows from its own log when it spawned the program (`spawned_at`), for the breakdown.
"""
import datetime
import os
import re
import signal
import subprocess
import sys
import time

from probes import free_port

PY_PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests",
                          "programs", "fd3_server.py")

# On SIGTERM the program stops accepting, answers what it accepted and exits 200 ms later, as a
# server that drains; without it a restart cuts the requests in flight under either supervisor.
# Under supervisord its port stays bound meanwhile, and what connects then is reset at its exit
# (cut); under Corral it waits on the agent's socket for the next process.
PY_ARGS = ["--drain", "200"]


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=60).stdout


def log_times(path, pattern, time_format, since):
    """Wall-clock times (seconds) of the lines of `path` matching `pattern` at or after `since`.

    Both logs stamp lines in local time to the millisecond, so a line is kept from 1 ms before.
    """
    times = []
    stamp = re.compile(r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.,]\d{3})")
    with open(path, errors="replace") as f:
        for line in f:
            m = stamp.match(line)
            if not m or not re.search(pattern, line):
                continue
            t = datetime.datetime.strptime(m.group(1).replace(",", "."), time_format).timestamp()
            if t >= since - 0.001:
                times.append(t)
    return times


class Bare:
    """The Python program alone, binding its own port: what no supervisor can beat."""
    name = "bare"

    def __init__(self):
        self.py_port = free_port()
        self.proc = None

    def start_py(self):
        self.proc = subprocess.Popen([sys.executable, PY_PROGRAM, "--bind",
                                      f"127.0.0.1:{self.py_port}", *PY_ARGS],
                                     stdout=subprocess.DEVNULL)
        return None

    def stop_py(self):
        self.proc.kill()
        self.proc.wait()


class Corral:
    name = "corral"

    def __init__(self, bin_dir, tmp):
        self.home = os.path.join(tmp, "corral")
        os.mkdir(self.home, 0o700)
        self.log = os.path.join(tmp, "agent.log")
        self.ctl = [os.path.join(bin_dir, "corralctl"), "--agent", f"unix:{self.home}/agent.sock"]
        self.port = free_port()
        self.py_port = free_port()
        # As root (CI), the echo server has no user and runs as root, which needs saying.
        root_flags = ["--allow-root-servers"] if os.geteuid() == 0 else []
        self.agent = subprocess.Popen(
            [os.path.join(bin_dir, "corral-agent"), "--home", self.home, "--stop-servers-on-exit",
             *root_flags],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        deadline = time.monotonic() + 20
        while subprocess.run(self.ctl + ["ls"], capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("corral-agent did not come up")
            time.sleep(0.05)

    def ls(self):
        return self.ctl + ["ls"]

    def start(self):
        # The first crash after a run of --stable-after-ms restarts at once; the bench waits
        # longer than that between crashes, as a long-running server would.
        return subprocess.Popen(self.ctl + ["start", "echo", "--listen", f"127.0.0.1:{self.port}",
                                            "--stable-after-ms", "1000"],
                                stdout=subprocess.DEVNULL)

    def stop(self):
        run(self.ctl + ["rm", "echo"])

    def start_py(self):
        return subprocess.Popen(self.ctl + ["start", "py", "--listen", f"127.0.0.1:{self.py_port}",
                                            "--ready", "notify", "--", sys.executable, PY_PROGRAM,
                                            "--notify", *PY_ARGS],
                                stdout=subprocess.DEVNULL)

    def restart_py(self):
        run(self.ctl + ["restart", "py"])

    def stop_py(self):
        run(self.ctl + ["rm", "py"])

    def pid(self):
        out = run(self.ctl + ["--json", "get", "echo"])
        for line in out.splitlines():
            if '"pid"' in line:
                return int(line.split(":")[1].strip().rstrip(","))
        return 0

    def events(self, since):
        """When the agent took the start (after saving it), spawned the program, saw READY."""
        fmt = "%Y-%m-%d %H:%M:%S.%f"
        found = {}
        for key, pattern in (("accepted", r'"py": \w+ -> STARTING \(start-requested\)'),
                             ("spawned", r'"py": spawned pid'),
                             ("ready", r'"py": STARTING -> RUNNING')):
            times = log_times(self.log, pattern, fmt, since)
            if times:
                found[key] = times[0]
        return found

    def close(self):
        self.agent.send_signal(signal.SIGTERM)
        self.agent.wait(30)


class Supervisord:
    name = "supervisord"

    def __init__(self, bin_dir, tmp):
        self.dir = os.path.join(tmp, "supervisord")
        os.mkdir(self.dir, 0o700)
        self.conf = os.path.join(self.dir, "supervisord.conf")
        self.log = os.path.join(self.dir, "supervisord.log")
        self.port = free_port()
        self.py_port = free_port()
        # startsecs=1 is supervisord's default: `supervisorctl start` returns once the program has
        # run that long, its only notion of ready.
        with open(self.conf, "w") as f:
            f.write(f"""[unix_http_server]
file={self.dir}/supervisor.sock
chmod=0700

[supervisord]
logfile={self.log}
pidfile={self.dir}/supervisord.pid
childlogdir={self.dir}
nodaemon=true

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{self.dir}/supervisor.sock

[program:echo]
command={os.path.join(bin_dir, "corral-server")} --protocol tcp-echo --model thread --listen 127.0.0.1:{self.port}
autostart=false
autorestart=true
startsecs=1
stopasgroup=true
killasgroup=true

[program:py]
command={sys.executable} {PY_PROGRAM} --bind 127.0.0.1:{self.py_port} {" ".join(PY_ARGS)}
autostart=false
autorestart=true
startsecs=1
stopasgroup=true
killasgroup=true
""")
        self.ctl = ["supervisorctl", "-c", self.conf]
        self.daemon = subprocess.Popen(["supervisord", "-c", self.conf],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while subprocess.run(self.ctl + ["status"], capture_output=True).returncode not in (0, 3):
            if time.monotonic() > deadline:
                raise RuntimeError("supervisord did not come up")
            time.sleep(0.05)

    def ls(self):
        return self.ctl + ["status"]

    def start(self):
        return subprocess.Popen(self.ctl + ["start", "echo"], stdout=subprocess.DEVNULL)

    def stop(self):
        run(self.ctl + ["stop", "echo"])

    def start_py(self):
        return subprocess.Popen(self.ctl + ["start", "py"], stdout=subprocess.DEVNULL)

    def restart_py(self):
        run(self.ctl + ["restart", "py"])

    def stop_py(self):
        run(self.ctl + ["stop", "py"])

    def pid(self):
        out = subprocess.run(self.ctl + ["pid", "echo"], capture_output=True, text=True).stdout
        try:
            return int(out.strip())
        except ValueError:
            return 0

    def events(self, since):
        """When supervisord spawned the program (it has no step before, nor a READY)."""
        times = log_times(self.log, r"spawned: 'py'", "%Y-%m-%d %H:%M:%S.%f", since)
        return {"spawned": times[0]} if times else {}

    def close(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.daemon.wait(30)


class _Done:
    """A start command that has already returned."""

    def wait(self, timeout=None):
        return 0


class SupervisordRpc:
    """The same supervisord driven over its XML-RPC socket from this process, without
    supervisorctl: what the daemon itself costs, without its command line's Python start-up."""
    name = "supervisord rpc"

    def __init__(self, daemon):
        from supervisor.xmlrpc import SupervisorTransport
        import xmlrpc.client
        self.daemon = daemon
        self.py_port = daemon.py_port
        transport = SupervisorTransport(None, None, f"unix://{daemon.dir}/supervisor.sock")
        self.proxy = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def start_py(self):
        self.proxy.supervisor.startProcess("py", False)  # returns once spawned
        return _Done()

    def stop_py(self):
        self.proxy.supervisor.stopProcess("py", True)

    def events(self, since):
        return self.daemon.events(since)
