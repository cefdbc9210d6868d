# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# Shared helpers of the benchmarks (sourced by bench/*.sh). Every benchmark runs its variants interleaved: round
# i runs each variant once, starting at a different variant each round, so drift in the machine's load hits all
# variants alike. Samples are timed inside bench/benchtool (CLOCK_MONOTONIC around fork/exec/wait), never by the
# shell, and every container gets a fresh overlayfs rootfs (like docker's overlay2), set up outside the timing.

BENCH_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NVCT_SRC=$(cd "$BENCH_SRC/.." && pwd)
: "${NVCT_BUILD:=$NVCT_SRC/build}"
NVCT=$NVCT_BUILD/nvct
: "${QUICK:=0}"
if [ "$QUICK" = 1 ]; then : "${ITER:=5}" "${WARMUP:=1}"; else : "${ITER:=30}" "${WARMUP:=3}"; fi
: "${BENCH_OUT:=/tmp/nvct-bench-results}"
: "${BENCH_PLOTS:=$BENCH_OUT}"
BENCH_PFX=nvct-bench-$$

bench_die() { echo "bench: $*" >&2; exit 1; }
bench_note() { echo "# $*" >&2; }

bench_cleanup() {
        local id m
        for id in $(runc list -q 2>/dev/null | grep "^$BENCH_PFX-"); do runc delete -f "$id" >/dev/null 2>&1; done
        if [ -n "${W:-}" ] && [ -d "$W" ]; then
                # overlay mounts first (deepest first), then the tree
                for m in $(awk -v w="$W/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
                        umount -l "$m" 2>/dev/null
                done
                rm -rf "$W"
        fi
}

# bench_init: the work dir $W (world-traversable: the NVML helper runs as nobody), benchtool, the pristine
# rootfs and the nvct links. $R is this benchmark's result dir under $BENCH_OUT.
bench_init() {
        local name=$1
        [ "$(id -u)" = 0 ] || bench_die "needs root (runc, mounts, mknod)"
        [ -x "$NVCT" ] || bench_die "$NVCT not found: build first (NVCT_BUILD=…)"
        for t in runc jq gcc; do command -v $t >/dev/null || bench_die "$t not found"; done
        W=$(mktemp -d /tmp/nvct-bench.XXXXXX) && chmod 755 "$W"
        trap bench_cleanup EXIT
        trap 'exit 130' INT TERM
        R=$BENCH_OUT/$name
        rm -rf "$R" && mkdir -p "$R" "$BENCH_PLOTS"
        gcc -O2 -Wall -Wextra -Werror -o "$W/benchtool" "$BENCH_SRC/benchtool.c" || bench_die "building benchtool"
        BT=$W/benchtool
        "$NVCT_SRC/tests/sim/mkrootfs.sh" "$W/rootfs" >/dev/null || bench_die "mkrootfs"
        mkdir -p "$W/bin" "$W/v"
        ln -s "$NVCT" "$W/bin/nvidia-container-runtime"
        ln -s "$NVCT" "$W/bin/nvidia-container-runtime-hook"
        ln -s "$NVCT" "$W/bin/nvidia-cdi-hook"
        # the shim's jit-cdi mode finds nvidia-cdi-hook on PATH, as NVIDIA's does
        export PATH=$W/bin:$PATH
        {
                echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
                echo "host: $(uname -r), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
                echo "runc: $(runc --version | head -1)"
                command -v crun >/dev/null && echo "crun: $(crun --version | head -1)"
                echo "nvct: $NVCT ($(git -C "$NVCT_SRC" rev-parse --short HEAD 2>/dev/null || echo ?))"
                echo "iterations: $ITER (+$WARMUP warm-up rounds), QUICK=$QUICK"
        } >"$R/env.txt"
}

# bench_sim NAME MKSIM-ARGS...: a simulated driver in $W/sim-NAME (made once)
bench_sim() {
        local name=$1; shift
        [ -d "$W/sim-$name" ] && return 0
        "$NVCT_SRC/tests/sim/mksim.sh" "$W/sim-$name" "$@" >/dev/null || bench_die "mksim $*"
}

# bench_config FILE SIM [EXTRA TOML LINES...]: config.toml selecting the simulated driver; extra lines go into
# the tables they name ("[section] key = value" puts key = value under [section]).
bench_config() {
        local file=$1 sim=$2 line; shift 2
        local cli="" rt="" top="" hook="path = \"$W/bin/nvidia-container-runtime-hook\""
        for line in "$@"; do
                case "$line" in
                "[nvidia-container-cli] "*) cli+="${line#* }"$'\n' ;;
                "[nvidia-container-runtime] "*) rt+="${line#* }"$'\n' ;;
                *) top+="$line"$'\n' ;;
                esac
        done
        cat >"$file" <<EOT
