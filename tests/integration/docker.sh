#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dockerd 20.10 with nvct under NVIDIA's names on its PATH (nvidia-container-runtime-hook, nvidia-container-runtime,
# nvidia-container-cli) and a runtimes.nvidia entry: docker run --gpus … and --runtime=nvidia, on the simulated
# driver. The daemon runs with private state and is stopped by PID.
source "$(dirname "$0")/../lib.sh"
set -u
DOCKER=/usr/bin/docker
if [ ! -x /usr/sbin/dockerd ] || [ ! -x "$DOCKER" ]; then
        t_skip "docker" "docker.io is not installed (apt-get install docker.io)"
        exit 0
fi
W=$(t_tmpdir)
D=$W/docker
DPID=
# dockerd and its shims make these whatever their roots say: remove them if we made them
RUN_CONTAINERD_EXISTED=$([ -e /run/containerd ] && echo 1)
RUN_DOCKER_EXISTED=$([ -e /run/docker ] && echo 1)
OPT_CONTAINERD_EXISTED=$([ -e /opt/containerd ] && echo 1)
cleanup() {
        [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
        [ -n "$DPID" ] && kill -KILL "$DPID" 2>/dev/null
        # dockerd can leave its netns and overlay mounts behind: unmount whatever is left under the test dir
        grep -F " $W/" /proc/self/mounts | awk '{print $2}' | sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
        [ -z "$RUN_CONTAINERD_EXISTED" ] && rm -rf /run/containerd 2>/dev/null
        [ -z "$RUN_DOCKER_EXISTED" ] && rm -rf /run/docker 2>/dev/null
        [ -z "$OPT_CONTAINERD_EXISTED" ] && rm -rf /opt/containerd 2>/dev/null
        rm -rf "$W"
}
trap cleanup EXIT
SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs" >/dev/null || { t_fail "mkrootfs"; exit 0; }
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .
UUID0=${SIM_UUIDS%% *}
UUID1=$(echo "$SIM_UUIDS" | cut -d' ' -f2)

mkdir -p "$D/bin"
# NVCT_DOCKER_BIN_DIR: a directory holding the names already (an installed package); else links to the build
for name in nvidia-container-runtime-hook nvidia-container-runtime nvidia-container-cli; do
        if [ -n "${NVCT_DOCKER_BIN_DIR:-}" ]; then ln -s "$NVCT_DOCKER_BIN_DIR/$name" "$D/bin/$name"
        else ln -s "$NVCT" "$D/bin/$name"; fi
done
t_sim_config "$SIM" "[nvidia-container-cli] debug = \"$W/hook-debug.log\"" \
        "[nvidia-container-runtime] debug = \"$W/runtime-debug.log\"" >"$W/config.toml"
cat >"$D/daemon.json" <<EOT
{"storage-driver": "vfs", "iptables": false, "ip6tables": false, "ip-masq": false, "bridge": "none",
 "userland-proxy": false, "exec-opts": ["native.cgroupdriver=cgroupfs"],
 "runtimes": {"nvidia": {"path": "$D/bin/nvidia-container-runtime"}}}
EOT
# The engine's environment carries the config path; the hook and the shim inherit it.
NVIDIA_CTK_CONFIG_FILE_PATH=$W/config.toml PATH=$D/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        /usr/sbin/dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" \
        --pidfile "$D/dockerd.pid" -H "unix://$D/docker.sock" >"$D/dockerd.log" 2>&1 &
DPID=$!
export DOCKER_HOST=unix://$D/docker.sock
up=
for _ in $(seq 150); do
        "$DOCKER" version >/dev/null 2>&1 && { up=1; break; }
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.1
done
if [ -z "$up" ]; then
        t_fail "dockerd starts" "$(tail -5 "$D/dockerd.log")"
        exit 0
fi
t_ok "dockerd starts"
t_grep "dockerd lists the nvidia runtime" 'nvidia' "$("$DOCKER" info --format '{{json .Runtimes}}' 2>&1)"
IMG=nvct-bb:latest
"$DOCKER" import "$W/rootfs.tar" "$IMG" >/dev/null 2>&1
"$DOCKER" import --change 'ENV NVIDIA_REQUIRE_CUDA=cuda>=99.0' --change 'ENV NVIDIA_VISIBLE_DEVICES=all' \
        "$W/rootfs.tar" nvct-bb-cuda99:latest >/dev/null 2>&1
t_run "docker import of the rootfs" "$DOCKER" image inspect "$IMG" nvct-bb-cuda99:latest

PROBE='ls -1 /dev/nvidia* 2>/dev/null; ls -1 /usr/lib/x86_64-linux-gnu | grep -E "cuda|nvidia-ml"; [ ! -x /usr/bin/nvidia-smi ] || nvidia-smi -L'
drun() { OUT=$("$DOCKER" run --rm --network none "$@" 2>&1); RC=$?; }
nodes() { printf '%s\n' "$OUT" | grep -E '^/dev/nvidia[0-9]+$' | tr '\n' ' '; }
absent() { if printf '%s\n' "$3" | grep -qE -- "$2"; then t_fail "$1" "unexpected match: $2"; else t_ok "$1"; fi; }

drun "$IMG" sh -c "$PROBE"
t_eq "no --gpus: container runs" 0 "$RC"
t_eq "no --gpus: no GPU" "" "$(nodes)"

drun --gpus all "$IMG" sh -c "$PROBE"
t_eq "--gpus all: container runs" 0 "$RC"
t_eq "--gpus all: both GPU nodes" "/dev/nvidia0 /dev/nvidia1 " "$(nodes)"
t_grep "--gpus all: nvidia-smi lists both" "^GPU 1: .*UUID: $UUID1" "$OUT"
t_grep "--gpus all: compute libraries (default capabilities)" '^libcuda.so.1$' "$OUT"
t_grep "--gpus all: it was nvct's hook" 'request: gpu=yes source=env all' "$(cat "$W/hook-debug.log" 2>/dev/null)"

drun --gpus device=0 "$IMG" sh -c "$PROBE"
t_eq "--gpus device=0: only /dev/nvidia0" "0|/dev/nvidia0 " "$RC|$(nodes)"
t_grep "--gpus device=0: nvidia-smi sees GPU 0" "^GPU 0: .*UUID: $UUID0" "$OUT"

drun --gpus '"device=0,1"' "$IMG" sh -c "$PROBE"
t_eq "--gpus \"device=0,1\": both GPU nodes" "0|/dev/nvidia0 /dev/nvidia1 " "$RC|$(nodes)"

drun --gpus all,capabilities=utility "$IMG" sh -c "$PROBE"
t_eq "--gpus all,capabilities=utility: container runs" 0 "$RC"
t_grep "--gpus all,capabilities=utility: nvidia-smi works" "^GPU 0: " "$OUT"
absent "--gpus all,capabilities=utility: no libcuda" 'libcuda' "$OUT"

: >"$W/runtime-debug.log"
drun --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0 "$IMG" sh -c "$PROBE"
t_eq "--runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=0: only /dev/nvidia0" "0|/dev/nvidia0 " "$RC|$(nodes)"
t_grep "--runtime=nvidia: nvidia-smi sees GPU 0" "^GPU 0: .*UUID: $UUID0" "$OUT"
t_grep "--runtime=nvidia: went through nvct's shim in legacy mode" 'using mode legacy' "$(cat "$W/runtime-debug.log" 2>/dev/null)"

drun --runtime=nvidia --gpus all "$IMG" sh -c "$PROBE"
t_eq "--runtime=nvidia --gpus all (docker's hook already there): both GPUs" "0|/dev/nvidia0 /dev/nvidia1 " "$RC|$(nodes)"

drun --runtime=nvidia "$IMG" sh -c "$PROBE"
t_eq "--runtime=nvidia without a request: no GPU" "0|" "$RC|$(nodes)"

drun -e NVIDIA_VISIBLE_DEVICES=1 --gpus device=0 "$IMG" sh -c "$PROBE"
t_eq "-e NVIDIA_VISIBLE_DEVICES=1 --gpus device=0: docker's entry (the last) wins" "0|/dev/nvidia0 " "$RC|$(nodes)"

drun -t --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=1 "$IMG" sh -c "$PROBE"
OUT=$(tr -d '\r' <<<"$OUT")
t_eq "--runtime=nvidia -t (console socket): only /dev/nvidia1" "0|/dev/nvidia1 " "$RC|$(nodes)"

CID=$("$DOCKER" run -d --network none --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=1 "$IMG" sleep 60 2>&1)
t_grep "--runtime=nvidia -d: exec through the shim sees GPU 1" "UUID: $UUID1" "$("$DOCKER" exec "$CID" nvidia-smi -L 2>&1)"
t_run "--runtime=nvidia: pause and unpause through the shim" sh -c "'$DOCKER' pause '$CID' && '$DOCKER' unpause '$CID'"
t_run "--runtime=nvidia: kill and rm through the shim" sh -c "'$DOCKER' kill '$CID' && '$DOCKER' rm '$CID'"

drun --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=7 "$IMG" true
t_eq "--runtime=nvidia, unknown device: docker run fails" 125 "$RC"
t_grep "--runtime=nvidia, unknown device: the shim's message reaches the user" 'create failed: device error: 7: unknown device' "$OUT"
drun --gpus device=7 "$IMG" true
t_grep "--gpus device=7: the hook's message reaches the user" 'nvidia-container-runtime-hook: device error: 7: unknown device' "$OUT"

drun --gpus all nvct-bb-cuda99:latest true
t_eq "NVIDIA_REQUIRE_CUDA=cuda>=99.0 image: docker run fails" 125 "$RC"
t_grep "NVIDIA_REQUIRE_CUDA image: the reference message" 'requirement error: unsatisfied condition: cuda>=99.0' "$OUT"
drun --runtime=nvidia nvct-bb-cuda99:latest true
t_grep "NVIDIA_REQUIRE_CUDA image, --runtime=nvidia: the reference message" 'requirement error: unsatisfied condition: cuda>=99.0' "$OUT"
t_eq "no container left behind" "" "$("$DOCKER" ps -aq 2>&1)"
exit 0
