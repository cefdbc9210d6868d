#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The one-shot commands, interleaved: `nvct cli info`, `nvct cli list`, `nvct info --json`, `nvct ctk cdi
# generate` (when this build has it), and the shim's own `create` work (the shim in front of /bin/true instead of
# runc, so only its spec edit is timed), each with its wall time and peak RSS; /bin/true is the fork+exec floor.
# On the simulated driver with 1 and 8 GPUs. Output: a table on stdout, raw samples under $BENCH_OUT/tools.
source "$(dirname "$0")/lib.sh"
set -u
: "${GPUS:=1 8}"
bench_init tools

# tool_cmd NAME CMD...: a command variant; its samples go to $W/t/NAME (wall_us maxrss_kib per line)
declare -A TOOL
TOOLS=()
tool_cmd() { local n=$1; shift; TOOL[$n]="$*"; TOOLS+=("$n"); mkdir -p "$W/t"; : >"$W/t/$n"; }

for g in $GPUS; do
        bench_sim "g$g" --gpus "$g"
        sim=$W/sim-g$g
        roots=$(bench_roots "$sim")
        bench_config "$W/shim-g$g.toml" "$sim" '[nvidia-container-runtime] mode = "legacy"'
        sed -i 's|^runtimes = .*|runtimes = ["/bin/true"]|' "$W/shim-g$g.toml"
        mkdir -p "$W/shim-g$g"
        "$NVCT_SRC/tests/sim/mkbundle.sh" "$W/shim-g$g" "$W/rootfs" >/dev/null
        jq '.process.env += ["NVIDIA_VISIBLE_DEVICES=all"]' "$W/shim-g$g/config.json" >"$W/shim-g$g/config.json.orig"
        tool_cmd "true-g$g" /bin/true
        tool_cmd "cli-info-g$g" "$NVCT" cli $roots info
        tool_cmd "cli-list-g$g" "$NVCT" cli $roots list
        tool_cmd "info-json-g$g" "$NVCT" info --json $roots
        tool_cmd "shim-create-g$g" env NVIDIA_CTK_CONFIG_FILE_PATH="$W/shim-g$g.toml" "$W/bin/nvidia-container-runtime" \
                create --bundle "$W/shim-g$g" "$BENCH_PFX-shim"
        if bench_cdi_ready "$sim" "$W/shim-g$g.toml"; then
                tool_cmd "cdi-generate-g$g" env NVIDIA_CTK_CONFIG_FILE_PATH="$W/shim-g$g.toml" "$NVCT" ctk cdi generate \
                        --driver-root="$sim" --dev-root="$sim" --output="$W/cdi-out-g$g.yaml"
        else
                bench_note "nvct ctk cdi generate: n/a (not built)"
        fi
done

# Every command must work once before it is timed.
for n in "${TOOLS[@]}"; do
        case "$n" in shim-create-*) g=${n#shim-create-}; cp "$W/shim-$g/config.json.orig" "$W/shim-$g/config.json" ;; esac
        # shellcheck disable=SC2086
        ${TOOL[$n]} >/dev/null 2>"$W/t/$n.err" || bench_die "$n failed: ${TOOL[$n]}: $(tail -3 "$W/t/$n.err")"
done

N=${#TOOLS[@]}
for ((i = 0; i < WARMUP + ITER; i++)); do
        for ((j = 0; j < N; j++)); do
                n=${TOOLS[$(((i + j) % N))]}
                case "$n" in shim-create-*) g=${n#shim-create-}; cp "$W/shim-$g/config.json.orig" "$W/shim-$g/config.json" ;; esac
                out=$W/t/$n
                [ $i -lt "$WARMUP" ] && out=/dev/null
                # shellcheck disable=SC2086
                "$BT" time -o "$out" ${TOOL[$n]} >/dev/null 2>&1 || bench_die "$n failed"
        done
        printf '\r# round %d/%d' $((i + 1)) $((WARMUP + ITER)) >&2
done
echo >&2

{
        echo "### One-shot commands (median of $ITER interleaved runs, min-max)"
        echo
        echo "| command | wall ms (min-max) | peak RSS KiB (min-max) |"
        echo "|---|---|---|"
        for n in "${TOOLS[@]}"; do
                read -r m mn mx _ < <(bench_stat "$W/t/$n" 1)
                read -r rm rmn rmx _ < <(bench_stat "$W/t/$n" 2 1 %d)
                echo "| $n | $m ($mn-$mx) | $rm ($rmn-$rmx) |"
        done
        echo
} | tee -a "$R/summary.md"
cp -r "$W/t" "$R/t"