$top
[nvidia-container-cli]
root = "$sim"
ldconfig = "@/sbin/ldconfig"
$cli
[nvidia-container-runtime]
runtimes = ["runc"]
$rt
[nvidia-container-runtime.modes.cdi]
spec-dirs = ["$W/cdi-$(basename "$sim")"]

[nvidia-container-runtime-hook]
$hook

[nvct]
proc-root = "$sim/proc"
dev-root = "$sim"
sys-root = "$sim/sys"
EOT
}

# bench_roots SIM: the nvct cli global flags that select a simulated driver
bench_roots() { echo "--root=$1 --proc-root=$1/proc --dev-root=$1 --sys-root=$1/sys"; }

# bench_variant NAME KIND SIM [VISIBLE_DEVICES]: a bundle in $W/v/NAME for one variant. KIND:
#   runc | crun            the runtime alone
#   hook | crun-hook       the runtime + prestart hook `nvct hook -config CFG prestart`
#   hook-debug             as hook, with the debug log (per-phase timings) in $W/v/NAME/debug.log
#   shim-legacy|shim-cdi|shim-jit-cdi   `nvidia-container-runtime` (a link to nvct) in that mode, in front of runc
#   hook-true              the runtime + a prestart hook that is /bin/true: what running any hook costs runc
#   hook-timed             as hook, wrapped in `benchtool time`: the hook's own wall time and peak RSS (xdata)
#   hook-wrap              as hook-debug, run under the command in $BENCH_HOOK_WRAP (words; e.g. a profiler)
#   configure              runc + a prestart hook that execs `nvct cli configure --pid=PID` (as NVIDIA's hook
#                          execs nvidia-container-cli), wrapped in `benchtool time` (xdata), with its debug log
bench_variant() {
        local name=$1 kind=$2 sim=$3 devs=${4:-all} d=$W/v/$1
        mkdir -p "$d/bundle" "$d/ov"
        echo "$kind" >"$d/kind"
        "$NVCT_SRC/tests/sim/mkbundle.sh" "$d/bundle" "$W/rootfs" >/dev/null
        local cfg=$d/config.toml
        case "$kind" in
        hook-debug|hook-wrap) bench_config "$cfg" "$sim" "[nvidia-container-cli] debug = \"$d/debug.log\"" ;;
        shim-legacy) bench_config "$cfg" "$sim" '[nvidia-container-runtime] mode = "legacy"' ;;
        shim-cdi) bench_config "$cfg" "$sim" '[nvidia-container-runtime] mode = "cdi"' ;;
        shim-jit-cdi) bench_config "$cfg" "$sim" '[nvidia-container-runtime] mode = "jit-cdi"' ;;
        *) bench_config "$cfg" "$sim" ;;
        esac
        local filter='.root.path = $root'
        case "$kind" in
        runc|crun|hook-true) ;;
        *) filter+=' | .process.env += ["NVIDIA_VISIBLE_DEVICES=" + $devs, "NVIDIA_DRIVER_CAPABILITIES=compute,utility"]' ;;
        esac
        case "$kind" in
        hook|hook-debug|crun-hook)
                filter+=' | .hooks.prestart = [{path: $nvct, args: ["nvct", "hook", "-config", $cfg, "prestart"]}]' ;;
        hook-true) filter+=' | .hooks.prestart = [{path: "/bin/true", args: ["true"]}]' ;;
        hook-wrap)
                filter+=' | .hooks.prestart = [{path: $wrap[0], args: ($wrap + [$nvct, "hook", "-config", $cfg,
                        "prestart"])}]' ;;
        hook-timed)
                filter+=' | .hooks.prestart = [{path: $bt, args: ["benchtool", "time", "-o", $xt, $nvct, "hook",
                        "-config", $cfg, "prestart"]}]' ;;
        configure)
                filter+=' | .hooks.prestart = [{path: $bt, args: (["benchtool", "time", "-s", "-o", $xt, $nvct, "cli",
                        "-d", $dbg] + ($roots | split(" ")) + ["configure", "--pid={pid}", "--device=" + $devs,
                        "--compute", "--utility", "--ldconfig=@/sbin/ldconfig", $root])}]' ;;
        esac
        jq --arg root "$d/ov/merged" --arg devs "$devs" --arg nvct "$NVCT" --arg cfg "$cfg" --arg bt "$BT" \
                --arg xt "$d/xtime" --arg dbg "$d/debug.log" --arg roots "$(bench_roots "$sim")" \
                --argjson wrap "$(jq -nc '$ARGS.positional' --args -- ${BENCH_HOOK_WRAP:-})" "$filter" \
                "$d/bundle/config.json" >"$d/config.json.orig" || bench_die "jq"
        cp "$d/config.json.orig" "$d/bundle/config.json"
        case "$kind" in hook-debug|hook-wrap|configure) : >"$d/debug.log" ;; esac
}

