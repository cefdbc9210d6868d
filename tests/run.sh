#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run every test: unit (cmocka, plain and ASan/UBSan builds), static analysis (tools/lint.sh), fuzz smoke runs,
# and integration scripts.
# Each test prints one TAP line; the run ends with "N passed, N failed" and exits non-zero on any failure.
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${NVCT_BUILD:-$SRC/build}
ASAN=${NVCT_BUILD_ASAN:-$SRC/build-asan}
FUZZ=${NVCT_BUILD_FUZZ:-$SRC/build-fuzz}
FUZZ_SECONDS=${NVCT_FUZZ_SECONDS:-5}
ONLY=${1:-}
LOG=$(mktemp -d /tmp/nvct-run.XXXXXX)
passed=0 failed=0

count() { # reads TAP on stdin, echoes it, updates counters through a file
        local tag=$1 f=$LOG/counts
        while IFS= read -r line; do
                case "$line" in
                *"# SKIP"* | *"# skip"*) echo "$line"; echo s >>"$f" ;;
                "ok "*) echo "$line"; echo p >>"$f" ;;
                "not ok "*) echo "$line  [$tag]"; echo f >>"$f" ;;
                "#"*) echo "$line" ;;
                esac
        done
}

run_unit() { # $1 build dir, $2 label
        local b=$1 label=$2
        for t in "$b"/tests/test-*; do
                [ -f "$t" ] && [ -x "$t" ] || continue
                local name; name=$(basename "$t")
                [ -n "$ONLY" ] && [[ "$name" != *$ONLY* ]] && [[ unit != *$ONLY* ]] && continue
                local out rc
                out=$(CMOCKA_MESSAGE_OUTPUT=TAP ASAN_OPTIONS=detect_leaks=1 timeout 300 "$t" 2>&1); rc=$?
                printf '%s\n' "$out" | sed -E "s/^(not ok|ok) [0-9]+ - /\1 - $label $name: /" | count "$label $name"
                if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
                        printf 'not ok - %s %s: exited %d\n' "$label" "$name" "$rc" | count "$label"
                        printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
                fi
        done
}

run_fuzz() {
        [ -d "$FUZZ" ] || return 0
        for t in "$FUZZ"/tests/fuzz-*; do
                [ -f "$t" ] && [ -x "$t" ] || continue
                local name; name=$(basename "$t")
                [ -n "$ONLY" ] && [[ "$name" != *$ONLY* ]] && [[ fuzz != *$ONLY* ]] && continue
                local corpus="$SRC/tests/fuzz/corpus/${name#fuzz-}" work; work=$(mktemp -d)
                [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null
                if out=$("$t" -max_total_time="$FUZZ_SECONDS" -max_len=65536 -rss_limit_mb=2048 "$work" 2>&1); then
                        local execs; execs=$(printf '%s\n' "$out" | grep -oE 'Done [0-9]+ runs' | grep -oE '[0-9]+')
                        echo "ok - fuzz $name: ${execs:-?} executions without a crash" | count fuzz
                        echo "$name ${execs:-0}" >>"$LOG/fuzz-execs"
                else
                        echo "not ok - fuzz $name: crashed" | count fuzz
                        printf '%s\n' "$out" | tail -30 | sed 's/^/#   /'
                fi
                rm -rf "$work"
        done
}

run_lint() {
        [ -n "$ONLY" ] && [[ lint != *$ONLY* ]] && return 0
        NVCT_BUILD=$BUILD bash "$SRC/tools/lint.sh" | count lint
}

run_integration() {
        for t in "$SRC"/tests/integration/*.sh "$SRC"/tests/hostile/*.sh; do
                [ -f "$t" ] || continue
                local name; name=$(basename "$t" .sh)
                [ -n "$ONLY" ] && [[ "$name" != *$ONLY* ]] && continue
                echo "# integration: $name"
                NVCT_BUILD=$BUILD NVCT_SRC=$SRC timeout 1200 bash "$t" 2>"$LOG/$name.stderr" | count "$name"
                local rc=${PIPESTATUS[0]}
                if [ "$rc" -ne 0 ]; then
                        echo "not ok - integration $name exited $rc" | count "$name"
                        tail -20 "$LOG/$name.stderr" | sed 's/^/#   /'
                fi
        done
}

run_unit "$BUILD" unit
[ -d "$ASAN" ] && run_unit "$ASAN" asan
run_lint
run_fuzz
run_integration

passed=$(grep -c p "$LOG/counts" 2>/dev/null); passed=${passed:-0}
skipped=$(grep -c s "$LOG/counts" 2>/dev/null); skipped=${skipped:-0}
[ "$skipped" -gt 0 ] && echo "# $skipped skipped (a feature this machine lacks)"
failed=$(grep -c f "$LOG/counts" 2>/dev/null); failed=${failed:-0}
[ -f "$LOG/fuzz-execs" ] && cp "$LOG/fuzz-execs" "$BUILD/fuzz-execs.txt"
rm -rf "$LOG"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
