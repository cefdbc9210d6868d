#!/usr/bin/env bash
# `nvidia-ctk system create-dev-char-symlinks` / `create-device-nodes` and `nvidia-ctk info` on the simulated driver.
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
trap 'rm -rf "$W"' EXIT
S=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$S" --gpus 2 --mig 1:2 >/dev/null || { t_fail "system: mksim"; exit 0; }
source "$S/sim.env"
R="--driver-root=$S --proc-root=$S/proc --sys-root=$S/sys"
sys() { "$NVCT" ctk system "$@"; }

OUT=$(sys create-dev-char-symlinks $R --dev-char-path="$S/dev/char" --dry-run 2>&1)
t_grep "dev-char: dry run names the GPU link" "would create $S/dev/char/$SIM_NVIDIA_MAJOR:1 -> \.\./nvidia1" "$OUT"
t_fails "dev-char: dry run creates nothing" test -e "$S/dev/char"
t_run "dev-char: create" sys create-dev-char-symlinks $R --dev-char-path="$S/dev/char"
t_eq "dev-char: nvidiactl link" "../nvidiactl" "$(readlink "$S/dev/char/$SIM_NVIDIA_MAJOR:255")"
t_eq "dev-char: uvm link" "../nvidia-uvm" "$(readlink "$S/dev/char/$SIM_UVM_MAJOR:0")"
cap=$(echo "$SIM_MIG_DEVICES" | cut -d: -f7)
t_eq "dev-char: MIG capability link" "../nvidia-caps/nvidia-cap$cap" "$(readlink "$S/dev/char/$SIM_CAPS_MAJOR:$cap")"
t_run "dev-char: a link resolves to its node" test -c "$S/dev/char/$SIM_NVIDIA_MAJOR:0"
n=$(ls "$S/dev/char" | wc -l)
sys create-dev-char-symlinks $R --dev-char-path="$S/dev/char" >/dev/null 2>&1
t_eq "dev-char: a second run adds nothing" "$n" "$(ls "$S/dev/char" | wc -l)"

# a GPU whose node is gone: linked only with --create-all
rm "$S/dev/nvidia1" "$S/dev/char/$SIM_NVIDIA_MAJOR:1"
sys create-dev-char-symlinks $R --dev-char-path="$S/dev/char" >/dev/null 2>&1
t_fails "dev-char: no link for a missing node" test -L "$S/dev/char/$SIM_NVIDIA_MAJOR:1"
sys create-dev-char-symlinks $R --dev-char-path="$S/dev/char" --create-all >/dev/null 2>&1
t_eq "dev-char: --create-all links it anyway" "../nvidia1" "$(readlink "$S/dev/char/$SIM_NVIDIA_MAJOR:1")"

# create-device-nodes puts the missing node back, with the numbers from /proc/devices
rm "$S/dev/nvidiactl"
OUT=$(sys create-device-nodes $R --dry-run 2>&1)
t_grep "device-nodes: dry run names nvidiactl" "would create $S/dev/nvidiactl \($SIM_NVIDIA_MAJOR:255\)" "$OUT"
t_fails "device-nodes: dry run creates nothing" test -e "$S/dev/nvidiactl"
t_run "device-nodes: create" sys create-device-nodes $R --control-devices
t_eq "device-nodes: nvidiactl recreated" "character special file $SIM_NVIDIA_MAJOR:255" \
        "$(stat -c '%F %t:%T' "$S/dev/nvidiactl" | { read -r a b c d; printf '%s %s %s %d:%d' "$a" "$b" "$c" "0x${d%%:*}" "0x${d##*:}"; })"
t_eq "device-nodes: GPU 1 recreated" "character special file" "$(stat -c %F "$S/dev/nvidia1")"
t_run "device-nodes: IMEX channel asked for" sys create-device-nodes $R --imex-channel=3
t_eq "device-nodes: IMEX channel 3 is a node" "character special file" \
        "$(stat -c %F "$S/dev/nvidia-caps-imex-channels/channel3")"
t_fails "device-nodes: a bad channel is refused" sys create-device-nodes $R --imex-channel=x

OUT=$("$NVCT" ctk info --root="$S" --proc-root="$S/proc" --sys-root="$S/sys" 2>&1)
t_grep "info: names the toolkit" '^NVIDIA Container Toolkit CLI version' "$OUT"
t_grep "info: reports the driver" "^Driver: +$SIM_VERSION" "$OUT"
t_run "info: --json parses" jq -e . <("$NVCT" ctk info --json --root="$S" --proc-root="$S/proc" --sys-root="$S/sys")
t_fails "system: unknown command" sys frobnicate
# Go flag syntax, as NVIDIA's urfave/cli: a boolean takes only ParseBool spellings, an unknown flag is named
t_grep "system: a bad boolean is refused by name" 'invalid boolean value "yes" for -dry-run' \
        "$(sys create-device-nodes $R --dry-run=yes 2>&1)"
t_grep "system: an unknown flag is named" 'flag provided but not defined: -bogus' \
        "$(sys create-device-nodes $R --bogus 2>&1)"
t_grep "system: a missing value is named" 'flag needs an argument: -dev-root' "$(sys create-device-nodes --dev-root 2>&1)"
t_run "system: -flag=value with one dash and False" sys create-device-nodes $R -dry-run=False
exit 0
