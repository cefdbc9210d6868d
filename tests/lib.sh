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
