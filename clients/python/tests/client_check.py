#!/usr/bin/env python3
"""Drives a real agent through corral.Client (run by tests/integration/remote_python_test.cc):

    client_check.py CONTEXTS_FILE OPERATOR_CONTEXT MONITOR_CONTEXT

Starts a tcp-echo server, lists it, reads its stats, watches two samples, is refused a stop
with the monitor context, stops it with the operator one. Prints one line per step; exits 1 with
the failed step's message otherwise.
"""
import sys

from corral import AgentError, Client


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


def main(path, operator, monitor):
    with Client.connect(operator, path) as agent:
        started = agent.start("py-web", protocol="tcp-echo", model="thread", listen="127.0.0.1:0")
        check(started.state == "RUNNING" and started.pid > 0, "start py-web: %s" % started.state)
        names = [s.name for s in agent.list()]
        check("py-web" in names, "list has py-web: %s" % names)
        stats = agent.stats("py-web")
        check("py-web" in stats and stats["py-web"].pid == started.pid, "stats of py-web")
        reports = list(agent.watch("py-web", interval_ms=100, count=2))
        check(len(reports) == 2 and reports[0].servers[0].name == "py-web", "watch: 2 samples")
    with Client.connect(monitor, path) as viewer:
        check([s.name for s in viewer.list()] == ["py-web"], "a monitor lists")
        try:
            viewer.stop("py-web")
            check(False, "a monitor may not stop")
        except AgentError as error:
            check(error.code == "PERMISSION_DENIED" and "may not call Stop" in error.details,
                  "a monitor is refused Stop: %s" % error)
    with Client.connect(operator, path) as agent:
        stopped = agent.stop("py-web")
        check(stopped.state == "STOPPED", "stop py-web: %s" % stopped.state)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(*sys.argv[1:4]))
    except (AssertionError, AgentError) as failure:
        print("client_check: FAILED:", failure, file=sys.stderr)
        sys.exit(1)
