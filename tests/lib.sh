# SPDX-License-Identifier: Apache-2.0
# Shared helpers for integration tests. Each check prints exactly one TAP line: "ok - name" or "not ok - name".
# Source it; then call the t_* functions. The runner (tests/run.sh) counts the lines.

: "${NVCT_BUILD:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build}"
: "${NVCT_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
NVCT="$NVCT_BUILD/nvct"
T_FAILED=0

# T_PREFIX names a rerun of a script in another setting (e.g. the installed package), so its lines stay distinct.
t_ok()   { echo "ok - ${T_PREFIX:-}$1"; }
t_fail() { echo "not ok - ${T_PREFIX:-}$1"; shift; [ $# -gt 0 ] && printf '#   %s\n' "$@"; T_FAILED=$((T_FAILED + 1)); return 0; }

# t_eq NAME EXPECTED ACTUAL
t_eq() {
        if [ "$2" == "$3" ]; then t_ok "$1"; else
                t_fail "$1" "expected:" ; diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed 's/^/#   /' | head -40
        fi
}
# t_run NAME CMD... : passes when the command exits 0
t_run() { local n=$1; shift; local out; if out=$("$@" 2>&1); then t_ok "$n"; else t_fail "$n" "command failed: $*" "$(echo "$out" | tail -5)"; fi; }
# t_fails NAME CMD... : passes when the command exits non-zero
t_fails() { local n=$1; shift; if "$@" >/dev/null 2>&1; then t_fail "$n" "command unexpectedly succeeded: $*"; else t_ok "$n"; fi; }
# t_grep NAME PATTERN TEXT
t_grep() { if printf '%s\n' "$3" | grep -qE -- "$2"; then t_ok "$1"; else t_fail "$1" "pattern not found: $2" "$(printf '%s\n' "$3" | head -10)"; fi; }
t_skip() { echo "ok - ${T_PREFIX:-}$1 # SKIP $2"; }
# World-traversable: the NVML helper runs as nobody and must reach a simulated driver inside.
t_tmpdir() { local d; d=$(mktemp -d "${TMPDIR:-/tmp}/nvct-test.XXXXXX") && chmod 755 "$d" && echo "$d"; }

# t_sim_config SIM [ARG...]: a config.toml on stdout for the simulated driver in SIM: its root and roots, the host's
# ldconfig. An ARG "[section] key = value" adds a key to that section; any other ARG is a top-level line. [nvct]
# comes last, so lines appended to the file afterwards land in it.
t_sim_config() {
        local sim=$1 a sec s; shift
        local top="" order=(nvidia-container-cli)
        local -A keys=([nvidia-container-cli]="root = \"$sim\""$'\n'"ldconfig = \"@/sbin/ldconfig\""
                       [nvct]="proc-root = \"$sim/proc\""$'\n'"dev-root = \"$sim\""$'\n'"sys-root = \"$sim/sys\"")
        for a in "$@"; do
                if [[ "$a" == "["*"] "* ]]; then
                        sec=${a%%]*}; sec=${sec#[}
                        [[ -v "keys[$sec]" ]] || order+=("$sec")
                        keys[$sec]+="${keys[$sec]:+$'\n'}${a#*] }"
                else
                        top+="$a"$'\n'
                fi
        done
        [ -n "$top" ] && printf '%s\n' "$top"
        for s in "${order[@]}" nvct; do
                printf '[%s]\n%s\n\n' "$s" "${keys[$s]}"
        done
}
