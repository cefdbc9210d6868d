#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# nvct as nvidia-container-runtime-hook under real runc, called the way dockerd calls it: argv
# "nvidia-container-runtime-hook prestart", cwd = the bundle, the OCI state on stdin, every NVIDIA_* request in
# config.json process.env. Each case is checked from inside the container, on the simulated driver.
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
PFX=nvct-hook-$$
trap 'for id in $(runc list -q 2>/dev/null | grep "^$PFX-"); do runc delete -f "$id" >/dev/null 2>&1; done; rm -rf "$W"' EXIT
SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 --mig 1:2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs-template" >/dev/null || { t_fail "mkrootfs"; exit 0; }
UUID0=${SIM_UUIDS%% *}
UUID1=$(echo "$SIM_UUIDS" | cut -d' ' -f2)
MIG_UUID=$(echo "$SIM_MIG_DEVICES" | cut -d' ' -f1 | cut -d: -f5)
mkdir -p "$W/bin"
ln -s "$NVCT" "$W/bin/nvidia-container-runtime-hook"

# write_config FILE [EXTRA TOP-LEVEL TOML LINES]: the simulated driver's roots, a debug log, plus extra keys
write_config() { t_sim_config "$SIM" "${@:2}" "[nvidia-container-cli] debug = \"$W/debug.log\"" >"$1"; }
write_config "$W/config.toml"

# What every container prints: its NVIDIA nodes, the injected driver files, and nvidia-smi -L.
PROBE='ls -1 /dev/nvidia* /dev/nvidia-caps/* 2>/dev/null; echo "-- files"; ls -1 /usr/lib/x86_64-linux-gnu /usr/bin |
grep -E "nvidia|cuda|GLX|EGL"; echo "-- smi"; [ -x /usr/bin/nvidia-smi ] && nvidia-smi -L; echo "-- done"'
n=0

# run_hook NAME 'JSON ARRAY OF ENV' [JQ FILTER ON config.json] [CONFIG FILE]
run_hook() {
        local name=$1 env=$2 filter=${3:-.} cfg=${4:-$W/config.toml}
        n=$((n + 1))
        local b=$W/b$n id=$PFX-$n-$name
        mkdir -p "$b"
        cp -a "$W/rootfs-template" "$b/rootfs"
        "$NVCT_SRC"/tests/sim/mkbundle.sh "$b" "$b/rootfs" /bin/sh -c "$PROBE" >/dev/null
        jq --arg hook "$W/bin/nvidia-container-runtime-hook" --arg cfg "$cfg" --argjson env "$env" \
           '.process.env += $env
            | .hooks.prestart = [{path: $hook, args: ["nvidia-container-runtime-hook", "prestart"],
                                  env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "NVIDIA_CTK_CONFIG_FILE_PATH=" + $cfg]}]
            | '"$filter" "$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
        : >"$W/debug.log"
        OUT=$(cd "$b" && runc run "$id" 2>&1)
        RC=$?
        runc delete -f "$id" >/dev/null 2>&1
        LOG=$(cat "$W/debug.log" 2>/dev/null)
        ROOTFS_AFTER=$b/rootfs
}
absent() { if printf '%s\n' "$3" | grep -qE -- "$2"; then t_fail "$1" "unexpected match: $2"; else t_ok "$1"; fi; }
nodes() { printf '%s\n' "$OUT" | grep -E '^/dev/nvidia[0-9]+$' | tr '\n' ' '; }
PRIV='.process.capabilities.bounding += ["CAP_SYS_ADMIN"]'

for v in unset empty void; do
        case $v in unset) e='[]' ;; empty) e='["NVIDIA_VISIBLE_DEVICES="]' ;; void) e='["NVIDIA_VISIBLE_DEVICES=void"]' ;; esac
        run_hook "$v" "$e"
        t_eq "NVIDIA_VISIBLE_DEVICES $v: container runs" 0 "$RC"
        absent "NVIDIA_VISIBLE_DEVICES $v: nothing injected" '^/dev/nvidia|libnvidia|libcuda' "$OUT"
        t_eq "NVIDIA_VISIBLE_DEVICES $v: rootfs untouched" "" "$(diff -r "$W/rootfs-template" "$ROOTFS_AFTER" 2>&1)"
done
t_grep "void: debug log says why nothing was done" 'not a GPU container' "$LOG"

run_hook none '["NVIDIA_VISIBLE_DEVICES=none"]'
t_eq "none: container runs" 0 "$RC"
t_eq "none: no GPU node" "" "$(nodes)"
t_grep "none: /dev/nvidiactl present" '^/dev/nvidiactl$' "$OUT"
t_grep "none: nvidia-smi injected" '^nvidia-smi$' "$OUT"
t_grep "none: libnvidia-ml injected" '^libnvidia-ml.so.1$' "$OUT"
t_grep "none: nvidia-smi finds no GPU" 'No devices were found' "$OUT"

