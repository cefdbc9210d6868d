#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podman 4.3.1 (runc) with the hooks.d file we ship, deploy/oci-nvidia-hook.json, calling nvct as
# nvidia-container-toolkit: the legacy OCI-hook route of the toolkit, on the simulated driver, with private state.
source "$(dirname "$0")/../lib.sh"
set -u
SHIPPED=$NVCT_SRC/deploy/oci-nvidia-hook.json
if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
        t_skip "podman" "podman is not installed (apt-get install podman catatonit)"
        exit 0
fi
W=$(t_tmpdir)
D=$W/podman
# podman keeps a blob-info cache in /var/lib/containers whatever --root says: remove it if we made it
VLC_EXISTED=$([ -e /var/lib/containers ] && echo 1)
cleanup() {
        [ -n "${P:-}" ] && $P rm -af >/dev/null 2>&1
        grep -F " $W/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        [ -z "$VLC_EXISTED" ] && rm -rf /var/lib/containers
        rm -rf "$W"
}
trap cleanup EXIT

t_eq "shipped hook: version 1.0.0, prestart, when.always" '"1.0.0"|["prestart"]|true|[".*"]' \
        "$(jq -c '.version, .stages, .when.always, .when.commands' "$SHIPPED" | paste -sd'|')"
t_eq "shipped hook: nvidia-container-toolkit prestart" 'nvidia-container-toolkit|["nvidia-container-toolkit","prestart"]' \
        "$(jq -r '(.hook.path | split("/") | last), (.hook.args | tojson)' "$SHIPPED" | paste -sd'|')"

SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs" >/dev/null || { t_fail "mkrootfs"; exit 0; }
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .
UUID0=${SIM_UUIDS%% *}
UUID1=$(echo "$SIM_UUIDS" | cut -d' ' -f2)
mkdir -p "$W/bin" "$W/hooks.d" "$D"
ln -s "$NVCT" "$W/bin/nvidia-container-toolkit"
t_sim_config "$SIM" "[nvidia-container-cli] debug = \"$W/hook-debug.log\"" >"$W/config.toml"
# The shipped file with only the install location and the test's config path changed.
jq --arg p "$W/bin/nvidia-container-toolkit" --arg c "$W/config.toml" \
   '.hook.path = $p | .hook.env += ["NVIDIA_CTK_CONFIG_FILE_PATH=" + $c]' "$SHIPPED" >"$W/hooks.d/oci-nvidia-hook.json"
# This sandbox lacks CAP_SYS_RESOURCE: podman's default rlimits cannot be set.
cat >"$D/containers.conf" <<EOT
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOT
export CONTAINERS_CONF=$D/containers.conf
P="podman --root $D/root --runroot $D/runroot --tmpdir $D/tmp --storage-driver vfs --hooks-dir $W/hooks.d"
$P import "$W/rootfs.tar" localhost/nvct-bb:latest >/dev/null 2>&1
t_run "podman import of the rootfs" $P image exists localhost/nvct-bb:latest

PROBE='ls -1 /dev/nvidia* 2>/dev/null; ls -1 /usr/lib/x86_64-linux-gnu | grep -E "cuda|nvidia-ml"; [ ! -x /usr/bin/nvidia-smi ] || nvidia-smi -L'
prun() { : >"$W/hook-debug.log"; OUT=$($P run --rm --network none "$@" 2>&1); RC=$?; LOG=$(cat "$W/hook-debug.log"); }
nodes() { printf '%s\n' "$OUT" | grep -E '^/dev/nvidia[0-9]+$' | tr '\n' ' '; }

prun localhost/nvct-bb:latest sh -c "$PROBE"
t_eq "no request: container runs" 0 "$RC"
t_eq "no request: no GPU" "" "$(nodes)"
t_grep "no request: the hook ran (when.always) and did nothing" 'not a GPU container' "$LOG"

prun -e NVIDIA_VISIBLE_DEVICES=0 localhost/nvct-bb:latest sh -c "$PROBE"
t_eq "NVIDIA_VISIBLE_DEVICES=0: container runs" 0 "$RC"
t_eq "NVIDIA_VISIBLE_DEVICES=0: only /dev/nvidia0" "/dev/nvidia0 " "$(nodes)"
t_grep "NVIDIA_VISIBLE_DEVICES=0: nvidia-smi sees GPU 0" "^GPU 0: .*UUID: $UUID0" "$OUT"
t_grep "NVIDIA_VISIBLE_DEVICES=0: libcuda" '^libcuda.so.1$' "$OUT"

prun -e NVIDIA_VISIBLE_DEVICES=all -e NVIDIA_DRIVER_CAPABILITIES=utility localhost/nvct-bb:latest sh -c "$PROBE"
t_eq "all, utility: both GPU nodes" "0|/dev/nvidia0 /dev/nvidia1 " "$RC|$(nodes)"
t_grep "all, utility: nvidia-smi lists GPU 1" "^GPU 1: .*UUID: $UUID1" "$OUT"
if grep -q libcuda <<<"$OUT"; then t_fail "all, utility: no libcuda"; else t_ok "all, utility: no libcuda"; fi

prun -e NVIDIA_VISIBLE_DEVICES=0 -e 'NVIDIA_REQUIRE_CUDA=cuda>=99.0' localhost/nvct-bb:latest true
t_eq "NVIDIA_REQUIRE_CUDA=cuda>=99.0: podman run fails" 1 "$([ "$RC" -ne 0 ] && echo 1 || echo 0)"
t_grep "NVIDIA_REQUIRE_CUDA=cuda>=99.0: the reference message" 'requirement error: unsatisfied condition: cuda>=99.0' "$OUT"
t_eq "no container left behind" "" "$($P ps -aq 2>&1)"
exit 0
