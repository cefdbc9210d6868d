#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Scale: (1) the start cost against the number of injected devices: 1, 2, 4, 8 GPUs, and 7 and 56 MIG devices
# (mksim --mig all:7 on 1 and 8 GPUs), all configurations and runc alone interleaved in one run; (2) 1, 8, 32 and 64
# concurrent starts (CONCURRENCY), runc alone and runc + hook alternating, ROUNDS rounds each. Plots (gnuplot)
# into $BENCH_PLOTS. Output: tables on stdout, raw samples under $BENCH_OUT/scale.
source "$(dirname "$0")/lib.sh"
set -u
if [ "$QUICK" = 1 ]; then : "${CONCURRENCY:=1 8}" "${ROUNDS:=1}"; else : "${CONCURRENCY:=1 8 32 64}" "${ROUNDS:=5}"; fi
bench_init scale

# ------------------------------------------------------------------------------ start cost against devices
CONFIGS=(g1 g2 g4 g8 mig1x7 mig8x7)
declare -A NDEV
for g in 1 2 4 8; do bench_sim "g$g" --gpus "$g"; NDEV[g$g]=$g; done
bench_sim mig1x7 --gpus 1 --mig all:7
bench_sim mig8x7 --gpus 8 --mig all:7
bench_variant runc runc "$W/sim-g1"
vs=(runc)
for c in "${CONFIGS[@]}"; do
        devs=all
        case "$c" in
        mig*)
                # every MIG device by GPU:MIG index (NVIDIA_VISIBLE_DEVICES=all would give the parent GPUs)
                # shellcheck disable=SC1090,SC1091
                devs=$(. "$W/sim-$c/sim.env" && for m in $SIM_MIG_DEVICES; do printf '%s,' "${m%%:*}:$(echo "$m" | cut -d: -f2)"; done)
                devs=${devs%,}
                NDEV[$c]=$(tr ',' '\n' <<<"$devs" | wc -l) ;;
        esac
        bench_variant "hook-$c" hook-debug "$W/sim-$c" "$devs"
        bench_try "hook-$c" || bench_die "hook-$c does not run: $(cat "$W/v/hook-$c/try.err")"
        vs+=("hook-$c")
done
bench_note "devices: ${vs[*]}: $ITER interleaved rounds"
bench_interleave "${vs[@]}"

{
        echo "### Start cost against injected devices (ms; median of $ITER interleaved, min-max)"
        echo
        bench_table runc "${vs[@]:1}"
        echo
        echo "Per-phase medians inside the hook (ms), from its debug log:"
        echo
        bench_phase_table "${vs[@]:1}"
        echo
} | tee -a "$R/summary.md"

bt=$(bench_median "$W/v/runc/data" 5)
bc=$(bench_median "$W/v/runc/data" 1)
{
        echo "# config devices runc_total hook_total added_total added_create"
        for c in "${CONFIGS[@]}"; do
                echo "$c ${NDEV[$c]} $bt $(bench_median "$W/v/hook-$c/data" 5)" \
                        "$(awk -v a="$(bench_median "$W/v/hook-$c/data" 5)" -v b="$bt" 'BEGIN { print a - b }')" \
                        "$(awk -v a="$(bench_median "$W/v/hook-$c/data" 1)" -v b="$bc" 'BEGIN { print a - b }')"
        done
} >"$R/devices.dat"
{
        echo "config discovery plan enter mounts nodes symlinks cgroups ldconfig"
        for c in "${CONFIGS[@]}"; do
                printf '%s' "$c"
                for i in 1 2 3 4 5 6 7 8; do printf ' %s' "$(bench_median "$W/v/hook-$c/phases" $i 1)"; done
                echo
        done
} >"$R/phases.dat"

# ------------------------------------------------------------------------------ concurrent starts
MAXC=0
for n in $CONCURRENCY; do [ "$n" -gt "$MAXC" ] && MAXC=$n; done
for k in $(seq "$MAXC"); do
        bench_variant "cc-runc-$k" runc "$W/sim-g1"
        bench_variant "cc-hook-$k" hook "$W/sim-g1"
done

