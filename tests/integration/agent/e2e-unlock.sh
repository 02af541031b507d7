#!/bin/sh
# VM tier entry point: the agent's success flow on a real CAN URI.
# usage: e2e-unlock.sh BUILD_DIR CAN_URI    (exit 0 = pass)
[ $# -eq 2 ] || { echo "usage: e2e-unlock.sh BUILD_DIR CAN_URI" >&2; exit 2; }
b=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
PITLANE=$b/agent/pitlane
PITLANED=$b/broker/pitlaned
PITLANECTL=$b/broker/pitlanectl
ECUSIM=$b/vehicle/pitlane-ecusim
PITLANE_SOURCE_DIR=${PITLANE_SOURCE_DIR:-$(cd "$here/../../.." && pwd)}
export PITLANE PITLANED PITLANECTL ECUSIM PITLANE_SOURCE_DIR
exec sh "$here/flow.sh" "$2"
