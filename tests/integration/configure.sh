#!/usr/bin/env bash
# `nvidia-container-cli configure` under real runc (and crun), on the simulated driver: every capability set,
# device selection, MIG and IMEX case is checked from inside the container.
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
trap 'for id in $(runc list -q 2>/dev/null | grep "^nvct-cfg-$$"); do runc delete -f "$id" >/dev/null 2>&1; done; rm -rf "$W"' EXIT
SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 --mig 1:2 --imex 2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs-template" >/dev/null || { t_fail "mkrootfs"; exit 0; }
# the image's own CUDA program: it only works if the injected libcuda is found by the container's loader
cp "$SIM_CUDA_CHECK" "$W/rootfs-template/usr/bin/"
export NVCT
GLOBAL="${NVCT_TEST_DEBUG:+-d $NVCT_TEST_DEBUG }--root=$SIM --proc-root=$SIM/proc --dev-root=$SIM --sys-root=$SIM/sys"
n=0

# run_case NAME "CONFIGURE FLAGS" "SHELL SCRIPT IN CONTAINER" [runtime]
run_case() {
        local name=$1 flags=$2 script=$3 rt=${4:-runc}
        n=$((n + 1))
        local b=$W/b$n id=nvct-cfg-$$-$n
        mkdir -p "$b"
        cp -a "$W/rootfs-template" "$b/rootfs"
        "$NVCT_SRC"/tests/sim/mkbundle.sh "$b" "$b/rootfs" /bin/sh -c "$script" >/dev/null
        local hook="$NVCT_SRC/tests/integration/fixtures/configure-hook.sh"
        jq --arg hook "$hook" --arg nvct "$NVCT" --arg g "$GLOBAL" --arg flags "$flags" \
           '.hooks.prestart = [{path: $hook, args: (["configure-hook.sh"] + ($flags | split(" ") | map(select(. != "")))),
             env: ["NVCT=" + $nvct, "NVCT_GLOBAL=" + $g, "PATH=/usr/bin:/bin"]}]' \
           "$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
        if [ "$rt" = crun ]; then
                OUT=$(cd "$b" && unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; crun run '"$id" 2>&1)
        else
                OUT=$(cd "$b" && runc run "$id" 2>&1)
        fi
        RC=$?
        runc delete -f "$id" >/dev/null 2>&1
        ROOTFS_AFTER=$b/rootfs
}

run_case compute-utility "--device=0 --compute --utility" \
        'ls /dev/nvidia*; nvidia-smi -L; ldconfig -p | grep -E "libcuda.so.1|libnvidia-ml.so.1"; ls -l /usr/lib/x86_64-linux-gnu/libcuda.so; nvct-sim-cuda-check'
t_eq "compute,utility: container started" 0 "$RC"
t_grep "compute,utility: /dev/nvidia0 present" '^/dev/nvidia0$' "$OUT"
t_grep "compute,utility: /dev/nvidiactl present" '^/dev/nvidiactl$' "$OUT"
t_grep "compute,utility: /dev/nvidia-uvm present" '^/dev/nvidia-uvm$' "$OUT"
if printf '%s\n' "$OUT" | grep -q '^/dev/nvidia1$'; then t_fail "compute,utility: GPU 1 not injected"; else t_ok "compute,utility: GPU 1 not injected"; fi
t_grep "compute,utility: nvidia-smi -L lists GPU 0" "^GPU 0: .*\\(UUID: ${SIM_UUIDS%% *}\\)" "$OUT"
t_grep "compute,utility: ldconfig -p resolves libcuda.so.1" 'libcuda.so.1 .*=> /usr/lib/x86_64-linux-gnu/libcuda.so.1' "$OUT"
t_grep "compute,utility: ldconfig -p resolves libnvidia-ml.so.1" 'libnvidia-ml.so.1 .*=> /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1' "$OUT"
t_grep "compute,utility: libcuda.so development link" 'libcuda.so -> libcuda.so.1' "$OUT"
t_grep "compute,utility: CUDA program finds the device" 'CUDA OK: 1 device' "$OUT"

