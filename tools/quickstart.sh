#!/usr/bin/env bash
# Set this host up and deploy the example cluster, then list its nodes.
#
# Usage (as root): tools/quickstart.sh [--teardown]
#   --teardown  remove the example cluster and the demo bridge again

set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${TENKS_VENV:-/opt/tenks}
CLUSTER=examples/cluster.yaml
DEMO_BRIDGE=tkdemo0

tools/setup-host.sh
if [ ! -x "$VENV/bin/tenks" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q .
fi

if [ "${1:-}" = "--teardown" ]; then
    "$VENV/bin/tenks" teardown "$CLUSTER"
    if ip -d link show "$DEMO_BRIDGE" 2>/dev/null | grep -q "alias tenks-demo"; then
        ip link del "$DEMO_BRIDGE"
    fi
    exit 0
fi

if ! ip link show "$DEMO_BRIDGE" >/dev/null 2>&1; then
    ip link add "$DEMO_BRIDGE" type bridge
    ip link set "$DEMO_BRIDGE" alias tenks-demo
    ip link set "$DEMO_BRIDGE" up
fi
"$VENV/bin/tenks" deploy "$CLUSTER"
"$VENV/bin/tenks" list "$CLUSTER"
