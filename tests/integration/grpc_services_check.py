#!/usr/bin/env python3
"""Checks that an agent serves the standard health service and server reflection, with raw
protobuf bytes so that no extra Python package is needed. Usage: grpc_services_check.py TARGET"""
import sys

import grpc


def main():
    channel = grpc.insecure_channel(sys.argv[1])
    check = channel.unary_unary("/grpc.health.v1.Health/Check")
    # HealthCheckRequest{service: "corral.v1.Agent"} -> HealthCheckResponse{status: SERVING (1)}
    service = b"corral.v1.Agent"
    reply = check(b"\x0a" + bytes([len(service)]) + service, timeout=10)
    assert reply == b"\x08\x01", "health: %r" % reply

    info = channel.stream_stream(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    # ServerReflectionRequest{list_services: ""} (field 7)
    replies = list(info(iter([b"\x3a\x00"]), timeout=10))
    assert replies and b"corral.v1.Agent" in replies[0], "reflection: %r" % replies
    print("health SERVING; reflection lists corral.v1.Agent")


if __name__ == "__main__":
    main()