# A fresh overlay rootfs for the next sample of variant $1 (outside the timing).
bench_fresh_rootfs() {
        local o=$W/v/$1/ov
        mountpoint -q "$o/merged" && umount "$o/merged"
        rm -rf "$o/upper" "$o/work"
        mkdir -p "$o/upper" "$o/work" "$o/merged"
        mount -t overlay overlay -o "lowerdir=$W/rootfs,upperdir=$o/upper,workdir=$o/work" "$o/merged" ||
                bench_die "overlay mount for $1"
}

# bench_sample VARIANT [ID-SUFFIX]: one create/start/wait/delete; appends the benchtool line to $W/v/V/data
BENCH_N=0
bench_sample() {
        local v=$1 d=$W/v/$1 kind line
        kind=$(<"$d/kind")
        BENCH_N=$((BENCH_N + 1))
        local id=$BENCH_PFX-$BENCH_N
        bench_fresh_rootfs "$v"
        cp "$d/config.json.orig" "$d/bundle/config.json"
        if [ -f "$d/debug.log" ]; then : >"$d/debug.log"; fi
        rm -f "$d/xtime"
        case "$kind" in
        crun|crun-hook) line=$("$BT" cycle -u "$id" "$d/bundle" crun) ;;
        shim-*) line=$(NVIDIA_CTK_CONFIG_FILE_PATH=$d/config.toml "$BT" cycle "$id" "$d/bundle" \
                        "$W/bin/nvidia-container-runtime") ;;
        *) line=$("$BT" cycle "$id" "$d/bundle" runc) ;;
        esac || { runc delete -f "$id" >/dev/null 2>&1; bench_die "sample of $v failed (see above)"; }
        if [ "${BENCH_RECORD:-1}" = 1 ]; then
                echo "$line" >>"$d/data"
                if [ -f "$d/debug.log" ]; then bench_phases "$d/debug.log" >>"$d/phases"; fi
                if [ -f "$d/xtime" ]; then cat "$d/xtime" >>"$d/xdata"; fi
        fi
        return 0
}

# The per-phase line of the hook ("hook: …") or of `nvct cli configure` ("configure: …"), as 8 numbers (ms):
# discovery plan enter mounts nodes symlinks cgroups ldconfig
bench_phases() {
        grep -E '(hook|configure): (parse\+)?discovery' "$1" | tail -1 | grep -oE '[0-9.]+ ms' | awk '{ printf "%s ", $1 }
                END { if (NR == 8) print ""; else print "bench: phase line has " NR " timings, not 8" > "/dev/stderr" }'
}

# bench_interleave VARIANT...: $WARMUP unrecorded rounds, then $ITER rounds, each variant once per round in a
# rotating order.
bench_interleave() {
        local vs=("$@") n=$# i j
        for ((i = 0; i < WARMUP + ITER; i++)); do
                [ $i -lt "$WARMUP" ] && BENCH_RECORD=0 || BENCH_RECORD=1
                for ((j = 0; j < n; j++)); do
                        BENCH_RECORD=$BENCH_RECORD bench_sample "${vs[$(((i + j) % n))]}"
                done
                printf '\r# round %d/%d' $((i + 1)) $((WARMUP + ITER)) >&2
        done
        echo >&2
}

# bench_stat FILE COLUMN [SCALE [FORMAT]]: "median min max n" of a column; values divided by SCALE (default 1000:
# µs → ms), printed with FORMAT (default %.2f)
bench_stat() {
        [ -s "$1" ] || { echo "n/a n/a n/a 0"; return 0; }
        awk -v c="$2" '{ print $c }' "$1" | sort -g | awk -v s="${3:-1000}" -v f="${4:-%.2f}" '
                { v[NR] = $1 / s }
                END {
                        if (NR == 0) { print "n/a n/a n/a 0"; exit }
                        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                        printf f " " f " " f " %d\n", m, v[1], v[NR], NR
                }'
}
bench_median() { bench_stat "$@" | cut -d' ' -f1; }

