#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole benchmark suite (`make bench`): container start (start.sh), one-shot commands and peak RSS
# (tools.sh), scale with devices and concurrency, with plots (scale.sh), and the hook's profile (profile.sh).
# QUICK=1: a fast pass (5 rounds, fewer concurrency levels). Results: $BENCH_OUT (default
# /tmp/nvct-bench-results): summary.md, one directory per benchmark with the raw samples; plots in $BENCH_PLOTS.
# Run one part alone with: bench/run.sh start|tools|scale|profile ...
set -u
BENCH_SRC=$(cd "$(dirname "$0")" && pwd)
: "${BENCH_OUT:=/tmp/nvct-bench-results}"
export BENCH_OUT QUICK=${QUICK:-0}
[ $# -gt 0 ] || set -- start tools scale profile
mkdir -p "$BENCH_OUT"
rc=0
for part in "$@"; do
        [ -x "$BENCH_SRC/$part.sh" ] || { echo "bench: no such benchmark: $part" >&2; exit 2; }
        echo "=== $part" >&2
        "$BENCH_SRC/$part.sh" >"$BENCH_OUT/$part.log" || { echo "bench: $part failed (see $BENCH_OUT/$part.log)" >&2; rc=1; }
done

# ------------------------------------------------------------------------------ summary
source "$BENCH_SRC/lib.sh"
S=$BENCH_OUT/start/v
med() { if [ -s "$1" ]; then bench_stat "$1" "$2" "${3:-1000}" "${4:-%.2f}" | cut -d' ' -f1; else echo n/a; fi; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a") print "n/a"; else printf "%.2f", a - b }'; }
{
        cat "$BENCH_OUT"/{start,tools,scale}/summary.md 2>/dev/null >"$BENCH_OUT/summary.md"
        echo
        echo "=============================== nvct benchmark summary (medians, ms) ==============================="
        [ -f "$BENCH_OUT/start/env.txt" ] && sed 's/^/  /' "$BENCH_OUT/start/env.txt"
        for g in 1 8; do
                [ -d "$S/runc-g$g" ] || continue
                rc_create=$(med "$S/runc-g$g/data" 1)
                echo "  $g GPU(s):"
                echo "    runc create alone                   $rc_create (create+start+wait+delete $(med "$S/runc-g$g/data" 5))"
                printf '    %-34s  create %s\n' "runc + /bin/true prestart hook" "$(med "$S/hook-true-g$g/data" 1)"
                for v in hook shim-legacy shim-cdi shim-jit-cdi; do
                        c=$(med "$S/$v-g$g/data" 1)
                        t=$(med "$S/$v-g$g/data" 5)
                        if [ "$c" = n/a ]; then printf '    %-34s  n/a (not built)\n' "$v"; continue; fi
                        printf '    %-34s  create %s (+%s), total %s (+%s)\n' "$v" "$c" "$(sub "$c" "$rc_create")" "$t" \
                                "$(sub "$t" "$(med "$S/runc-g$g/data" 5)")"
                done
                printf '    %-34s  %s ms, peak RSS %s KiB\n' "hook process alone" "$(med "$S/hook-timed-g$g/xdata" 1)" \
                        "$(med "$S/hook-timed-g$g/xdata" 2 1 %d)"
                printf '    %-34s  %s ms, peak RSS %s KiB\n' "nvct cli configure alone" \
                        "$(med "$S/configure-g$g/xdata" 1)" "$(med "$S/configure-g$g/xdata" 2 1 %d)"
                printf '    %-34s  ' "hook phases (discovery..ldconfig)"
                for i in 1 2 3 4 5 6 7 8; do printf '%s ' "$(med "$S/hook-debug-g$g/phases" $i 1)"; done
                echo
                [ -d "$S/crun-g$g" ] && printf '    %-34s  total %s, with hook %s\n' "crun" "$(med "$S/crun-g$g/data" 5)" \
                        "$(med "$S/crun-hook-g$g/data" 5)"
        done
        if [ -d "$BENCH_OUT/tools/t" ]; then
                printf '  one-shot commands (ms / peak RSS KiB):'
                for f in "$BENCH_OUT"/tools/t/*; do
                        case "$f" in *.err) continue ;; esac
                        printf ' %s %s/%s;' "${f##*/}" "$(med "$f" 1)" "$(med "$f" 2 1 %d)"
                done
                echo
        fi
        [ -f "$BENCH_OUT/scale/devices.dat" ] && { echo "  start cost against devices (config devices runc hook added added-to-create):"; sed 's/^/    /' "$BENCH_OUT/scale/devices.dat"; }
        [ -f "$BENCH_OUT/scale/concurrency.dat" ] && { echo "  concurrency (batch ms):"; sed 's/^/    /' "$BENCH_OUT/scale/concurrency.dat"; }
        echo "  target (h100.md): GPU injection adds <= 6 ms to runc create"
        echo "  full tables: $BENCH_OUT/summary.md; profile: $BENCH_OUT/profile/profile.txt; plots: ${BENCH_PLOTS:-$BENCH_OUT}"
} | tee "$BENCH_OUT/headline.txt"
exit $rc
