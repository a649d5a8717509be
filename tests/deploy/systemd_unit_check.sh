#!/bin/sh
# Usage: systemd_unit_check.sh SOURCE_DIR CORRAL_AGENT
# `systemd-analyze verify` of deploy/systemd/corral-agent.service, with ExecStart pointed at the
# built agent (the unit names the installed path). Skipped (exit 77) where systemd-analyze is
# missing; the unit's readiness itself is tested by remote_many_test (SystemdReadyTest).
set -eu
unit="$1/deploy/systemd/corral-agent.service"
grep -q '^Type=notify$' "$unit" || { echo "$unit: not Type=notify" >&2; exit 1; }
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skipped: systemd-analyze is not installed (apt-get install systemd)"
  exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s#/usr/local/bin/corral-agent#$2#" "$unit" > "$dir/corral-agent.service"
out=$(systemd-analyze verify "$dir/corral-agent.service" 2>&1) || { echo "$out" >&2; exit 1; }
# verify prints warnings without failing; any line about our unit is a finding.
if printf '%s\n' "$out" | grep -q 'corral-agent.service'; then echo "$out" >&2; exit 1; fi
echo "systemd-analyze verify: clean"
