#!/usr/bin/env bash
# A real containerd 1.6 started with a config.toml and drop-in written by `nvidia-ctk runtime configure
# --runtime=containerd` loads the nvidia runtime, and ctr runs a GPU container through its BinaryName.
source "$(dirname "$0")/../lib.sh"
set -u
if ! [ -x /usr/bin/containerd ] || ! [ -x /usr/bin/ctr ] || ! command -v runc >/dev/null; then
        t_skip "containerd: nvidia runtime" "containerd, ctr or runc is not installed"
        exit 0
fi
W=$(t_tmpdir)
C=$W/containerd
NS=nvct-test-$$
CPID=""
cleanup() {
        if [ -n "$CPID" ]; then
                ctr -n "$NS" task kill -s KILL c1 >/dev/null 2>&1
                ctr -n "$NS" containers delete c1 >/dev/null 2>&1
                ctr namespaces remove "$NS" >/dev/null 2>&1
                kill -TERM "$CPID" 2>/dev/null
                for _ in $(seq 50); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$CPID" 2>/dev/null
        fi
        grep -o " $W[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null; done
        rm -rf "/run/containerd/runc/$NS" "$W"
}
trap cleanup EXIT
mkdir -p "$C/bin"

"$NVCT_SRC"/tests/sim/mksim.sh "$W/sim" --gpus 2 >/dev/null || { t_fail "containerd: mksim"; exit 0; }
source "$W/sim/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs" >/dev/null || { t_fail "containerd: mkrootfs"; exit 0; }
ln -s "$NVCT" "$C/bin/nvidia-container-runtime"
printf '#!/bin/sh\nexec "%s" hook -config "%s" "$@"\n' "$NVCT" "$W/config.toml" >"$C/bin/nvct-test-hook"
chmod 755 "$C/bin/nvct-test-hook"
t_sim_config "$W/sim" '[nvidia-container-runtime] mode = "legacy"' '[nvidia-container-runtime] runtimes = ["runc"]' \
        "[nvidia-container-runtime-hook] path = \"$C/bin/nvct-test-hook\"" >"$W/config.toml"

# the machine's default config, moved into the test directory
containerd config default | sed -e "s|^root = .*|root = \"$C/root\"|" -e "s|^state = .*|state = \"$C/state\"|" \
        -e "/^\[grpc\]/,/^\[/ s|^  address = .*|  address = \"$C/containerd.sock\"|" \
        -e 's|^\( *sandbox_image = \).*|\1"nvct-test/pause:1"|' >"$C/config.toml"
cp "$C/config.toml" "$C/config.orig"
t_run "containerd: runtime configure" "$NVCT" ctk runtime configure --runtime=containerd --config="$C/config.toml" \
        --drop-in-config="$C/conf.d/99-nvidia.toml" --nvidia-runtime-path="$C/bin/nvidia-container-runtime"

DUMP=$(containerd --config "$C/config.toml" config dump 2>&1)
t_grep "containerd: config dump lists the nvidia runtime" \
        '^ *\[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia\]' "$DUMP"
t_grep "containerd: its runtime_type" 'runtime_type = "io.containerd.runc.v2"' \
        "$(printf '%s\n' "$DUMP" | sed -n '/runtimes.nvidia\]/,/runtimes.nvidia.options\]/p')"
BIN=$(printf '%s\n' "$DUMP" | sed -n '/runtimes.nvidia.options\]/,/^ *\[/ s/^ *BinaryName = "\(.*\)"/\1/p')
t_eq "containerd: its BinaryName" "$C/bin/nvidia-container-runtime" "$BIN"
# containerd 1.6 replaces the main config's whole CRI table with the drop-in's: the drop-in must repeat it
t_grep "containerd: the main config's CRI settings survive the drop-in" 'sandbox_image = "nvct-test/pause:1"' "$DUMP"

NVIDIA_CTK_CONFIG_FILE_PATH=$W/config.toml PATH=$C/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /usr/bin/containerd --config "$C/config.toml" >"$C/containerd.log" 2>&1 &
CPID=$!
export CONTAINERD_ADDRESS=$C/containerd.sock
for _ in $(seq 100); do ctr version >/dev/null 2>&1 && break; sleep 0.1; done
if ! ctr version >/dev/null 2>&1; then
        t_fail "containerd: daemon started" "$(tail -5 "$C/containerd.log")"
        exit 0
fi
t_ok "containerd: daemon started with the configured config and drop-in"
t_fails "containerd: no import error in its log" grep -q 'failed to load TOML' "$C/containerd.log"

OUT=$(ctr -n "$NS" run --rm --runtime io.containerd.runc.v2 --runc-binary "${BIN:-/nonexistent}" \
        --env NVIDIA_VISIBLE_DEVICES=0 --env NVIDIA_DRIVER_CAPABILITIES=utility \
        --rootfs "$W/rootfs" c1 /bin/sh -c 'ls /dev/nvidia*; nvidia-smi -L' 2>&1)
rc=$?
t_eq "containerd: ctr ran the container through the nvidia runtime" 0 "$rc"
t_grep "containerd: GPU 0 node injected" '^/dev/nvidia0$' "$OUT"
t_grep "containerd: nvidia-smi -L inside the container" "^GPU 0: .*UUID: ${SIM_UUIDS%% *}" "$OUT"
[ "$rc" = 0 ] || printf '#   %s\n' "$OUT" | tail -5

kill -TERM "$CPID"; wait "$CPID" 2>/dev/null; CPID=""
t_run "containerd: revert" "$NVCT" ctk runtime configure --runtime=containerd --config="$C/config.toml" \
        --drop-in-config="$C/conf.d/99-nvidia.toml" --revert
t_run "containerd: revert restores the config byte for byte" cmp "$C/config.toml" "$C/config.orig"
t_fails "containerd: config dump no longer has the runtime" \
        grep -q 'runtimes.nvidia' <(containerd --config "$C/config.toml" config dump 2>&1)
exit 0
