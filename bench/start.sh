#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Container start: create, start, wait and delete of /bin/true, every variant interleaved in one run, on the
# simulated driver with 1 and with 8 GPUs (GPUS="1 8"). Also the hook's and `nvct cli configure`'s own per-phase
# timings from their debug logs. Output: tables on stdout, raw samples under $BENCH_OUT/start.
source "$(dirname "$0")/lib.sh"
set -u
: "${GPUS:=1 8}"
bench_init start

for g in $GPUS; do
        bench_sim "g$g" --gpus "$g"
        sim=$W/sim-g$g
        vs=()
        for kind in runc hook-true hook hook-debug hook-timed configure shim-legacy shim-cdi shim-jit-cdi crun crun-hook; do
                bench_variant "$kind-g$g" "$kind" "$sim"
                case "$kind" in
                crun*) command -v crun >/dev/null || continue ;;
                shim-cdi) bench_cdi_ready "$sim" "$W/v/$kind-g$g/config.toml" || {
                                bench_note "$kind: no CDI spec (nvct ctk cdi generate failed): n/a (not built)"
                                continue
                        } ;;
                esac
                if bench_try "$kind-g$g"; then
                        vs+=("$kind-g$g")
                else
                        bench_note "$kind-g$g: does not run in this build: n/a (not built): $(head -1 "$W/v/$kind-g$g/try.err")"
                fi
        done
        bench_note "$g GPU(s): ${vs[*]}: $ITER interleaved rounds"
        bench_interleave "${vs[@]}"
        {
                echo "### Container start, $g simulated GPU(s) (ms; median of $ITER, min-max; + = over runc alone)"
                echo
                bench_table "runc-g$g" "hook-true-g$g" "hook-g$g" "hook-debug-g$g" "hook-timed-g$g" "configure-g$g" "shim-legacy-g$g" "shim-cdi-g$g" \
                        "shim-jit-cdi-g$g"
                echo
                if [ -s "$W/v/crun-g$g/data" ]; then
                        echo "crun (inside unshare -m, /sys/fs/cgroup/unified unmounted):"
                        echo
                        bench_table "crun-g$g" "crun-hook-g$g"
                        echo
                fi
                echo "The hook process alone (hook-timed, the wrapped \`nvct hook\`) and \`nvct cli configure\` alone"
                echo "(configure, what NVIDIA's hook execs), timed from inside runc's prestart hook:"
                echo
                echo "| process | wall ms (min-max) | peak RSS KiB (min-max) |"
                echo "|---|---|---|"
                for v in hook-timed configure; do
                        read -r xm xmin xmax _ < <(bench_stat "$W/v/$v-g$g/xdata" 1)
                        read -r rm rmin rmax _ < <(bench_stat "$W/v/$v-g$g/xdata" 2 1 %d)
                        echo "| $v | $xm ($xmin-$xmax) | $rm ($rmin-$rmax) |"
                done
                echo
                echo "### Inside the hook and \`nvct cli configure\`, $g GPU(s): per-phase medians from the debug log (ms)"
                echo
                bench_phase_table "hook-debug-g$g" "configure-g$g"
                echo
        } | tee -a "$R/summary.md"
done
bench_save
