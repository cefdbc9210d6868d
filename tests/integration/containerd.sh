#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# containerd 1.6 standalone (private root, state and socket) driven by ctr: nvct's shim as --runc-binary, and
# ctr run --gpus with nvct as nvidia-container-cli on ctr's PATH, on the simulated driver.
source "$(dirname "$0")/../lib.sh"
set -u
if ! command -v containerd >/dev/null || ! command -v ctr >/dev/null; then
        t_skip "containerd" "containerd is not installed (apt-get install containerd)"
        exit 0
fi
W=$(t_tmpdir)
C=$W/containerd
CPID=
# the shims make /run/containerd/{s,fifo} whatever the state dir is: remove it if we made it
RUN_CONTAINERD_EXISTED=$([ -e /run/containerd ] && echo 1)
cleanup() {
        if [ -n "$CPID" ]; then
                for id in $(ctr -a "$C/containerd.sock" tasks ls -q 2>/dev/null); do
                        ctr -a "$C/containerd.sock" tasks kill -s KILL "$id" >/dev/null 2>&1
                done
                kill -TERM "$CPID" 2>/dev/null
                for _ in $(seq 50); do kill -0 "$CPID" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$CPID" 2>/dev/null
        fi
        grep -F " $W/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        [ -z "$RUN_CONTAINERD_EXISTED" ] && rm -rf /run/containerd 2>/dev/null
        rm -rf "$W"
}
trap cleanup EXIT
SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs-template" >/dev/null || { t_fail "mkrootfs"; exit 0; }
UUID0=${SIM_UUIDS%% *}
UUID1=$(echo "$SIM_UUIDS" | cut -d' ' -f2)

mkdir -p "$W/bin" "$C"
ln -s "$NVCT" "$W/bin/nvidia-container-runtime"
ln -s "$NVCT" "$W/bin/nvidia-container-runtime-hook"
ln -s "$NVCT_SRC/tests/integration/fixtures/nvidia-container-cli-sim.sh" "$W/bin/nvidia-container-cli"
t_sim_config "$SIM" "[nvidia-container-runtime] debug = \"$W/runtime-debug.log\"" >"$W/config.toml"
cat >"$C/config.toml" <<EOT
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$C/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
EOT
# containerd's environment reaches the shim, runc and the hook: it carries the config path
NVIDIA_CTK_CONFIG_FILE_PATH=$W/config.toml PATH=$W/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        containerd --config "$C/config.toml" >"$C/containerd.log" 2>&1 &
CPID=$!
export CONTAINERD_ADDRESS=$C/containerd.sock
up=
for _ in $(seq 100); do
        ctr version >/dev/null 2>&1 && { up=1; break; }
        kill -0 "$CPID" 2>/dev/null || break
        sleep 0.1
done
if [ -z "$up" ]; then
        t_fail "containerd starts" "$(tail -5 "$C/containerd.log")"
        exit 0
fi
t_ok "containerd starts"

PROBE='ls -1 /dev/nvidia* 2>/dev/null; ls -1 /usr/lib/x86_64-linux-gnu | grep -E "cuda|nvidia-ml"; [ ! -x /usr/bin/nvidia-smi ] || nvidia-smi -L'
n=0
# crun ARGS...: ctr run --rm with a fresh copy of the rootfs (ctr runs a --rootfs in place)
crun_ctr() {
        n=$((n + 1))
        local r=$W/rootfs-$n
        cp -a "$W/rootfs-template" "$r"
        OUT=$(ctr run --rm --runc-root "$W/runc-root" "$@" --rootfs "$r" "nvct-ctr-$$-$n" /bin/sh -c "$PROBE" 2>&1 </dev/null)
        RC=$?
}
nodes() { printf '%s\n' "$OUT" | grep -E '^/dev/nvidia[0-9]+$' | tr '\n' ' '; }

crun_ctr --runc-binary "$W/bin/nvidia-container-runtime" --env NVIDIA_VISIBLE_DEVICES=1
t_eq "--runc-binary nvct shim, NVIDIA_VISIBLE_DEVICES=1: container runs" 0 "$RC"
t_eq "--runc-binary nvct shim: only /dev/nvidia1" "/dev/nvidia1 " "$(nodes)"
t_grep "--runc-binary nvct shim: nvidia-smi sees GPU 1" "UUID: $UUID1" "$OUT"
t_grep "--runc-binary nvct shim: libcuda (default capabilities)" '^libcuda.so.1$' "$OUT"
t_grep "--runc-binary nvct shim: legacy mode in the shim's log" 'using mode legacy' "$(cat "$W/runtime-debug.log" 2>/dev/null)"

crun_ctr --runc-binary "$W/bin/nvidia-container-runtime" --env NVIDIA_VISIBLE_DEVICES=all --env NVIDIA_DRIVER_CAPABILITIES=utility
t_eq "--runc-binary nvct shim, all + utility: both GPUs" "0|/dev/nvidia0 /dev/nvidia1 " "$RC|$(nodes)"
if grep -q libcuda <<<"$OUT"; then t_fail "--runc-binary nvct shim, utility: no libcuda"; else t_ok "--runc-binary nvct shim, utility: no libcuda"; fi

crun_ctr --runc-binary "$W/bin/nvidia-container-runtime"
t_eq "--runc-binary nvct shim, no request: container runs without a GPU" "0|" "$RC|$(nodes)"

crun_ctr --runc-binary "$W/bin/nvidia-container-runtime" --env NVIDIA_VISIBLE_DEVICES=0 --env 'NVIDIA_REQUIRE_CUDA=cuda>=99.0'
t_grep "--runc-binary nvct shim, cuda>=99.0: the reference message" 'requirement error: unsatisfied condition: cuda>=99.0' "$OUT"

# ctr --gpus: containerd's oci-hook calls nvidia-container-cli configure; the driver roots come from this env
export NVCT
export NVCT_GLOBAL="--root=$SIM --proc-root=$SIM/proc --dev-root=$SIM --sys-root=$SIM/sys"
PATH=$W/bin:$PATH crun_ctr --gpus 0
t_eq "ctr --gpus 0: container runs" 0 "$RC"
t_eq "ctr --gpus 0: only /dev/nvidia0" "/dev/nvidia0 " "$(nodes)"
t_grep "ctr --gpus 0: nvidia-smi sees GPU 0" "^GPU 0: .*UUID: $UUID0" "$OUT"
t_grep "ctr --gpus 0: every capability (libcuda)" '^libcuda.so.1$' "$OUT"
PATH=$W/bin:$PATH crun_ctr --gpus 1
t_eq "ctr --gpus 1: only /dev/nvidia1" "0|/dev/nvidia1 " "$RC|$(nodes)"
t_eq "no task left behind" "" "$(ctr tasks ls -q 2>&1)"
exit 0