run_case utility-only "--device=all --utility" 'ls /dev/nvidia* /usr/bin/nvidia-smi /usr/lib/x86_64-linux-gnu/ 2>&1; nvidia-smi -L'
t_eq "utility: container started" 0 "$RC"
t_grep "utility: both GPUs" '^/dev/nvidia1$' "$OUT"
if printf '%s\n' "$OUT" | grep -q 'libcuda.so'; then t_fail "utility: no compute libraries"; else t_ok "utility: no compute libraries"; fi
if printf '%s\n' "$OUT" | grep -q '^/dev/nvidia-uvm$'; then t_fail "utility: no uvm node"; else t_ok "utility: no uvm node"; fi
t_grep "utility: nvidia-smi lists GPU 1" '^GPU 1: ' "$OUT"

run_case no-device "--utility" 'ls /dev/nvidia* 2>&1; nvidia-smi -L; echo rc=$?'
t_eq "no device: container started" 0 "$RC"
t_grep "no device: nvidiactl only" '^/dev/nvidiactl$' "$OUT"
if printf '%s\n' "$OUT" | grep -q '^/dev/nvidia0$'; then t_fail "no device: no /dev/nvidia0"; else t_ok "no device: no /dev/nvidia0"; fi

run_case graphics "--device=0 --graphics --display --utility" 'ls /dev/dri/ /usr/share/glvnd/egl_vendor.d/ /usr/lib/x86_64-linux-gnu/ 2>&1'
t_eq "graphics: container started" 0 "$RC"
t_grep "graphics: GLX library" 'libGLX_nvidia.so' "$OUT"
t_grep "graphics: GLX indirect link" 'libGLX_indirect.so.0' "$OUT"
t_grep "graphics: egl vendor config" '10_nvidia.json' "$OUT"

run_case mig "--device=1:0 --compute --utility" 'ls /dev/nvidia* /dev/nvidia-caps/ 2>&1'
t_eq "mig: container started" 0 "$RC"
t_grep "mig: parent GPU node" '^/dev/nvidia1$' "$OUT"
t_grep "mig: caps node" 'nvidia-cap' "$OUT"

run_case imex "--device=0 --utility --imex-channel=1" 'ls /dev/nvidia-caps-imex-channels/ 2>&1'
t_eq "imex: container started" 0 "$RC"
t_grep "imex: channel1" '^channel1$' "$OUT"

run_case require-fail "--device=0 --compute --require=cuda>=99.0" 'echo should-not-run'
t_eq "require cuda>=99.0 fails the container" 1 "$([ "$RC" -ne 0 ] && echo 1 || echo 0)"
t_grep "require: message names the condition" 'unsatisfied condition: cuda>=99.0' "$OUT"

t_eq "require: a refused configure leaves the rootfs untouched" "" "$(diff -r "$W/rootfs-template" "$ROOTFS_AFTER" 2>&1)"

# A failure half-way (the image plants a symlink where a binary goes) must undo every mount and created file.
ln -s /etc/shadow "$W/rootfs-template/usr/bin/nvidia-smi"
run_case rollback "--device=0 --compute --utility" 'echo should-not-run'
t_eq "rollback: configure fails on a planted symlink" 1 "$([ "$RC" -ne 0 ] && echo 1 || echo 0)"
t_grep "rollback: the error names the path" 'usr/bin/nvidia-smi' "$OUT"
t_eq "rollback: nothing left behind in the rootfs" "" "$(diff -r --no-dereference "$W/rootfs-template" "$ROOTFS_AFTER" 2>&1)"
rm -f "$W/rootfs-template/usr/bin/nvidia-smi"

run_case require-ok "--device=0 --compute --require=cuda>=12.0 --require=driver>=500" 'echo ran'
t_eq "require cuda>=12.0 passes" 0 "$RC"

run_case bad-device "--device=7 --utility" 'echo should-not-run'
t_grep "unknown device is refused" 'unknown device' "$OUT"

run_case crun "--device=0 --compute --utility" 'ls /dev/nvidia0; nvidia-smi -L' crun
t_eq "crun: container started" 0 "$RC"
t_grep "crun: nvidia-smi -L lists GPU 0" '^GPU 0: ' "$OUT"
exit 0
