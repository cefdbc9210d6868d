#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static analysis over the tree: clang-tidy with the checked-in .clang-tidy, cppcheck, and the clang static
# analyzer through scan-build. Prints one TAP line per tool and fails on any finding.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${NVCT_BUILD:-build}
JOBS=$(nproc 2>/dev/null || echo 2)
fail=0
if git rev-parse --git-dir >/dev/null 2>&1; then mapfile -t SRCS < <(git ls-files 'src/*.c')
else mapfile -t SRCS < <(find src -name '*.c' | sort); fi
[ -f "$BUILD/compile_commands.json" ] || meson setup "$BUILD" >/dev/null

tidy=$(command -v clang-tidy || command -v clang-tidy-14)
# clang does not know GCC's -Wno-format-truncation from the compile database
if out=$(printf '%s\n' "${SRCS[@]}" | xargs -P "$JOBS" -n 4 "$tidy" -p "$BUILD" --quiet \
                --extra-arg=-Wno-unknown-warning-option 2>&1); then
        echo "ok - lint: clang-tidy (${#SRCS[@]} files)"
else
        echo "not ok - lint: clang-tidy"
        printf '%s\n' "$out" | grep -E 'warning:|error:' | head -50 | sed 's/^/#   /'
        fail=1
fi

if out=$(cppcheck --quiet --error-exitcode=1 -j "$JOBS" --enable=warning,portability,performance --std=c11 \
                --inline-suppr --suppress=missingIncludeSystem \
                `# cppcheck does not model __attribute__((cleanup)): every scope-freed pointer reads as a leak; leaks` \
                `# are caught by LeakSanitizer (asan build, fuzzers) and valgrind instead` \
                --suppress=memleak --suppress=resourceLeak -D_GNU_SOURCE -I src/basic -I src/lib -I src/cli \
                -I "$BUILD" "${SRCS[@]}" 2>&1); then
        echo "ok - lint: cppcheck"
else
        echo "not ok - lint: cppcheck"
        printf '%s\n' "$out" | head -50 | sed 's/^/#   /'
        fail=1
fi

# The analyzer's default checkers plus the opt-in ones that apply to C on Linux. Off, each for a reason:
#   unix.Malloc: it does not model __attribute__((cleanup)), so every _cleanup_ early return reads as a leak;
#     leaks are covered by LeakSanitizer (asan build, fuzzers) and valgrind;
#   security.insecureAPI.DeprecatedOrUnsafeBufferHandling: it flags every memcpy/snprintf, bounds or not;
#   valist.Uninitialized: it loses the va_start of a va_list handed to a v*printf.
ANALYZER=(-enable-checker optin.portability.UnixAPI -enable-checker optin.performance.Padding
          -enable-checker security.FloatLoopCounter -enable-checker security.insecureAPI.bcmp
          -enable-checker security.insecureAPI.bcopy -enable-checker security.insecureAPI.bzero
          -enable-checker security.insecureAPI.rand -enable-checker security.insecureAPI.strcpy
          -enable-checker valist.CopyToSelf -enable-checker valist.Unterminated
          -disable-checker unix.Malloc)
sb=$(command -v scan-build || command -v scan-build-14)
if [ -n "$sb" ]; then
        d=$(mktemp -d)
        CC=clang "$sb" "${ANALYZER[@]}" -o "$d/report" meson setup "$d/build" >/dev/null 2>&1
        if out=$("$sb" --status-bugs "${ANALYZER[@]}" -o "$d/report" ninja -C "$d/build" -j "$JOBS" nvct 2>&1); then
                echo "ok - lint: scan-build"
        else
                echo "not ok - lint: scan-build"
                printf '%s\n' "$out" | grep -E 'warning:|error:' | grep -v "statically linked" | head -50 | sed 's/^/#   /'
                fail=1
        fi
        rm -rf "$d"
else
        echo "not ok - lint: scan-build not installed (apt-get install clang-tools)"
        fail=1
fi
exit $fail
