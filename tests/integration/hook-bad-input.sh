#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The prestart hook against hostile or broken input: config.json missing, huge, deeply nested or not UTF-8; a
# broken OCI state; a bundle that does not exist; a config.toml that does not parse; device lists with "../",
# NUL bytes or 10,000 entries. Each must be one clear line on stderr, a non-zero exit, and no change to the
# rootfs. The hook is run directly (as runc would: cwd = bundle, state on stdin) against a live process in a
# private mount namespace, so a hook that wrongly went ahead would visibly change the rootfs; a valid request
# through the same harness is the control that shows it.
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
TARGET=
cleanup() {
        [ -n "$TARGET" ] && kill "$TARGET" 2>/dev/null && wait "$TARGET" 2>/dev/null
        rm -rf "$W"
}
trap cleanup EXIT
SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 >/dev/null || { t_fail "mksim"; exit 0; }
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs-template" >/dev/null || { t_fail "mkrootfs"; exit 0; }
mkdir -p "$W/bin"
ln -s "$NVCT" "$W/bin/nvidia-container-runtime-hook"
HOOK=$W/bin/nvidia-container-runtime-hook
# no-cgroups: the target is a host process, whose device cgroup is not ours to change
t_sim_config "$SIM" "[nvidia-container-cli] no-cgroups = true" >"$W/config.toml"
printf '[nvidia-container-cli]\nroot = "%s\nldconfig = @/sbin/ldconfig\n' "$SIM" >"$W/broken.toml"
# The "container": a process in its own mount namespace that the hook would inject into.
unshare -m --propagation private sleep 600 &
TARGET=$!
sleep 0.1

n=0
# new_bundle JQ-FILTER: B = a bundle whose rootfs is a fresh copy of the template, with the filter applied
new_bundle() {
        n=$((n + 1))
        B=$W/b$n
        mkdir -p "$B"
        cp -a "$W/rootfs-template" "$B/rootfs"
        "$NVCT_SRC"/tests/sim/mkbundle.sh "$B" "$B/rootfs" /bin/true >/dev/null
        jq "$1" "$B/config.json" >"$B/c.json" && mv "$B/c.json" "$B/config.json"
}
state() { printf '{"ociVersion":"1.0.2-dev","id":"bad-%s","status":"creating","pid":%s,"bundle":"%s"}' "$n" "$TARGET" "${1:-$B}"; }
# run_hook STATE [CONFIG]: runs the hook as runc does; sets RC and ERR (its stderr)
run_hook() {
        ERR=$(cd "$B" && printf '%s' "$1" | NVIDIA_CTK_CONFIG_FILE_PATH=${2:-$W/config.toml} "$HOOK" prestart 2>&1 >/dev/null)
        RC=$?
}
# expect_refused NAME PATTERN: non-zero, one line naming the problem, rootfs and the target's mounts unchanged
expect_refused() {
        t_eq "$1: exit 1 with one line on stderr" "1|1" "$RC|$(printf '%s\n' "$ERR" | wc -l)"
        t_grep "$1: the message says why" "^nvidia-container-runtime-hook: .*$2" "$ERR"
        t_eq "$1: rootfs and mounts unchanged" "" \
                "$(diff -r --no-dereference "$W/rootfs-template" "$B/rootfs" 2>&1; grep -F "$B/rootfs" "/proc/$TARGET/mountinfo")"
}
ENV0='.process.env += ["NVIDIA_VISIBLE_DEVICES=0"]'

# the control: the same harness with a valid request injects
new_bundle "$ENV0"
run_hook "$(state)"
t_eq "control: a valid request succeeds" "0|" "$RC|$ERR"
t_grep "control: and does change the rootfs" 'nvidia' "$(diff -r --no-dereference "$W/rootfs-template" "$B/rootfs" 2>&1; grep -F "$B/rootfs" "/proc/$TARGET/mountinfo")"

new_bundle "$ENV0"
rm "$B/config.json"
run_hook "$(state)"
expect_refused "missing config.json" "config.json.*(No such file|not found|does not exist)"

new_bundle "$ENV0"
printf '{"ociVersion":"1.0.2-dev","process":{"env":["NVIDIA_VISIBLE_DEVICES=0"]},"root":{"path":"rootfs"},"x":"' >"$B/config.json"
truncate -s 100M "$B/config.json"
run_hook "$(state)"
expect_refused "100 MB config.json" "config.json.*(large|big|bytes)"

new_bundle "$ENV0"
{ printf '{"ociVersion":"1.0.2-dev","root":{"path":"rootfs"},"process":{"env":["NVIDIA_VISIBLE_DEVICES=0"]},"a":'
  head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}'; } >"$B/config.json"
run_hook "$(state)"
expect_refused "config.json nested 100,000 deep" "config.json.*(depth|nest)"

new_bundle "$ENV0"
jq -c . "$B/config.json" | sed 's/"TERM=xterm"/"TERM=\xff\xfe"/' >"$B/c.json" && mv "$B/c.json" "$B/config.json"
run_hook "$(state)"
expect_refused "non-UTF-8 config.json" "config.json.*(UTF-8|decode byte 0xff)"

new_bundle "$ENV0"
run_hook '{"ociVersion":"1.0.2-dev","pid":'
expect_refused "truncated OCI state" "state"
run_hook '["not", "an", "object"]'
expect_refused "OCI state that is not an object" "state"
run_hook "{\"ociVersion\":\"1.0.2-dev\",\"pid\":\"$TARGET\",\"bundle\":\"$B\"}"
expect_refused "OCI state with a string pid" "pid"
run_hook ''
expect_refused "empty OCI state" "state"

run_hook "$(state "$W/no/such/bundle")"
expect_refused "bundle that does not exist" "$W/no/such/bundle"

run_hook "$(state)" "$W/broken.toml"
expect_refused "config.toml with a syntax error" "broken.toml:[0-9]+"
run_hook "$(state)" "$W/missing.toml"
expect_refused "NVIDIA_CTK_CONFIG_FILE_PATH naming a missing file" "missing.toml"

new_bundle '.process.env += ["NVIDIA_VISIBLE_DEVICES=0,../../dev/sda"]'
run_hook "$(state)"
expect_refused "NVIDIA_VISIBLE_DEVICES with ../" 'invalid device .*\.\./\.\./dev/sda'

new_bundle '.process.env += ["NVIDIA_VISIBLE_DEVICES=0\u0000../../dev/sda"]'
run_hook "$(state)"
expect_refused "NVIDIA_VISIBLE_DEVICES with a NUL byte" 'NUL'

new_bundle '.process.env += ["X\u0000NVIDIA_VISIBLE_DEVICES=all"]'
run_hook "$(state)"
expect_refused "an env entry hiding a name behind a NUL byte" 'NUL'

new_bundle '.process.env += ["NVIDIA_VISIBLE_DEVICES=" + ([range(10000)] | map("0") | join(","))]'
run_hook "$(state)"
expect_refused "NVIDIA_VISIBLE_DEVICES with 10,000 entries" 'more than [0-9]+ entries'

new_bundle '.process.env += ["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_DRIVER_CAPABILITIES=" + ([range(10000)] | map("ngx") | join(","))]'
run_hook "$(state)"
expect_refused "NVIDIA_DRIVER_CAPABILITIES with 10,000 entries" 'more than [0-9]+ entries'
exit 0