run_hook all '["NVIDIA_VISIBLE_DEVICES=all"]'
t_eq "all: container runs" 0 "$RC"
t_eq "all: both GPU nodes" "/dev/nvidia0 /dev/nvidia1 " "$(nodes)"
t_grep "all: nvidia-smi lists GPU 1" "^GPU 1: .*UUID: $UUID1" "$OUT"
t_grep "all: default capabilities give libcuda" '^libcuda.so.1$' "$OUT"
absent "all: default capabilities give no graphics" 'libGLX_nvidia' "$OUT"
t_grep "debug log: the source of the devices" 'source=env .*devices selected by NVIDIA_VISIBLE_DEVICES' "$LOG"
t_grep "debug log: phase timings" 'parse\+discovery [0-9.]+ ms, plan [0-9.]+ ms, .*mounts [0-9.]+ ms.*ldconfig [0-9.]+ ms' "$LOG"

run_hook index-0 '["NVIDIA_VISIBLE_DEVICES=0"]'
t_eq "0: container runs" 0 "$RC"
t_eq "0: only /dev/nvidia0" "/dev/nvidia0 " "$(nodes)"
t_grep "0: nvidia-smi sees GPU 0" "^GPU 0: .*UUID: $UUID0" "$OUT"

run_hook index-1 '["NVIDIA_VISIBLE_DEVICES=1"]'
t_eq "1: only /dev/nvidia1" "/dev/nvidia1 " "$(nodes)"
t_grep "1: nvidia-smi sees the second GPU" "UUID: $UUID1" "$OUT"
absent "1: nvidia-smi does not see the first GPU" "UUID: $UUID0" "$OUT"

run_hook uuid "[\"NVIDIA_VISIBLE_DEVICES=$UUID1\"]"
t_eq "UUID: container runs" 0 "$RC"
t_eq "UUID: only that GPU's node" "/dev/nvidia1 " "$(nodes)"

run_hook mig '["NVIDIA_VISIBLE_DEVICES=1:0"]'
t_eq "MIG 1:0: container runs" 0 "$RC"
t_eq "MIG 1:0: parent GPU node" "/dev/nvidia1 " "$(nodes)"
t_grep "MIG 1:0: a capability node" '^/dev/nvidia-caps/nvidia-cap[0-9]+$' "$OUT"
t_grep "MIG 1:0: nvidia-smi lists the MIG device" "MIG .*UUID: $MIG_UUID" "$OUT"

run_hook cap-utility '["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=utility"]'
t_eq "utility: container runs" 0 "$RC"
t_grep "utility: nvidia-smi works" "^GPU 0: " "$OUT"
absent "utility: no libcuda" 'libcuda' "$OUT"

run_hook cap-compute-utility '["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"]'
t_grep "compute,utility: libcuda" '^libcuda.so.1$' "$OUT"
t_grep "compute,utility: nvidia-smi" '^nvidia-smi$' "$OUT"

run_hook cap-graphics '["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=graphics,display"]'
t_eq "graphics,display: container runs" 0 "$RC"
t_grep "graphics,display: GLX library" '^libGLX_nvidia.so.0$' "$OUT"
absent "graphics,display: no libcuda" 'libcuda' "$OUT"
absent "graphics,display: no nvidia-smi" '^nvidia-smi$' "$OUT"

run_hook cap-bogus '["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=compute,bogus"]'
t_eq "bogus capability: container refused" 1 "$([ "$RC" -ne 0 ] && echo 1 || echo 0)"
t_grep "bogus capability: unsupported-capabilities message" 'unsupported capabilities: \\?"bogus\\?" in NVIDIA_DRIVER_CAPABILITIES' "$OUT"
t_eq "bogus capability: rootfs untouched" "" "$(diff -r "$W/rootfs-template" "$ROOTFS_AFTER" 2>&1)"

run_hook require '["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"]'
t_eq "NVIDIA_REQUIRE_CUDA=cuda>=99.0: container refused" 1 "$([ "$RC" -ne 0 ] && echo 1 || echo 0)"
t_grep "NVIDIA_REQUIRE_CUDA: the reference message" 'requirement error: unsatisfied condition: cuda>=99.0' "$OUT"
t_eq "NVIDIA_REQUIRE_CUDA: rootfs untouched" "" "$(diff -r "$W/rootfs-template" "$ROOTFS_AFTER" 2>&1)"

