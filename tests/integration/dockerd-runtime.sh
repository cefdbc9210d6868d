#!/usr/bin/env bash
# A real dockerd started with a daemon.json written by `nvidia-ctk runtime configure --runtime=docker` runs a
# container with --runtime=nvidia (nvct as nvidia-container-runtime, legacy mode) on the simulated driver.
source "$(dirname "$0")/../lib.sh"
set -u
if ! [ -x /usr/sbin/dockerd ] || ! [ -x /usr/bin/docker ] || ! command -v runc >/dev/null; then
        t_skip "dockerd: --runtime=nvidia" "dockerd, docker or runc is not installed"
        exit 0
fi
W=$(t_tmpdir)
D=$W/docker
DPID=""
cleanup() {
        if [ -n "$DPID" ]; then
                kill -TERM "$DPID" 2>/dev/null
                for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$DPID" 2>/dev/null
        fi
        umount "$D/exec/netns/default" 2>/dev/null
        grep -o " $W[^ ]*" /proc/self/mounts | sort -r | while read -r m; do umount "$m" 2>/dev/null; done
        rm -rf "$W"
}
trap cleanup EXIT
mkdir -p "$D/bin"

"$NVCT_SRC"/tests/sim/mksim.sh "$W/sim" --gpus 2 >/dev/null || { t_fail "dockerd: mksim"; exit 0; }
source "$W/sim/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs" >/dev/null || { t_fail "dockerd: mkrootfs"; exit 0; }
tar -C "$W/rootfs" -cf "$W/rootfs.tar" .

# The runtime and its hook under their NVIDIA names. runc runs hooks with the environment the spec gives them
# (none), so the hook finds the config through a wrapper, as a config-file path is the one thing it trusts.
ln -s "$NVCT" "$D/bin/nvidia-container-runtime"
printf '#!/bin/sh\nexec "%s" hook -config "%s" "$@"\n' "$NVCT" "$W/config.toml" >"$D/bin/nvct-test-hook"
chmod 755 "$D/bin/nvct-test-hook"
t_sim_config "$W/sim" '[nvidia-container-runtime] mode = "legacy"' '[nvidia-container-runtime] runtimes = ["runc"]' \
        "[nvidia-container-runtime-hook] path = \"$D/bin/nvct-test-hook\"" >"$W/config.toml"

# daemon.json: the test's own settings, then what configure adds
cat >"$D/daemon.json" <<EOF
{"storage-driver": "vfs", "iptables": false, "ip6tables": false, "ip-masq": false, "bridge": "none",
 "userland-proxy": false, "exec-opts": ["native.cgroupdriver=cgroupfs"]}
EOF
t_run "dockerd: runtime configure writes daemon.json" "$NVCT" ctk runtime configure --runtime=docker \
        --config="$D/daemon.json" --nvidia-runtime-path="$D/bin/nvidia-container-runtime"
t_eq "dockerd: daemon.json keeps the test's keys" '"vfs"' "$(jq -c '."storage-driver"' "$D/daemon.json")"

PATH=$D/bin:/usr/sbin:/usr/bin:/sbin:/bin NVIDIA_CTK_CONFIG_FILE_PATH=$W/config.toml \
        /usr/sbin/dockerd --config-file "$D/daemon.json" --data-root "$D/data" --exec-root "$D/exec" \
        --pidfile "$D/dockerd.pid" -H "unix://$D/docker.sock" >"$D/dockerd.log" 2>&1 &
DPID=$!
export DOCKER_HOST=unix://$D/docker.sock
for _ in $(seq 150); do /usr/bin/docker version >/dev/null 2>&1 && break; sleep 0.2; done
if ! /usr/bin/docker version >/dev/null 2>&1; then
        t_fail "dockerd: daemon started" "$(tail -5 "$D/dockerd.log")"
        exit 0
fi
t_ok "dockerd: daemon started with the configured daemon.json"
t_grep "dockerd: docker info lists the nvidia runtime" 'nvidia' \
        "$(/usr/bin/docker info --format '{{range $k, $v := .Runtimes}}{{$k}} {{end}}' 2>&1)"
/usr/bin/docker import "$W/rootfs.tar" nvct-test-bb:latest >/dev/null 2>&1

OUT=$(/usr/bin/docker run --rm --network none --runtime=nvidia -e NVIDIA_VISIBLE_DEVICES=1 \
        -e NVIDIA_DRIVER_CAPABILITIES=utility nvct-test-bb:latest /bin/sh -c 'ls /dev/nvidia*; nvidia-smi -L' 2>&1)
rc=$?
t_eq "dockerd: --runtime=nvidia container ran" 0 "$rc"
t_grep "dockerd: the selected GPU's node is there" '^/dev/nvidia1$' "$OUT"
if printf '%s\n' "$OUT" | grep -q '^/dev/nvidia0$'; then t_fail "dockerd: the other GPU is not"; else
        t_ok "dockerd: the other GPU is not"; fi
t_grep "dockerd: nvidia-smi -L inside the container" "^GPU 0: .*UUID: $(echo "$SIM_UUIDS" | cut -d' ' -f2)" "$OUT"
[ "$rc" = 0 ] || printf '#   %s\n' "$OUT" | tail -5

OUT=$(/usr/bin/docker run --rm --network none nvct-test-bb:latest /bin/sh -c 'ls /dev/nvidia* 2>&1' 2>&1)
t_grep "dockerd: the default runtime stays runc" 'No such file' "$OUT"
/usr/bin/docker rmi nvct-test-bb:latest >/dev/null 2>&1
exit 0