# batch KIND N ROUND: N concurrent create/start/wait/delete; appends the batch wall (µs) to $W/cc/KIND-N and each
# container's line to $W/cc/KIND-N.each
mkdir -p "$W/cc"
batch() {
        local kind=$1 n=$2 round=$3 k pids=() t0 t1
        for k in $(seq "$n"); do
                bench_fresh_rootfs "cc-$kind-$k"
                cp "$W/v/cc-$kind-$k/config.json.orig" "$W/v/cc-$kind-$k/bundle/config.json"
        done
        t0=$EPOCHREALTIME
        for k in $(seq "$n"); do
                "$BT" cycle "$BENCH_PFX-c$n-$round-$kind-$k" "$W/v/cc-$kind-$k/bundle" runc >"$W/cc/out-$k" &
                pids+=($!)
        done
        local fail=0
        for k in "${!pids[@]}"; do wait "${pids[$k]}" || fail=1; done
        t1=$EPOCHREALTIME
        [ $fail = 0 ] || bench_die "a concurrent $kind start failed (N=$n)"
        [ "$round" -lt 0 ] && return 0
        awk -v a="${t0/./}" -v b="${t1/./}" 'BEGIN { print b - a }' >>"$W/cc/$kind-$n"
        cat "$W/cc"/out-* >>"$W/cc/$kind-$n.each"
        rm -f "$W/cc"/out-*
}
for n in $CONCURRENCY; do
        batch runc "$n" -1
        batch hook "$n" -1
        for ((r = 0; r < ROUNDS; r++)); do
                if [ $((r % 2)) = 0 ]; then batch runc "$n" "$r"; batch hook "$n" "$r"; else batch hook "$n" "$r"; batch runc "$n" "$r"; fi
                printf '\r# concurrency %d: round %d/%d' "$n" $((r + 1)) "$ROUNDS" >&2
        done
        echo >&2
done
{
        echo "### Concurrent starts (1 GPU; batch = N create/start/wait/delete at once; median of $ROUNDS rounds)"
        echo
        echo "| N | runc batch ms | hook batch ms | added ms | runc per-container ms | hook per-container ms | runc starts/s | hook starts/s |"
        echo "|---|---|---|---|---|---|---|---|"
        echo "# N runc_batch hook_batch runc_each hook_each" >"$R/concurrency.dat"
        for n in $CONCURRENCY; do
                rb=$(bench_median "$W/cc/runc-$n" 1)
                hb=$(bench_median "$W/cc/hook-$n" 1)
                re=$(bench_median "$W/cc/runc-$n.each" 5)
                he=$(bench_median "$W/cc/hook-$n.each" 5)
                echo "$n $rb $hb $re $he" >>"$R/concurrency.dat"
                echo "| $n | $rb | $hb | $(awk -v a="$hb" -v b="$rb" 'BEGIN { printf "%+.1f", a - b }') | $re | $he |" \
                        "$(awk -v n="$n" -v t="$rb" 'BEGIN { printf "%.0f", n * 1000 / t }') |" \
                        "$(awk -v n="$n" -v t="$hb" 'BEGIN { printf "%.0f", n * 1000 / t }') |"
        done
        echo
} | tee -a "$R/summary.md"
bench_save
cp -r "$W/cc" "$R/cc"

# ------------------------------------------------------------------------------ plots
if command -v gnuplot >/dev/null; then
        gnuplot <<EOT || bench_note "gnuplot failed"
set terminal pngcairo size 900,520 noenhanced font "sans,10"
set grid ytics
set key inside top left

set output "$BENCH_PLOTS/bench-devices.png"
set title "Container start (create+start+wait+delete of /bin/true) against injected devices, simulated driver"
set ylabel "median ms"
set xlabel "configuration (devices injected)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:*]
plot "$R/devices.dat" using 3:xtic(sprintf("%s (%d)", strcol(1), \$2)) title "runc alone", \
     "" using 4 title "runc + nvct hook", \
     "" using 6 title "added to create"

set output "$BENCH_PLOTS/bench-phases.png"
set title "Inside the hook: per-phase medians from its debug log"
set style histogram rowstacked
set boxwidth 0.6
set key outside right
plot for [i=2:9] "$R/phases.dat" using i:xtic(1) title columnhead(i)

set output "$BENCH_PLOTS/bench-concurrency.png"
set title "N concurrent starts (1 GPU): wall time of the whole batch"
set style data linespoints
set logscale x 2
unset xtics
set offsets graph 0.05, graph 0.05, 0, 0
set xlabel "concurrent starts (N)"
set ylabel "median batch ms"
set key inside top left
set xtics ($(for n in $CONCURRENCY; do printf '"%s" %s,' "$n" "$n"; done | sed 's/,$//'))
plot "$R/concurrency.dat" using 1:2 title "runc alone" lw 2, "" using 1:3 title "runc + nvct hook" lw 2
EOT
fi
