#!/usr/bin/env bash
# The in-process ld.so.cache update (nvct_ldcache_update) against the real ldconfig, on simulated-driver images:
# each case copies one rootfs twice, runs `ldconfig -r A DIRS` (what nvct's sandbox runs) on one copy and our
# update on the other, then requires identical `ldconfig -p` output and identical loader behaviour (a probe that
# dlopen()s every cached soname in a chroot, with LD_DEBUG=libs traces). Then hostile caches, and the timings.
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
trap 'rm -rf "$W"' EXIT
TOOL=$NVCT_BUILD/tests/test-ldcache-write
if [ ! -x "$TOOL" ]; then t_skip "ldcache-write" "$TOOL not built (cmocka missing)"; exit 0; fi

"$NVCT_SRC"/tests/sim/mksim.sh "$W/sim" --compat32 >/dev/null 2>&1 || { t_fail "mksim --compat32"; exit 0; }
"$NVCT_SRC"/tests/sim/mksim.sh "$W/simh" --layout h100 >/dev/null 2>&1 || { t_fail "mksim --layout h100"; exit 0; }
source "$W/sim/sim.env"
SIM=$W/sim SIMH=$W/simh

cat >"$W/probe.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
/* For each soname: the file the loader maps for dlopen(soname), or "not found". */
int main(int argc, char **argv) {
        for (int i = 1; i < argc; i++) {
                void *h = dlopen(argv[i], RTLD_LAZY | RTLD_LOCAL);
                struct link_map *m = NULL;
                if (!h || dlinfo(h, RTLD_DI_LINKMAP, &m) != 0 || !m) {
                        printf("%s: not found\n", argv[i]);
                        continue;
                }
                char *real = realpath(m->l_name, NULL);
                printf("%s: %s (%s)\n", argv[i], m->l_name, real ? real : "?");
                free(real);
        }
        return 0;
}
EOF
gcc -O1 -o "$W/probe" "$W/probe.c" -ldl || { t_fail "build the loader probe"; exit 0; }
HAVE32=no
if [ "$SIM_COMPAT32" = 1 ] && gcc -m32 -O1 -o "$W/probe32" "$W/probe.c" -ldl 2>/dev/null && [ -e /usr/lib32/libc.so.6 ]; then
        HAVE32=yes
fi

# inject_libs SRCDIR DESTDIR: what nvct's plan leaves in a library directory: the files and their links.
inject_libs() {
        mkdir -p "$2"
        (cd "$1" && find . -maxdepth 1 \( -type f -o -type l \) -name 'lib*.so*' -print0 | xargs -0 cp -a -t "$2")
}

# image NAME FLAVOUR [SHELL]: a rootfs as an image would ship it (with its own cache), then SHELL run in it.
image() {
        local r=$W/$1
        "$NVCT_SRC"/tests/sim/mkrootfs.sh "$r" ${2:+$2} >/dev/null || return 1
        cp "$W/probe" "$r/usr/bin/nvct-probe"
        if [ "$HAVE32" = yes ] && [ -z "$2" ]; then
                # an image with 32-bit glibc: the i386 loader finds libc through the cache
                mkdir -p "$r/usr/lib/i386-linux-gnu"
                cp -L /usr/lib32/{libc.so.6,libdl.so.2,libm.so.6,libpthread.so.0} "$r/usr/lib/i386-linux-gnu/"
                cp -L /usr/lib32/ld-linux.so.2 "$r/usr/lib/ld-linux.so.2"
                printf '/usr/lib/i386-linux-gnu\n' >"$r/etc/ld.so.conf.d/i386-linux-gnu.conf"
                cp "$W/probe32" "$r/usr/bin/nvct-probe32"
                ldconfig -r "$r" && rm -rf "$r/var/cache/ldconfig"
        fi
        (cd "$r" && eval "${3:-:}") || return 1
}

