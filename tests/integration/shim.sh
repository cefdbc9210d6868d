#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# nvct as nvidia-container-runtime (a symlink to nvct) in front of runc, driven the way containerd-shim-runc-v2
# drives a runtime: --root/--log/--log-format json, then create, state, start, kill, delete as separate calls.
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
PFX=nvct-shim-$$
RROOT=$W/runc-root
trap 'for id in $(runc --root "$RROOT" list -q 2>/dev/null); do runc --root "$RROOT" delete -f "$id" >/dev/null 2>&1; done; rm -rf "$W"' EXIT
SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs-template" >/dev/null || { t_fail "mkrootfs"; exit 0; }
UUID1=$(echo "$SIM_UUIDS" | cut -d' ' -f2)
mkdir -p "$W/bin" "$W/cdi"
ln -s "$NVCT" "$W/bin/nvidia-container-runtime"
ln -s "$NVCT" "$W/bin/nvidia-container-runtime-hook"
# The low-level runtime: runc behind a logger, so the test sees the exact argv the shim passes on.
cat >"$W/bin/runc-logged" <<EOT
#!/bin/sh
printf '%s\n' "\$*" >>"$W/argv.log"
exec runc "\$@"
EOT
chmod +x "$W/bin/runc-logged"

write_config() { # FILE MODE
        t_sim_config "$SIM" "[nvidia-container-runtime] mode = \"$2\"" \
                "[nvidia-container-runtime] runtimes = [\"$W/bin/runc-logged\", \"runc\"]" \
                "[nvidia-container-runtime] debug = \"$W/shim-debug.log\"" \
                "[nvidia-container-runtime.modes.cdi] spec-dirs = [\"$W/cdi\"]" >"$1"
}
write_config "$W/legacy.toml" legacy
write_config "$W/auto.toml" auto
export PATH="$W/bin:$PATH"
SHIM=$W/bin/nvidia-container-runtime
n=0

# new_bundle 'JSON ENV ARRAY' [JQ FILTER] [CMD]: sets B and ID
new_bundle() {
        n=$((n + 1))
        B=$W/b$n ID=$PFX-$n
        mkdir -p "$B"
        cp -a "$W/rootfs-template" "$B/rootfs"
        "$NVCT_SRC"/tests/sim/mkbundle.sh "$B" "$B/rootfs" /bin/sh -c "${3:-ls -1 /dev/nvidia*; nvidia-smi -L}" >/dev/null
        jq --argjson env "$1" '.process.env += $env | '"${2:-.}" "$B/config.json" >"$B/c.json" && mv "$B/c.json" "$B/config.json"
}
shim() { "$SHIM" --root "$RROOT" --log "$B/log.json" --log-format json "$@"; }
wait_stopped() {
        for _ in $(seq 100); do
                [ "$(shim state "$ID" 2>/dev/null | jq -r .status)" = stopped ] && return 0
                sleep 0.05
        done
        return 1
}

export NVIDIA_CTK_CONFIG_FILE_PATH=$W/legacy.toml
new_bundle '["NVIDIA_VISIBLE_DEVICES=1"]'
: >"$W/argv.log"
(cd "$W" && shim create --bundle "$B" --pid-file "$B/init.pid" "$ID" >"$W/out-$n" 2>&1 </dev/null)
t_eq "legacy: create through the shim succeeds" 0 "$?"
CFG=$(cat "$B/config.json")
t_eq "legacy: exactly one prestart hook inserted" 1 "$(jq '.hooks.prestart | length' <<<"$CFG")"
# the shim's config came from NVIDIA_CTK_CONFIG_FILE_PATH, so the hook is told the same file with -config
t_eq "legacy: the hook is nvidia-container-runtime-hook -config <the shim's config> prestart" \
        "$W/bin/nvidia-container-runtime-hook nvidia-container-runtime-hook -config $W/legacy.toml prestart" \
        "$(jq -r '.hooks.prestart[0] | "\(.path) \(.args | join(" "))"' <<<"$CFG")"
t_eq "legacy: linux.devices has the selected GPU and the control nodes" \
        "/dev/nvidia-uvm /dev/nvidia-uvm-tools /dev/nvidia1 /dev/nvidiactl" \
        "$(jq -r '[.linux.devices[].path | select(startswith("/dev/nvidia"))] | sort | join(" ")' <<<"$CFG" | sed 's/ \/dev\/nvidia-modeset//')"
t_eq "legacy: linux.devices entry for GPU 1 is c 195:1" "c 195 1" \
        "$(jq -r '.linux.devices[] | select(.path == "/dev/nvidia1") | "\(.type) \(.major) \(.minor)"' <<<"$CFG")"
t_grep "legacy: a cgroup allow rule for GPU 1" '^true c 195 1 rwm?$' \
        "$(jq -r '.linux.resources.devices[] | select(.major == 195 and .minor == 1) | "\(.allow) \(.type) \(.major) \(.minor) \(.access)"' <<<"$CFG")"
t_eq "legacy: no rule or node for GPU 0" "0" \
        "$(jq '[(.linux.devices[] | select(.path == "/dev/nvidia0")), (.linux.resources.devices[] | select(.major == 195 and .minor == 0))] | length' <<<"$CFG")"
t_eq "create passed through unchanged" "--root $RROOT --log $B/log.json --log-format json create --bundle $B --pid-file $B/init.pid $ID" \
        "$(cat "$W/argv.log")"