run_hook disable-require '["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=99.0", "NVIDIA_DISABLE_REQUIRE=true"]'
t_eq "NVIDIA_DISABLE_REQUIRE=true: container runs" 0 "$RC"
t_eq "NVIDIA_DISABLE_REQUIRE=true: GPU injected" "/dev/nvidia0 " "$(nodes)"

run_hook legacy-image '["CUDA_VERSION=12.2.0"]'
t_eq "legacy CUDA_VERSION image: container runs" 0 "$RC"
t_eq "legacy image: every GPU" "/dev/nvidia0 /dev/nvidia1 " "$(nodes)"
t_grep "legacy image: every capability (graphics too)" '^libGLX_nvidia.so.0$' "$OUT"
t_grep "legacy image: debug log says why" 'legacy CUDA image' "$LOG"

run_hook legacy-image-new '["CUDA_VERSION=99.1"]'
t_grep "legacy image CUDA_VERSION=99.1: requirement derived from it" 'unsatisfied condition: cuda>=99.1' "$OUT"

run_hook mig-config-unpriv '["NVIDIA_VISIBLE_DEVICES=1", "NVIDIA_MIG_CONFIG_DEVICES=all"]'
t_eq "unprivileged NVIDIA_MIG_CONFIG_DEVICES: refused" 1 "$([ "$RC" -ne 0 ] && echo 1 || echo 0)"
t_grep "unprivileged NVIDIA_MIG_CONFIG_DEVICES: message" 'cannot set NVIDIA_MIG_CONFIG_DEVICES in an unprivileged container' "$OUT"
run_hook mig-monitor-unpriv '["NVIDIA_VISIBLE_DEVICES=1", "NVIDIA_MIG_MONITOR_DEVICES=all"]'
t_grep "unprivileged NVIDIA_MIG_MONITOR_DEVICES: refused" 'cannot set NVIDIA_MIG_MONITOR_DEVICES in an unprivileged container' "$OUT"
run_hook mig-monitor-priv '["NVIDIA_VISIBLE_DEVICES=1", "NVIDIA_MIG_MONITOR_DEVICES=all"]' "$PRIV"
t_eq "privileged NVIDIA_MIG_MONITOR_DEVICES: container runs" 0 "$RC"
t_grep "privileged NVIDIA_MIG_MONITOR_DEVICES: monitor node" '^/dev/nvidia-caps/nvidia-cap2$' "$OUT"

write_config "$W/volumes.toml" "accept-nvidia-visible-devices-as-volume-mounts = true"
VOL='.mounts += [{destination: "/var/run/nvidia-container-devices/1", type: "bind", source: "/dev/null", options: ["bind", "ro"]}]'
run_hook volume-mounts '["NVIDIA_VISIBLE_DEVICES=0"]' "$VOL" "$W/volumes.toml"
t_eq "volume mounts: container runs" 0 "$RC"
t_eq "volume mounts: the mounted device list wins over the env" "/dev/nvidia1 " "$(nodes)"
t_grep "volume mounts: the debug log names the source" 'source=volume-mounts' "$LOG"
run_hook volume-mounts-off '["NVIDIA_VISIBLE_DEVICES=0"]' "$VOL"
t_eq "volume mounts not accepted by default: env used" "/dev/nvidia0 " "$(nodes)"

write_config "$W/swarm.toml" 'swarm-resource = "DOCKER_RESOURCE_GPU"'
run_hook swarm "[\"NVIDIA_VISIBLE_DEVICES=0\", \"DOCKER_RESOURCE_GPU=$UUID1\"]" . "$W/swarm.toml"
t_eq "swarm-resource: container runs" 0 "$RC"
t_eq "swarm-resource: replaces NVIDIA_VISIBLE_DEVICES" "/dev/nvidia1 " "$(nodes)"
t_grep "swarm-resource: the debug log names the source" 'source=swarm .*DOCKER_RESOURCE_GPU' "$LOG"

write_config "$W/unpriv.toml" "accept-nvidia-visible-devices-envvar-when-unprivileged = false"
run_hook envvar-unpriv '["NVIDIA_VISIBLE_DEVICES=0"]' . "$W/unpriv.toml"
t_eq "envvar refused when unprivileged: container runs" 0 "$RC"
absent "envvar refused when unprivileged: nothing injected" '^/dev/nvidia|libcuda' "$OUT"
t_grep "envvar refused when unprivileged: recorded in the debug log" 'ignoring devices requested by NVIDIA_VISIBLE_DEVICES in an unprivileged container' "$LOG"
run_hook envvar-priv '["NVIDIA_VISIBLE_DEVICES=0"]' "$PRIV" "$W/unpriv.toml"
t_eq "envvar honoured for a privileged container" "/dev/nvidia0 " "$(nodes)"
exit 0
