#!/usr/bin/env bash
# valgrind memcheck over the CLI paths: no invalid access, no uninitialised use, no definite leak.
source "$(dirname "$0")/../lib.sh"
set -u
command -v valgrind >/dev/null || { t_skip "valgrind" "valgrind not installed"; exit 0; }
# valgrind cannot follow a static glibc: use the dynamic twin of the static nvct when the build has one
[ -x "$NVCT_BUILD/nvct-dynamic" ] && NVCT=$NVCT_BUILD/nvct-dynamic
W=$(t_tmpdir)
P=
trap '[ -n "$P" ] && kill $P 2>/dev/null; rm -rf "$W"' EXIT
SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 --mig 1:2 >/dev/null || { t_fail "mksim"; exit 0; }
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs" >/dev/null || { t_fail "mkrootfs"; exit 0; }
G=(--root="$SIM" --proc-root="$SIM/proc" --dev-root="$SIM" --sys-root="$SIM/sys")
# children forked for NVML and ldconfig leave through _exit(): only the parent's heap is judged
VG=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --child-silent-after-fork=yes --track-fds=no)

vg() { # vg NAME EXPECTED_RC CMD...
        local name=$1 want=$2; shift 2
        local out rc
        out=$("${VG[@]}" "$@" 2>&1 >/dev/null); rc=$?
        if [ "$rc" -eq 99 ]; then t_fail "valgrind: $name" "$(printf '%s\n' "$out" | head -30)"
        elif [ "$rc" -ne "$want" ]; then t_fail "valgrind: $name (exit $rc, wanted $want)" "$(printf '%s\n' "$out" | tail -5)"
        else t_ok "valgrind: $name"; fi
}

vg "cli info" 0 "$NVCT" cli "${G[@]}" info
vg "cli info --csv" 0 "$NVCT" cli "${G[@]}" info --csv
vg "cli list" 0 "$NVCT" cli "${G[@]}" list
vg "cli list --device=1:0 --mig-config=all" 1 "$NVCT" cli "${G[@]}" list --device=1:0 --mig-config=all
vg "cli list, truncated ld.so.cache" 1 "$NVCT" cli "${G[@]}" --ldcache=/etc/ld.so.conf list
vg "nvct info --json" 0 "$NVCT" info --json --root="$SIM" --proc-root="$SIM/proc" --dev-root="$SIM" --sys-root="$SIM/sys"
vg "cli configure, bad flag" 1 "$NVCT" cli "${G[@]}" configure --pid=x "$W/rootfs"
vg "cli configure, unsatisfied requirement" 1 "$NVCT" cli "${G[@]}" configure --device=0 --compute '--require=cuda>=99' --pid=$$ "$W/rootfs"
unshare -m --propagation private sleep 60 &
P=$!
sleep 0.3
# No capabilities, so no library and no ldconfig: valgrind refuses the sandbox's setrlimit, so the ldconfig child
# cannot run under it (the sandbox itself is covered by test-ldconfig under ASan).
vg "cli configure --device=all (nodes, proc view, cgroups)" 0 "$NVCT" cli "${G[@]}" configure --device=all --pid=$P "$W/rootfs"
vg "ctk config default" 0 "$NVCT" ctk config default
echo '{"ociVersion":"1.0.2","process":{"env":["NVIDIA_VISIBLE_DEVICES=void"]},"root":{"path":"rootfs"}}' >"$W/config.json"
vg "hook prestart, not a GPU container" 0 sh -c "cd '$W' && echo '{\"pid\":1,\"bundle\":\"$W\"}' | '$NVCT' hook prestart"
vg "hook prestart, broken state" 1 sh -c "echo '{\"pid\":' | '$NVCT' hook prestart"
exit 0
