#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static analysis over the tree: clang-tidy with the checked-in .clang-tidy, cppcheck, and the clang static
# analyzer through scan-build. Prints one TAP line per tool and fails on any finding.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${NVCT_BUILD:-build}
fail=0
mapfile -t SRCS < <(git ls-files 'src/*.c')
[ -f "$BUILD/compile_commands.json" ] || meson setup "$BUILD" >/dev/null
tidy=$(command -v clang-tidy || command -v clang-tidy-14)
# clang does not know GCC's -Wno-format-truncation from the compile database
if out=$("$tidy" -p "$BUILD" --quiet --extra-arg=-Wno-unknown-warning-option "${SRCS[@]}" 2>&1); then echo "ok - lint: clang-tidy (${#SRCS[@]} files)"
else echo "not ok - lint: clang-tidy"; printf '%s\n' "$out" | grep -E 'warning:|error:' | head -50 | sed 's/^/#   /'; fail=1; fi
if out=$(cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance --std=c11 \
        --inline-suppr --suppress=missingIncludeSystem \
        `# cppcheck does not model __attribute__((cleanup)): every scope-freed pointer reads as a leak; leaks are` \
        `# caught by LeakSanitizer (asan build, fuzzers) and valgrind instead` \
        --suppress=memleak --suppress=resourceLeak -D_GNU_SOURCE -I src/basic -I src/lib -I src/cli -I "$BUILD" \
        "${SRCS[@]}" 2>&1); then echo "ok - lint: cppcheck"
else echo "not ok - lint: cppcheck"; printf '%s\n' "$out" | head -50 | sed 's/^/#   /'; fail=1; fi
sb=$(command -v scan-build || command -v scan-build-14)
if [ -n "$sb" ]; then
        d=$(mktemp -d)
        CC=clang "$sb" -disable-checker unix.Malloc -o "$d/report" meson setup "$d/build" >/dev/null 2>&1
                # unix.Malloc does not model __attribute__((cleanup)) either (see .clang-tidy)
        if out=$("$sb" --status-bugs -disable-checker unix.Malloc -o "$d/report" ninja -C "$d/build" nvct 2>&1); then echo "ok - lint: scan-build"
        else echo "not ok - lint: scan-build"; printf '%s\n' "$out" | grep -E 'warning:' | head -50 | sed 's/^/#   /'; fail=1; fi
        rm -rf "$d"
else
        echo "not ok - lint: scan-build not installed (apt-get install clang-tools)"; fail=1
fi
exit $fail
