#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The hostile-image suite: every attack of /work/shared/reference/hostile-images.md and more, each built from
# scratch, run against `nvct cli configure` and `nvct hook prestart` on the simulated driver, twice: normally and
# with openat2 blocked by seccomp (the fallback resolver). One TAP line per attack per mode; each line checks
#   H  the host is unchanged (canary tree, /etc, /dev, host mountinfo), no process outlived nvct, the container's
#      fd table is unchanged;
#   C/R the result is contained in the rootfs, or refused with a specific message;
#   X  nothing from the image ran or was loaded (planted binaries and libraries write marker files).
# Then: a rename-exchange race, fault injection, and a 64+64 container load test. See tests/hostile/README.md.
source "$(dirname "$0")/../lib.sh"
set -u
HERE=$NVCT_SRC/tests/hostile
RACE_SECONDS=${NVCT_HOSTILE_RACE_SECONDS:-20}
LOAD_N=${NVCT_HOSTILE_LOAD:-64}
ONLY_CASE=${NVCT_HOSTILE_ONLY:-}
W=$(t_tmpdir)
PFX=nvct-hostile-$$
CONTAINERS=()

cleanup() {
        for p in "${CONTAINERS[@]}"; do kill -9 "$p" 2>/dev/null; done
        for id in $(runc list -q 2>/dev/null | grep "^$PFX-"); do runc delete -f "$id" >/dev/null 2>&1; done
        # our own mounts only (tiny tmpfs, read-only binds), deepest first
        awk -v w="$W" '$5 ~ "^"w {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
        local cg
        for cg in /sys/fs/cgroup/devices/"$PFX"-*; do [ -d "$cg" ] && rmdir "$cg" 2>/dev/null; done
        rm -rf "$W"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { t_skip "hostile suite" "needs root"; exit 0; }
[ -x "$NVCT" ] || { t_fail "hostile: $NVCT is not built"; exit 0; }

# ---- helpers: built here, each with the host paths it reports to compiled in ----
B=$W/bin
mkdir -p "$B" "$W/marks" "$W/host"
build() { gcc -O2 -Wall -Wextra "$@" 2>"$W/gcc.err" || { t_fail "hostile: compiling $*" "$(cat "$W/gcc.err")"; exit 0; }; }
build -o "$B/hostile-run" "$HERE/hostile-run.c"
build -o "$B/swapper" "$HERE/swapper.c"
build -o "$B/no-openat2" "$HERE/no-openat2.c" -lseccomp
build -static -DPLANTED -DMARK="\"$W/marks/planted\"" -o "$B/planted" "$HERE/probe.c"
build -static -DMARK="\"$W/marks/probe\"" -o "$B/ldprobe" "$HERE/probe.c"
build -static -DBLOCK -DMARK="\"$W/marks/block\"" -o "$B/ldblock" "$HERE/probe.c"
build -shared -fPIC -DMARK="\"$W/marks/poc\"" -o "$B/poc.so" "$HERE/poc.c"

SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 --mig 1:2 >/dev/null || { t_fail "hostile: mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/template" >/dev/null || { t_fail "hostile: mkrootfs"; exit 0; }

mkdir -p "$W/cache"

# The host side the attacks aim at: a canary tree with the shapes an escape would hit (a passwd, a firmware dir,
# a dev dir, a compat dir holding a "newer" libcuda). Every case hashes it before and after.
H=$W/host
mkdir -p "$H/etc" "$H/fw" "$H/dev" "$H/proc" "$H/run" "$H/compat" "$H/lib" "$H/empty"
echo "root:x:0:0:canary:/root:/bin/sh" >"$H/etc/passwd"
echo canary >"$H/lib/libc.so.6"
cp "$B/planted" "$H/compat/libcuda.so.999.1.1"

write_hook_config() { # FILE [EXTRA TOML LINES]: the sim roots; the log, cache and ldconfig of the host
        { t_sim_config "$SIM" "[nvidia-container-cli] debug = \"$W/hook.log\"" "[nvidia-container-cli] no-cgroups = true" \
                "[nvct] cuda-version-cache = \"$W/cache\""
          printf '%s\n' "${@:2}"; } >"$1"
}
write_hook_config "$W/hook.toml"

# ---- the "container": sleep as pid 1 of new mount+pid namespaces, /proc mounted inside the rootfs ----
start_container() { # ROOTFS [proc|noproc]: sets CPID
        local root=$1 how=${2:-proc} u
        if [ "$how" = proc ]; then
                unshare -m -p -f --mount-proc="$root/proc" sleep 1000 </dev/null >/dev/null 2>&1 &
        else
                unshare -m -p -f sleep 1000 </dev/null >/dev/null 2>&1 &
        fi
        u=$!
        CPID=
        for _ in $(seq 200); do
                CPID=$(cat "/proc/$u/task/$u/children" 2>/dev/null | tr -d ' ')
                [ -n "$CPID" ] && [ "$(cat "/proc/$CPID/comm" 2>/dev/null)" = sleep ] && break
                sleep 0.01
        done
        CONTAINERS+=("$CPID")
        UPID=$u
}
stop_container() {
        kill -9 "$CPID" 2>/dev/null
        wait "$UPID" 2>/dev/null
}

# ---- oracle H: what the host looks like ----
snap() {
        find /etc -xdev -printf '%p %y %s %m %T@ %l\n' 2>/dev/null | sort
        find "$H" "$W/marks" -printf '%P %y %s %m %T@ %l\n' | sort
        ls -la /dev 2>/dev/null | grep -i nvidia
        # host mount points, ignoring other tests' scratch mounts (/tmp, /run); ours under $W count
        awk -v w="$W" '$5 ~ "^"w || $5 !~ "^/(tmp|run|var/lib)/" {print $5, $9, $10}' /proc/self/mountinfo | sort
}

# ---- one case ----
# A case is a function prep_<id> that edits $R (the fresh rootfs) and may set:
#   EXPECT   ok | refuse | any (any: success, or a refusal matching PAT)
#   PAT      extended regex the output must match (refusals; for ok a check on the output)
#   ARGS     configure arguments; GLOBALS extra global cli options; FRONT cli | hook; PROC proc | noproc;
#   TO       timeout in ms
#   ENVJ     JSON array of image env entries (hook); HOOKENV extra env of the hook process; POST a check function
# POST prints a line for each problem it finds.
reset_case() {
        EXPECT=ok PAT= ARGS=(--no-cgroups --device=0 --compute --utility) GLOBALS=() FRONT=cli PROC=proc TO=20000 POST=
        ENVJ='["NVIDIA_VISIBLE_DEVICES=0","NVIDIA_DRIVER_CAPABILITIES=compute,utility"]' HOOKENV=() HOOKCWD=
        DRV=$SIM HOOKCFG=$W/hook.toml STATE_PID= KILL_AFTER= KILL_SELF_AFTER= CGROUP_MOVE= PRE_START=
}

run_front() { # runs nvct for the case, sets OUT and RC
        local wrap=() hr=("$B/hostile-run" --timeout "$TO")
        [ "$MODE" = no-openat2 ] && wrap=("$B/no-openat2")
        [ -n "$KILL_AFTER" ] && hr+=(--kill "$CPID" --after "$KILL_AFTER")
        [ -n "$KILL_SELF_AFTER" ] && hr+=(--kill-self-after "$KILL_SELF_AFTER")
        if [ "$FRONT" = cli ]; then
                local global=(--root="$DRV" --proc-root="$DRV/proc" --dev-root="$DRV" --sys-root="$DRV/sys" "${GLOBALS[@]}")
                OUT=$("${hr[@]}" -- "${wrap[@]}" "$NVCT" cli "${global[@]}" configure --pid="$CPID" "${ARGS[@]}" \
                        "$R" 2>&1 </dev/null)
                RC=$?
                return
        fi
        local bundle=$W/c pid=${STATE_PID:-$CPID}
        "$NVCT_SRC"/tests/sim/mkbundle.sh "$bundle" "$R" /bin/true >/dev/null
        printf '%s' "$ENVJ" >"$bundle/env.json"
        if ! jq --slurpfile env "$bundle/env.json" '.process.env += $env[0]' "$bundle/config.json" >"$bundle/c.json" 2>/dev/null; then
                OUT="bad ENVJ"; RC=99; return
        fi
        mv "$bundle/c.json" "$bundle/config.json"
        [ -n "${SPEC_FILTER:-}" ] && eval "$SPEC_FILTER"
        local state
        state=$(jq -cn --argjson pid "$pid" --arg b "$bundle" '{ociVersion: "1.0.2", id: "h", status: "creating",
                pid: $pid, bundle: $b}')
        # HOOKENV reaches nvct alone: env(1) sets it for its child, not for the wrappers
        OUT=$(cd "${HOOKCWD:-$bundle}" && printf '%s' "$state" | env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
                NVIDIA_CTK_CONFIG_FILE_PATH="$HOOKCFG" "${hr[@]}" -- "${wrap[@]}" env "${HOOKENV[@]}" \
                "$NVCT" hook prestart 2>&1)
        RC=$?
}

run_case() { # ID NAME
        local id=$1 name=$2 problems=() fdb fda
        [ -n "$ONLY_CASE" ] && [[ " $ONLY_CASE " != *" $id "* ]] && return 0
        reset_case
        SPEC_FILTER=
        awk -v w="$W/c/" '$5 ~ "^"w {print $5}' /proc/self/mountinfo | sort -r | while read -r m; do umount -l "$m"; done
        rm -rf "$W/c" "$W/marks"/* "$W/hook.log"
        mkdir -p "$W/c"
        cp -a "$W/template" "$W/c/rootfs"
        R=$W/c/rootfs
        "prep_$id"
        snap >"$W/snap.before"
        start_container "$R" "$PROC"
        [ -n "$CGROUP_MOVE" ] && echo "$CPID" >"$CGROUP_MOVE/cgroup.procs"
        [ -n "$PRE_START" ] && "$PRE_START"
        fdb=$(ls "/proc/$CPID/fd" 2>/dev/null | wc -l)
        run_front
        fda=$(ls "/proc/$CPID/fd" 2>/dev/null | wc -l)
        [ -z "$KILL_AFTER" ] && [ "$fdb" != "$fda" ] && problems+=("container fds: $fdb before, $fda after")
        [ -n "$POST" ] && mapfile -t -O "${#problems[@]}" problems < <("$POST")
        stop_container
        snap >"$W/snap.after"
        if ! cmp -s "$W/snap.before" "$W/snap.after"; then
                problems+=("host changed:" "$(diff "$W/snap.before" "$W/snap.after" | head -8)")
        fi
        local m
        for m in "$W/marks"/* "$R/hostile-planted-ran" "$R/hostile-poc-loaded"; do
                [ -e "$m" ] && problems+=("image code ran: $m: $(head -c 200 "$m")")
        done
        case $RC in
        124) problems+=("timed out after $TO ms") ;;
        125) problems+=("processes outlived nvct: $(printf '%s\n' "$OUT" | grep leftover | head -3)") ;;
        esac
        case $EXPECT in
        ok) [ "$RC" = 0 ] || problems+=("expected success, exit $RC") ;;
        refuse) [ "$RC" != 0 ] && [ "$RC" -lt 124 ] || problems+=("expected a refusal, exit $RC") ;;
        esac
        if [ -n "$PAT" ] && ! printf '%s\n' "$OUT" | grep -qE -- "$PAT"; then
                [ "$EXPECT" = any ] && [ "$RC" = 0 ] || problems+=("output lacks /$PAT/")
        fi
        if [ ${#problems[@]} -eq 0 ]; then
                t_ok "hostile[$MODE] #$id $name"
                [ -n "${NVCT_HOSTILE_VERBOSE:-}" ] && printf '%s\n' "$OUT" | tail -3 | sed "s/^/#   exit $RC: /"
        else
                t_fail "hostile[$MODE] #$id $name" "${problems[@]}" "exit $RC, output:" "$(printf '%s\n' "$OUT" | tail -4)"
        fi
}

source "$HERE/cases.bash"

for MODE in openat2 no-openat2; do
        for c in "${CASES[@]}"; do
                run_case "${c%%|*}" "${c#*|}"
        done
done

want() { [ -z "$ONLY_CASE" ] || [[ " $ONLY_CASE " == *" $1 "* ]]; }
want race && source "$HERE/race.bash"
source "$HERE/faults.bash"
want load && source "$HERE/load.bash"
exit 0