t_eq "state: created" created "$(shim state "$ID" | jq -r .status)"
shim start "$ID"
t_eq "start through the shim" 0 "$?"
wait_stopped
t_eq "state: stopped after the container ran" stopped "$(shim state "$ID" | jq -r .status)"
OUT=$(cat "$W/out-$n")
t_eq "legacy: the container sees /dev/nvidia1 only" "/dev/nvidia1" "$(grep -E '^/dev/nvidia[0-9]+$' <<<"$OUT")"
t_grep "legacy: nvidia-smi in the container sees GPU 1" "UUID: $UUID1" "$OUT"
shim delete "$ID"
t_eq "delete through the shim" 0 "$?"
t_eq "delete: the container is gone" "" "$(runc --root "$RROOT" list -q | grep -x "$ID")"
for c in state start delete; do
        t_grep "$c passed through unchanged" "^--root $RROOT --log $B/log.json --log-format json $c $ID\$" "$(cat "$W/argv.log")"
done
t_eq "runtime log: every line is JSON" "" "$(jq -c . "$B/log.json" 2>&1 >/dev/null)"
t_grep "runtime log: the shim's mode line, in JSON" '"level":"info","msg":"using mode legacy"' "$(cat "$B/log.json")"
t_grep "runtime log: the request line" '"msg":"request: gpu=yes source=env devices=\[1\]' "$(cat "$B/log.json")"
t_grep "debug file: the shim writes its own log too" 'using mode legacy' "$(cat "$W/shim-debug.log" 2>/dev/null)"

# An existing nvidia hook (as docker --gpus adds it) is not added a second time.
new_bundle '["NVIDIA_VISIBLE_DEVICES=0"]' \
        '.hooks.prestart = [{path: "'"$W"'/bin/nvidia-container-runtime-hook", args: ["nvidia-container-runtime-hook", "prestart"]}]'
(cd "$W" && shim create --bundle "$B" "$ID" >"$W/out-$n" 2>&1 </dev/null)
t_eq "hook present: create succeeds" 0 "$?"
t_eq "hook present: still exactly one prestart hook" 1 "$(jq '.hooks.prestart | length' "$B/config.json")"
t_grep "hook present: logged" 'prestart hook already present' "$(cat "$B/log.json")"
shim kill "$ID" KILL >/dev/null 2>&1
shim delete --force "$ID"
t_eq "delete --force through the shim" 0 "$?"

# kill of a running container, and a non-GPU container left alone.
new_bundle '[]' . 'sleep 60'
(cd "$W" && shim create --bundle "$B" "$ID" >/dev/null 2>&1 </dev/null)
t_eq "non-GPU container: no hook" null "$(jq -c '.hooks.prestart' "$B/config.json")"
t_eq "non-GPU container: no NVIDIA devices" 0 "$(jq '[.linux.devices[]? | select(.path | startswith("/dev/nvidia"))] | length' "$B/config.json")"
shim start "$ID"
t_eq "running" running "$(shim state "$ID" | jq -r .status)"
shim kill "$ID" KILL
t_eq "kill through the shim" 0 "$?"
wait_stopped
t_eq "kill: the container stopped" stopped "$(shim state "$ID" | jq -r .status)"
t_grep "kill passed through unchanged" "^--root $RROOT --log $B/log.json --log-format json kill $ID KILL\$" "$(cat "$W/argv.log")"
shim delete "$ID"

# a plain `run` (no create subcommand) is exec'd as is
new_bundle '["NVIDIA_VISIBLE_DEVICES=0"]' . 'echo ran'
OUT=$(cd "$B" && "$SHIM" --root "$RROOT" run "$ID" 2>&1 </dev/null)
t_eq "run passes through and is not modified" "ran|null" "$OUT|$(jq -c .hooks.prestart "$B/config.json")"
runc --root "$RROOT" delete -f "$ID" >/dev/null 2>&1

# auto mode: a qualified CDI name resolves to cdi; a bare index to legacy.
export NVIDIA_CTK_CONFIG_FILE_PATH=$W/auto.toml
cat >"$W/cdi/nvidia.yaml" <<EOT
cdiVersion: "0.5.0"
kind: nvidia.com/gpu
devices:
- name: "0"
  containerEdits:
    deviceNodes: [{path: /dev/nvidia0, hostPath: $SIM/dev/nvidia0}]
containerEdits:
  deviceNodes: [{path: /dev/nvidiactl, hostPath: $SIM/dev/nvidiactl}]
EOT
new_bundle '["NVIDIA_VISIBLE_DEVICES=0"]'
(cd "$W" && shim create --bundle "$B" "$ID" >/dev/null 2>&1 </dev/null)
t_grep "auto + index: legacy mode" '"msg":"using mode legacy"' "$(cat "$B/log.json")"
shim delete --force "$ID" >/dev/null 2>&1
new_bundle '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0"]'
# create's output goes to a file: the created container holds its stdio open until start
(cd "$W" && shim create --bundle "$B" "$ID" >"$W/create.out" 2>&1 </dev/null)
RC=$?
ERR=$(cat "$W/create.out")
t_grep "auto + nvidia.com/gpu=0: cdi mode" '"msg":"using mode cdi"' "$(cat "$B/log.json")"
t_eq "auto + nvidia.com/gpu=0: CDI devices injected" "0|/dev/nvidia0 /dev/nvidiactl" \
        "$RC|$(jq -r '[.linux.devices[].path | select(startswith("/dev/nvidia"))] | sort | join(" ")' "$B/config.json")" "$ERR"
t_eq "auto + nvidia.com/gpu=0: no nvidia hook in cdi mode" 0 \
        "$(jq '[.hooks.prestart[]? | select(.path | endswith("nvidia-container-runtime-hook"))] | length' "$B/config.json")"
shim delete --force "$ID" >/dev/null 2>&1
exit 0
