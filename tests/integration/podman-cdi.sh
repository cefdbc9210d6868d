#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# podman 4.3.1 (CDI library v0.5.2, which accepts cdiVersion 0.5.0 at most) with a spec from
# `nvidia-ctk cdi generate` in /etc/cdi: `podman run --device <kind>=all` and `=0`, on the simulated driver.
# The kind is unique to this run and the /etc/cdi file is removed afterwards.
source "$(dirname "$0")/../lib.sh"
set -u
if ! command -v podman >/dev/null || ! command -v conmon >/dev/null; then
        t_skip "podman CDI" "podman is not installed (apt-get install podman catatonit)"
        exit 0
fi
W=$(t_tmpdir)
D=$W/podman
VENDOR=nvct-$$.test
KIND=$VENDOR/gpu
SPEC=/etc/cdi/nvct-test-$$.yaml
VLC_EXISTED=$([ -e /var/lib/containers ] && echo 1)
ETC_CDI_EXISTED=$([ -e /etc/cdi ] && echo 1)
cleanup() {
        [ -n "${P:-}" ] && $P rm -af >/dev/null 2>&1
        grep -F " $W/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        rm -f "$SPEC"
        [ -z "$ETC_CDI_EXISTED" ] && rmdir /etc/cdi 2>/dev/null
        [ -z "$VLC_EXISTED" ] && rm -rf /var/lib/containers
        rm -rf "$W"
}
trap cleanup EXIT

SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs" >/dev/null || { t_fail "mkrootfs"; exit 0; }
cp "$SIM_CUDA_CHECK" "$W/rootfs/usr/bin/"
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .
mkdir -p "$W/bin" "$D"
ln -s "$NVCT" "$W/bin/nvidia-cdi-hook"
ln -s "$NVCT" "$W/bin/nvidia-ctk"

mkdir -p /etc/cdi
"$W/bin/nvidia-ctk" cdi generate --driver-root="$SIM" --proc-root="$SIM/proc" --sys-root="$SIM/sys" \
        --nvidia-cdi-hook-path="$W/bin/nvidia-cdi-hook" --vendor="$VENDOR" --output="$SPEC" 2>/dev/null
t_eq "generate into /etc/cdi: cdiVersion 0.5.0 for podman 4.3.1" '"0.5.0"' "$(sed -n 's/^cdiVersion: //p' "$SPEC")"
t_grep "nvidia-ctk cdi list sees the devices" "^$KIND=all\$" "$("$W/bin/nvidia-ctk" cdi list 2>/dev/null)"

cat >"$D/containers.conf" <<EOT
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
EOT
export CONTAINERS_CONF=$D/containers.conf
P="podman --root $D/root --runroot $D/runroot --tmpdir $D/tmp --storage-driver vfs"
$P import "$W/rootfs.tar" localhost/nvct-cdi-bb:latest >/dev/null 2>&1
t_run "podman import of the rootfs" $P image exists localhost/nvct-cdi-bb:latest

PROBE='ls -1 /dev/nvidia*; nvidia-smi -L; ldconfig -p | grep -E "libcuda.so.1 "; nvct-sim-cuda-check'
prun() { OUT=$($P run --rm --network none "$@" 2>&1); RC=$?; }
nodes() { printf '%s\n' "$OUT" | grep -E '^/dev/nvidia[0-9]+$' | tr '\n' ' '; }

prun --device "$KIND=all" localhost/nvct-cdi-bb:latest sh -c "$PROBE"
t_eq "--device $KIND=all: container runs" 0 "$RC"
t_eq "--device all: both GPUs" "/dev/nvidia0 /dev/nvidia1 " "$(nodes)"
t_grep "--device all: nvidia-smi lists GPU 1" "^GPU 1: .*UUID: $(echo "$SIM_UUIDS" | cut -d' ' -f2)" "$OUT"
t_grep "--device all: the update-ldcache hook made libcuda.so.1 resolvable" 'libcuda.so.1 .*=> /usr/lib/x86_64-linux-gnu/libcuda.so.1' "$OUT"
t_grep "--device all: CUDA finds 2 devices" 'CUDA OK: 2 devices' "$OUT"

prun --device "$KIND=0" localhost/nvct-cdi-bb:latest sh -c "$PROBE"
t_eq "--device $KIND=0: container runs" 0 "$RC"
t_eq "--device 0: only /dev/nvidia0" "/dev/nvidia0 " "$(nodes)"
t_grep "--device 0: CUDA finds 1 device" 'CUDA OK: 1 device' "$OUT"

prun --device "$KIND=7" localhost/nvct-cdi-bb:latest true
t_grep "--device $KIND=7: unresolvable" 'unresolvable CDI devices' "$OUT"
exit 0
