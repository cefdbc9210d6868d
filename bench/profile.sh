#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Where the hook's time goes, with evidence: the hook runs under runc as usual, but wrapped in a profiler.
#   1. strace -f -c -w      syscall wall time by syscall (hook + its ldconfig child), 1 GPU and 56 MIG devices
#   2. strace -f -T         the slowest individual calls, and the ldconfig child's lifetime
#   3. perf stat            task-clock (user/sys), context switches, page faults
#   4. perf record -g       kernel+user CPU profile (software cpu-clock; no PMU in this VM)
#   5. valgrind callgrind   instruction counts of `nvct cli info` and `nvct info --json` (the hook itself uses
#                           openat2/open_tree/move_mount, which valgrind 3.19 does not know, so it cannot run there)
# Output: $BENCH_OUT/profile/profile.txt (also on stdout).
source "$(dirname "$0")/lib.sh"
set -u
bench_init profile
bench_sim g1 --gpus 1
bench_sim mig8x7 --gpus 8 --mig all:7
MIGDEVS=$(. "$W/sim-mig8x7/sim.env" && for m in $SIM_MIG_DEVICES; do printf '%s,' "$(echo "$m" | cut -d: -f1-2)"; done)
MIGDEVS=${MIGDEVS%,}
OUT=$R/profile.txt

# wrapped NAME SIM DEVICES WRAP...: one hook sample under WRAP
wrapped() {
        local name=$1 sim=$2 devs=$3 tool; shift 3
        tool=$(command -v "$1") || bench_die "$1 not found"
        shift
        BENCH_HOOK_WRAP="$tool $*" bench_variant "$name" hook-wrap "$sim" "$devs"
        bench_sample "$name" >/dev/null
}

{
        echo "## 1. strace -f -c -w: syscall wall time inside the hook (microseconds; strace itself slows calls)"
        for c in g1 mig8x7; do
                devs=all; [ $c = mig8x7 ] && devs=$MIGDEVS
                wrapped "sc-$c" "$W/sim-$c" "$devs" strace -f -c -w -o "$W/sc-$c.txt"
                echo
                echo "### $c (NVIDIA_VISIBLE_DEVICES=$([ $c = g1 ] && echo all || echo '56 MIG devices'))"
                head -22 "$W/sc-$c.txt"
                tail -1 "$W/sc-$c.txt"
        done

        echo
        echo "## 2. strace -f -T -tt: the 15 slowest calls (1 GPU), and the ldconfig child"
        wrapped tt "$W/sim-g1" all strace -f -T -tt -o "$W/tt.txt"
        sed -nE 's/^([0-9]+) [0-9:.]+ ([a-z0-9_]+)\((.{0,70}).*<([0-9.]+)>$/\4 \2(\3 [pid \1]/p' "$W/tt.txt" |
                sort -gr | head -15
        child=$(awk '/execveat\(.*ldconfig/ { print $1; exit }' "$W/tt.txt")
        if [ -n "$child" ]; then
                t_clone=$(grep -E "clone\(.*CLONE_NEWPID.* = $child " "$W/tt.txt" | awk '{ print $2 }')
                t_exec=$(awk -v c="$child" '$1 == c && /execveat\(/ { print $2; exit }' "$W/tt.txt")
                t_exit=$(awk -v c="$child" '$1 == c && /\+\+\+ exited/ { print $2 }' "$W/tt.txt")
                awk -v a="$t_clone" -v b="$t_exec" -v e="$t_exit" 'function s(t, x) { split(t, x, ":"); return x[1] * 3600 + x[2] * 60 + x[3] }
                        BEGIN { printf "ldconfig sandbox child: %.2f ms from clone to exit (%.2f ms of it before exec)\n",
                                (s(e) - s(a)) * 1000, (s(b) - s(a)) * 1000 }'
        fi
        printf 'calls by the hook and its children: %s; creations in the rootfs (mknodat/mkdirat/symlinkat): %s, %.2f ms\n' \
                "$(grep -cE '^[0-9]+ [0-9:.]+ [a-z]' "$W/tt.txt")" \
                "$(grep -cE ' (mknodat|mkdirat|symlinkat)\(' "$W/tt.txt")" \
                "$(grep -E ' (mknodat|mkdirat|symlinkat)\(' "$W/tt.txt" | sed -E 's/.*<([0-9.]+)>$/\1/' |
                        awk '{ s += $1 } END { print s * 1000 }')"

        for c in g1 mig8x7; do
                devs=all; [ $c = mig8x7 ] && devs=$MIGDEVS
                wrapped "mi-$c" "$W/sim-$c" "$devs" strace -f -e trace=openat,openat2,move_mount,read -o "$W/mi-$c.txt"
                printf '%s: %s mounts (move_mount); mountinfo opened %s times; %s read() calls in all\n' "$c" \
                        "$(grep -c ' move_mount(' "$W/mi-$c.txt")" "$(grep -c 'mountinfo' "$W/mi-$c.txt")" \
                        "$(grep -c ' read(' "$W/mi-$c.txt")"
        done

        echo
        echo "## 3. perf stat (1 GPU; one hook run)"
        wrapped ps "$W/sim-g1" all perf stat -o "$W/ps.txt" -e task-clock,context-switches,cpu-migrations,page-faults
        grep -E 'task-clock|context|migrations|faults|elapsed|user|sys' "$W/ps.txt"

        echo
        echo "## 4. perf record -g -e cpu-clock (1 GPU, 5 hook runs): top symbols, with children"
        : >"$W/perf-list"
        for i in 1 2 3 4 5; do
                wrapped "pr$i" "$W/sim-g1" all perf record -q -F 20000 -e cpu-clock -g -o "$W/perf$i.data"
        done
        for i in 1 2 3 4 5; do
                perf report -i "$W/perf$i.data" --children --sort sym --stdio -g none 2>/dev/null |
                        grep -E '^ +[0-9.]+%' | head -40
        done | awk '{ c[$3 " " $4] += $1; s[$3 " " $4] += $2; n[$3 " " $4]++ }
                    END { for (k in c) printf "%6.1f%% %6.1f%%  %s\n", c[k] / 5, s[k] / 5, k }' | sort -gr | head -30
        echo "(children% self% symbol, mean of 5 runs; [k] kernel, [.] user)"

        echo
        echo "## 5. callgrind: instructions (Ir) of the one-shot commands, 8 GPUs with 7 MIG devices each"
        for cmd in "cli info" "cli list" "info --json"; do
                # shellcheck disable=SC2046,SC2086 # the roots are several words
                case "$cmd" in
                cli*) set -- "$NVCT" cli $(bench_roots "$W/sim-mig8x7") ${cmd#cli } ;;
                *) set -- "$NVCT" info --json $(bench_roots "$W/sim-mig8x7") ;;
                esac
                f=$W/cg-${cmd// /-}.out
                valgrind -q --tool=callgrind --callgrind-out-file="$f" "$@" >"$W/cg.stdout" 2>/dev/null
                echo
                echo "### nvct $cmd: $(wc -c <"$W/cg.stdout") bytes of output"
                callgrind_annotate --inclusive=yes "$f" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | grep -v '(below main)\|libc_start\|ld-linux\|main.c:main' | head -12
        done
} 2>&1 | tee "$OUT"