# cache_of ROOT: `ldconfig -p` without the first line's file name
cache_of() { ldconfig -p -C "$1/etc/ld.so.cache" | sed '1s/cache.*//'; }

# probe ROOT BITS SONAMES...: what the loader maps, and its library search trace (pids stripped)
probe() {
        local r=$1 bin=/usr/bin/nvct-probe; shift
        [ "$1" = 32 ] && bin=/usr/bin/nvct-probe32
        shift
        # one process per soname, so an earlier dlopen cannot answer a later one
        chroot "$r" /bin/sh -c 'b=$1; shift; for s; do LD_DEBUG=libs "$b" "$s"; done' sh "$bin" "$@" 2>"$W/trace"
        echo "--- LD_DEBUG=libs"
        sed -E 's/^ *[0-9]+:\s*//' "$W/trace"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# compare_case NAME DIRS...: the image $W/NAME copied to NAME.a (ldconfig) and NAME.b (nvct)
compare_case() {
        local name=$1; shift
        local a=$W/$name.a b=$W/$name.b
        PROBE_B=
        cp -a "$W/$name" "$a" && cp -a "$W/$name" "$b"
        t_run "$name: ldconfig -r" ldconfig -r "$a" "$@"
        local out rc
        out=$("$TOOL" --update "$b" "$@" 2>&1); rc=$?
        t_eq "$name: nvct_ldcache_update succeeds" 0 "$rc"
        [ $rc -eq 0 ] || { echo "#   $out"; return; }
        local ca cb
        ca=$(cache_of "$a"); cb=$(cache_of "$b")
        t_eq "$name: ldconfig -p identical ($(printf '%s\n' "$ca" | head -1 | cut -d' ' -f1) entries; $out)" "$ca" "$cb"
        local so64 so32
        so64=$(printf '%s\n' "$cb" | sed -nE 's/^\t([^ ]+) \(libc6,x86-64.*/\1/p' | sort -u)
        so32=$(printf '%s\n' "$cb" | sed -nE 's/^\t([^ ]+) \((libc6|ELF)\).*/\1/p' | sort -u)
        # shellcheck disable=SC2086
        t_eq "$name: loader maps the same files for $(echo $so64 | wc -w) sonames" \
                "$(probe "$a" 64 $so64)" "$(probe "$b" 64 $so64)"
        if [ -n "$so32" ] && [ -x "$b/usr/bin/nvct-probe32" ]; then
                # shellcheck disable=SC2086
                t_eq "$name: 32-bit loader maps the same files for $(echo $so32 | wc -w) sonames" \
                        "$(probe "$a" 32 $so32)" "$(probe "$b" 32 $so32)"
        fi
        PROBE_B=$(probe "$b" 64 $so64)
}

# ---- Debian image, the full simulated driver injected (64- and 32-bit) --------------------------------------
image debian "" "" || t_fail "debian image"
inject_libs "$SIM$SIM_LIBDIR" "$W/debian/usr/lib/x86_64-linux-gnu"
[ "$HAVE32" = yes ] && inject_libs "$SIM$SIM_LIB32DIR" "$W/debian/usr/lib/i386-linux-gnu"
compare_case debian /usr/lib/x86_64-linux-gnu /usr/lib/i386-linux-gnu
t_grep "debian: the injected libcuda is mapped" '^libcuda.so.1: /usr/lib/x86_64-linux-gnu/libcuda.so.1' "$PROBE_B"
if [ "$HAVE32" = yes ]; then
        t_grep "debian: 32-bit libnvidia-ml is in the cache" 'libnvidia-ml.so.1 \(libc6\) => /usr/lib/i386-linux-gnu/' \
                "$(cache_of "$W/debian.b")"
else
        t_skip "debian: 32-bit libraries" "gcc -m32 or /usr/lib32 glibc missing"
fi

# ---- a CUDA compat directory ahead of the injected one ------------------------------------------------------
image compat "" "mkdir -p usr/local/cuda/compat && cp $SIM$SIM_LIBDIR/libcuda.so.$SIM_VERSION usr/local/cuda/compat/libcuda.so.999.1 && ln -s libcuda.so.999.1 usr/local/cuda/compat/libcuda.so.1" ||
        t_fail "compat image"
inject_libs "$SIM$SIM_LIBDIR" "$W/compat/usr/lib/x86_64-linux-gnu"
compare_case compat /usr/local/cuda/compat /usr/lib/x86_64-linux-gnu
t_grep "compat: the loader takes libcuda from the compat directory" '^libcuda.so.1: /usr/local/cuda/compat/libcuda.so.1' \
        "$PROBE_B"
# the control: without the updated cache the loader never looks in the compat directory
t_grep "compat: control: the image's own cache does not reach it" '^libcuda.so.1: /(usr/)?lib/x86_64-linux-gnu/libcuda.so.1 ' \
        "$(probe "$W/compat" 64 libcuda.so.1)"

# ---- Fedora-like image (/usr/lib64), the H100 layout's /usr/local/nvidia/lib64 --------------------------------
image lib64 --lib64 "" || t_fail "lib64 image"
inject_libs "$SIMH/usr/local/nvidia/lib64" "$W/lib64/usr/local/nvidia/lib64"
compare_case lib64 /usr/local/nvidia/lib64 /usr/lib64
t_grep "lib64: libnvidia-ml found only through the cache" '^libnvidia-ml.so.1: /usr/local/nvidia/lib64/libnvidia-ml.so.1' \
        "$PROBE_B"
t_grep "lib64: control: not found with the image's own cache" '^libnvidia-ml.so.1: not found' \
        "$(probe "$W/lib64" 64 libnvidia-ml.so.1)"

# ---- Debian image, the H100 layout: real files in /usr/local/nvidia/lib64, absolute symlinks in the multiarch dir
# (every soname twice in the cache; the versioned names are links that ldconfig treats as files)
SIMH_LINKDIR=$(. "$SIMH/sim.env"; echo "$SIM_LINK_LIBDIR")
image h100 "" "" || t_fail "h100 image"
inject_libs "$SIMH/usr/local/nvidia/lib64" "$W/h100/usr/local/nvidia/lib64"
inject_libs "$SIMH$SIMH_LINKDIR" "$W/h100/usr/lib/x86_64-linux-gnu"
compare_case h100 /usr/local/nvidia/lib64 /usr/lib/x86_64-linux-gnu
t_grep "h100: libcuda.so.1 listed from both directories, lib64 first" \
        'libcuda.so.1 .*=> /usr/local/nvidia/lib64/libcuda.so.1.*libcuda.so.1 .*=> /usr/lib/x86_64-linux-gnu/libcuda.so.1' \
        "$(cache_of "$W/h100.b" | tr '\n' ' ')"

# ---- an image with libraries of its own: an old NVML in /usr/local/lib and extra libraries -------------------
image extra "" "mkdir -p usr/local/lib && cp $SIM$SIM_LIBDIR/libnvidia-ml.so.$SIM_VERSION usr/local/lib/libnvidia-ml.so.1 && cp -a $SIM$SIM_LIBDIR/libnvidia-egl-gbm.so* usr/local/lib/ && ldconfig -r ." ||
        t_fail "extra image"
inject_libs "$SIM$SIM_LIBDIR" "$W/extra/usr/lib/x86_64-linux-gnu"
compare_case extra /usr/lib/x86_64-linux-gnu
t_grep "extra: the injected NVML wins over the image's" '^libnvidia-ml.so.1: /usr/lib/x86_64-linux-gnu/' "$PROBE_B"

# ---- a stale cache: a driver injected earlier (another version) is gone, the new one replaces it -------------
image stale "" "cp $SIM$SIM_LIBDIR/libcuda.so.$SIM_VERSION usr/lib/x86_64-linux-gnu/libcuda.so.470.1 && ln -s libcuda.so.470.1 usr/lib/x86_64-linux-gnu/libcuda.so.1 && cp $SIM$SIM_LIBDIR/libnvidia-ml.so.$SIM_VERSION usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1 && ldconfig -r . && rm usr/lib/x86_64-linux-gnu/libcuda.so.* usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1" ||
        t_fail "stale image"
inject_libs "$SIM$SIM_LIBDIR" "$W/stale/usr/lib/x86_64-linux-gnu"
compare_case stale /usr/lib/x86_64-linux-gnu
t_grep "stale: the new libcuda replaced the old entry" '^libcuda.so.1: /usr/lib/x86_64-linux-gnu/libcuda.so.1 \(.*libcuda.so.'"$SIM_VERSION"'\)' \
        "$PROBE_B"

# ---- refusals: the caller falls back to the sandboxed ldconfig (exit 3 = EOPNOTSUPP) ------------------------
refuse() { # NAME SHELL EXPECTED-MESSAGE
        local r=$W/refuse-$1
        cp -a "$W/debian" "$r" && (cd "$r" && eval "$2")
        local out rc
        out=$(timeout 20 "$TOOL" --update "$r" /usr/lib/x86_64-linux-gnu /usr/lib/i386-linux-gnu 2>&1); rc=$?
        t_eq "refused: $1 (EOPNOTSUPP)" 3 "$rc"
        t_grep "refused: $1: says why" "$3" "$out"
        t_eq "refused: $1: no temporary file left" "" "$(ls -A "$r/etc" | grep nvct)"
}
PASSWD_SUM=$(sha256sum /etc/passwd)
refuse symlink "rm etc/ld.so.cache && ln -s /proc/1/root/etc/passwd etc/ld.so.cache" "symlink"
t_eq "refused: symlink: its target is untouched" "$PASSWD_SUM" "$(sha256sum /etc/passwd)"
refuse fifo "rm etc/ld.so.cache && mkfifo etc/ld.so.cache" "not a regular file"
refuse huge "truncate -s 10G etc/ld.so.cache" "limit"
refuse none "rm etc/ld.so.cache" "no /etc/ld.so.cache"
refuse old-format "ldconfig -c old -r ." "old-format"
refuse stale-elsewhere "mkdir -p usr/local/lib && cp $SIM$SIM_LIBDIR/libnvidia-egl-gbm.so.1.1.1 usr/local/lib/" "stale"
refuse stale-conf "echo /opt/lib >etc/ld.so.conf.d/zz-opt.conf" "stale"

# ---- timings ------------------------------------------------------------------------------------------------
for name in debian lib64; do
        dirs="/usr/lib/x86_64-linux-gnu /usr/lib/i386-linux-gnu"
        [ $name = lib64 ] && dirs="/usr/local/nvidia/lib64 /usr/lib64"
        # shellcheck disable=SC2086
        ours=$("$TOOL" --update "$W/$name.b" --repeat 100 $dirs | sed -nE 's/.*median_us=([0-9]+).*/\1/p')
        real=$(for i in $(seq 100); do
                s=$(date +%s%N); ldconfig -r "$W/$name.a" $dirs; e=$(date +%s%N); echo $(((e - s) / 1000))
        done | median)
        echo "# timing $name: nvct_ldcache_update median ${ours}us, ldconfig -r median ${real}us (100 runs each)"
        if [ -n "$ours" ] && [ -n "$real" ] && [ "$ours" -lt "$real" ]; then
                t_ok "$name: the in-process update is faster than ldconfig (${ours}us < ${real}us)"
        else
                t_fail "$name: the in-process update is faster than ldconfig" "ours=${ours:-?}us real=${real:-?}us"
        fi
        t_eq "$name: repeated updates still match ldconfig" "$(cache_of "$W/$name.a")" "$(cache_of "$W/$name.b")"
done
exit 0
