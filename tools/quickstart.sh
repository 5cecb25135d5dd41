#!/usr/bin/env bash
# Set this host up, deploy the example cluster, enrol it into Ironic and
# list its nodes. Without a configured cloud (OS_CLOUD, OS_AUTH_URL) the
# nodes go into a throwaway standalone Ironic on 127.0.0.1:6385.
#
# Usage (as root): tools/quickstart.sh [--teardown]
#   --teardown  remove the example cluster, the demo bridge and the
#               throwaway Ironic again

set -euo pipefail

cd "$(dirname "$0")/.."
VENV=${TENKS_VENV:-/opt/tenks}
CLUSTER=examples/cluster.yaml
DEMO_BRIDGE=tkdemo0
# The throwaway Ironic's provisioning network, plugged into the demo bridge.
PROVISIONING_DEVICE=tkdemo0p
IRONIC_DIR=/var/lib/tenks/example/ironic

tools/setup-host.sh
if [ ! -x "$VENV/bin/pip" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade .

standalone=0
if [ -z "${OS_CLOUD:-}" ] && [ -z "${OS_AUTH_URL:-}" ]; then
    standalone=1
    if [ ! -x "$VENV/bin/ironic" ]; then
        "$VENV/bin/pip" install -q ironic python-ironicclient
    fi
    export OS_CLIENT_CONFIG_FILE=$IRONIC_DIR/clouds.yaml
    export OS_CLOUD=tenks-standalone
fi
ironic_tool() { "$VENV/bin/python" tools/standalone_ironic.py "$@" \
    --workdir "$IRONIC_DIR"; }

if [ "${1:-}" = "--teardown" ]; then
    "$VENV/bin/tenks" teardown "$CLUSTER"
    if [ "$standalone" = 1 ]; then
        ironic_tool stop --purge
    fi
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
if [ "$standalone" = 1 ]; then
    if ! ironic_tool status >/dev/null; then
        ironic_tool start --provisioning-network "$PROVISIONING_DEVICE" \
            --boot-artefacts
    fi
    ip link set "$PROVISIONING_DEVICE" master "$DEMO_BRIDGE"
fi
"$VENV/bin/tenks" deploy "$CLUSTER"
"$VENV/bin/tenks" list "$CLUSTER"
