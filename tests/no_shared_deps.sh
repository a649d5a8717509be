#!/bin/sh
# Usage: no_shared_deps.sh BINARY
# Fails when BINARY, linked with cmake/StaticDeps.cmake, still needs a shared gRPC, Protobuf or
# Abseil: the static copies would then run beside the shared ones, each with its own globals.
set -eu
needed=$(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
bad=$(printf '%s\n' "$needed" | grep -E '^lib(absl|grpc|gpr|upb|protobuf|address_sorting)' || true)
if [ -n "$bad" ]; then
  printf '%s still needs shared libraries it should link statically:\n%s\n' "$1" "$bad" >&2
  exit 1
fi
printf '%s needs only: %s\n' "$1" "$(printf '%s ' $needed)"