# bench_table BASE VARIANT...: one row per variant: create and create+start+wait+delete medians (min–max), the
# cost added to each over BASE, and the ratio of the totals.
bench_table() {
        local base=$1 v bc bt; shift
        bc=$(bench_median "$W/v/$base/data" 1)
        bt=$(bench_median "$W/v/$base/data" 5)
        printf '| %-22s | %-24s | %-24s | %9s | %9s | %6s |\n' variant "create ms (min-max)" "total ms (min-max)" \
                "+create" "+total" "ratio"
        printf '|%s|%s|%s|%s|%s|%s|\n' ------------------------ -------------------------- -------------------------- \
                ----------- ----------- --------
        for v in "$base" "$@"; do
                if [ ! -s "$W/v/$v/data" ]; then
                        printf '| %-22s | %-24s | %-24s | %9s | %9s | %6s |\n' "$v" "n/a (not built)" "" "" "" ""
                        continue
                fi
                read -r cm cmin cmax _ < <(bench_stat "$W/v/$v/data" 1)
                read -r tm tmin tmax _ < <(bench_stat "$W/v/$v/data" 5)
                printf '| %-22s | %-24s | %-24s | %9s | %9s | %6s |\n' "$v" "$cm ($cmin-$cmax)" "$tm ($tmin-$tmax)" \
                        "$(awk -v a="$cm" -v b="$bc" 'BEGIN { printf "%+.2f", a - b }')" \
                        "$(awk -v a="$tm" -v b="$bt" 'BEGIN { printf "%+.2f", a - b }')" \
                        "$(awk -v a="$tm" -v b="$bt" 'BEGIN { printf "%.2f", a / b }')"
        done
}

# bench_phase_table VARIANT...: per-phase medians (ms) from the variants' debug logs
bench_phase_table() {
        local names=(discovery plan enter mounts nodes symlinks cgroups ldconfig) v i
        printf '| %-12s |' phase; for v in "$@"; do printf ' %-22s |' "$v"; done; echo
        printf '|--------------|'; for v in "$@"; do printf '%s|' ------------------------; done; echo
        for i in "${!names[@]}"; do
                printf '| %-12s |' "${names[$i]}"
                for v in "$@"; do
                        read -r m mn mx _ < <(bench_stat "$W/v/$v/phases" $((i + 1)) 1)
                        printf ' %-22s |' "$m ($mn-$mx)"
                done
                echo
        done
        printf '| %-12s |' "sum"
        for v in "$@"; do
                [ -s "$W/v/$v/phases" ] || { printf ' %-22s |' "n/a"; continue; }
                printf ' %-22s |' "$(awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }' "$W/v/$v/phases" |
                        sort -g | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
        done
        echo
}

# bench_cdi_ready SIM CFG: generate the CDI spec the cdi mode reads; fails when nvct has no `ctk cdi generate`
bench_cdi_ready() {
        local sim=$1 cfg=$2 dir
        dir=$W/cdi-${1##*/}
        mkdir -p "$dir"
        [ -s "$dir/nvidia.yaml" ] && return 0
        NVIDIA_CTK_CONFIG_FILE_PATH=$cfg "$NVCT" ctk cdi generate --driver-root="$sim" --dev-root="$sim" \
                --nvidia-cdi-hook-path="$W/bin/nvidia-cdi-hook" --output="$dir/nvidia.yaml" >/dev/null 2>&1 &&
                [ -s "$dir/nvidia.yaml" ]
}

# bench_try VARIANT: one unrecorded sample; false when the variant does not work in this build, or when a GPU
# variant did not inject the driver (no nvidia-smi mount point in the container's overlay upper layer).
bench_try() {
        local d=$W/v/$1
        (BENCH_RECORD=0 bench_sample "$1") >/dev/null 2>"$d/try.err" || { sed -i '/^bench: sample/d' "$d/try.err"; return 1; }
        case "$(<"$d/kind")" in
        runc|crun|hook-true) return 0 ;;
        esac
        [ -e "$d/ov/upper/usr/bin/nvidia-smi" ] && return 0
        echo "ran, but injected nothing (no /usr/bin/nvidia-smi in the container)" >>"$d/try.err"
        return 1
}

# bench_save: keep each variant's samples and inputs (not its rootfs) under $R/v
bench_save() {
        local d f
        for d in "$W"/v/*/; do
                d=${d%/}
                mkdir -p "$R/v/${d##*/}"
                for f in kind data phases xdata config.toml config.json.orig try.err debug.log; do
                        [ -f "$d/$f" ] && cp "$d/$f" "$R/v/${d##*/}/"
                done
        done
        return 0
}
