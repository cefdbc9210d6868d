#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job, end to end: a GPU container through runc with nvct's prestart hook. Uses the host's NVIDIA
# driver when one is loaded, otherwise the simulated driver from tests/sim.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${NVCT_BUILD:-$SRC/build}
NVCT=$BUILD/nvct
W=$(mktemp -d /tmp/nvct-demo.XXXXXX)
ID=nvct-demo-$$
cleanup() { runc delete -f "$ID" >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT

mkdir -p "$W/bin"
ln -s "$NVCT" "$W/bin/nvidia-container-runtime-hook"

if [ -r /proc/driver/nvidia/version ]; then
        echo "== host driver: $(sed -n 's/.*Kernel Module  *\([0-9.]*\).*/\1/p;s/.*x86_64  *\([0-9.]*\).*/\1/p' /proc/driver/nvidia/version | head -1)"
        cat >"$W/config.toml" <<EOT
[nvidia-container-cli]
ldconfig = "@/sbin/ldconfig"
EOT
else
        echo "== no NVIDIA driver on this host: using the simulated driver (2 GPUs)"
        "$SRC/tests/sim/mksim.sh" "$W/sim" --gpus 2 >/dev/null
        cat >"$W/config.toml" <<EOT
[nvidia-container-cli]
root = "$W/sim"
ldconfig = "@/sbin/ldconfig"

[nvct]
proc-root = "$W/sim/proc"
dev-root = "$W/sim"
sys-root = "$W/sim/sys"
EOT
fi

"$SRC/tests/sim/mkrootfs.sh" "$W/rootfs" >/dev/null
"$SRC/tests/sim/mkbundle.sh" "$W/bundle" "$W/rootfs" /bin/sh -c '
echo "-- device nodes:"; ls -l /dev/nvidia* 2>&1 | sed "s/^/   /"
echo "-- injected driver libraries:"; ls /usr/lib/x86_64-linux-gnu | grep -E "nvidia|cuda" | sed "s/^/   /"
echo "-- ldconfig -p:"; ldconfig -p | grep -E "libcuda.so.1|libnvidia-ml.so.1" | sed "s/^/   /"
echo "-- nvidia-smi -L:"; nvidia-smi -L | sed "s/^/   /"' >/dev/null
jq --arg hook "$W/bin/nvidia-container-runtime-hook" --arg cfg "$W/config.toml" \
   '.process.env += ["NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"]
    | .hooks.prestart = [{path: $hook, args: ["nvidia-container-runtime-hook", "-config", $cfg, "prestart"]}]' \
   "$W/bundle/config.json" >"$W/bundle/c.json"
mv "$W/bundle/c.json" "$W/bundle/config.json"

echo "== runc run (prestart hook: nvct as nvidia-container-runtime-hook)"
start=$(date +%s%N)
(cd "$W/bundle" && runc run "$ID")
end=$(date +%s%N)
echo "== container exited; create+start+run took $(( (end - start) / 1000000 )) ms in total"
