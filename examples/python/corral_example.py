#!/usr/bin/env python3
"""Start, list and stop a Corral server from Python.

Uses stubs generated from proto/corral/v1 (the build writes them to build/python):

    PYTHONPATH=build/python python3 examples/python/corral_example.py

It talks to the agent on its default socket, or the one given with --agent.
"""
import argparse
import os
import socket
import sys

import grpc

from corral.v1 import agent_pb2, agent_pb2_grpc, server_pb2


def default_agent():
    home = os.environ.get("CORRAL_HOME") or "%s/corral-%d" % (
        os.environ.get("XDG_RUNTIME_DIR") or "/tmp", os.getuid())
    return "unix:" + home + "/agent.sock"


def echo(address, message):
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(message)
        received = b""
        while len(received) < len(message):
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


def main():
    try:
        return run()
    except grpc.RpcError as error:
        # The agent's message says what went wrong and what to do; a traceback would not.
        print("corral_example: %s (%s)" % (error.details(), error.code().name), file=sys.stderr)
        return 1


def run():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default=default_agent())
    parser.add_argument("--name", default="py-echo")
    args = parser.parse_args()

    stub = agent_pb2_grpc.AgentStub(grpc.insecure_channel(args.agent))

    spec = server_pb2.ServerSpec(name=args.name, protocol=server_pb2.PROTOCOL_TCP_ECHO,
                                 model=server_pb2.MODEL_THREAD, listen="127.0.0.1:0")
    server = stub.Start(agent_pb2.StartRequest(spec=spec), timeout=30).server
    if server.state != server_pb2.STATE_RUNNING:
        print("start failed: %s" % server.reason, file=sys.stderr)
        return 1
    print("started %s on %s (pid %d)" % (server.spec.name, server.bound_address, server.pid))

    reply = echo(server.bound_address, b"hello from python")
    print("echoed: %s" % reply.decode())

    for s in stub.List(agent_pb2.ListRequest(), timeout=10).servers:
        print("listed %s %s" % (s.spec.name, server_pb2.State.Name(s.state)))

    stopped = stub.Stop(agent_pb2.StopRequest(name=args.name), timeout=30).server
    print("stopped %s: %s" % (args.name, server_pb2.State.Name(stopped.state)))
    stub.Remove(agent_pb2.RemoveRequest(name=args.name), timeout=30)
    return 0 if reply == b"hello from python" else 1


if __name__ == "__main__":
    sys.exit(main())
