#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mkrootfs.sh DIR [--lib64]: a minimal container rootfs: busybox-static with its applet links, the host's glibc,
# ldconfig, ld.so.conf and ld.so.cache, passwd/group and the usual empty mount points.
#   default   Debian-like: merged /usr, glibc in /usr/lib/x86_64-linux-gnu, etc/debian_version
#   --lib64   Fedora-like: merged /usr, glibc in /usr/lib64, no etc/debian_version
# The pristine tree is built once into $NVCT_SIM_CACHE (default /tmp/nvct-sim-cache) and copied.
set -euo pipefail

die() { echo "mkrootfs: $*" >&2; exit 1; }

[ $# -ge 1 ] || die "usage: mkrootfs.sh DIR [--lib64]"
DIR=$1; shift
FLAVOUR=debian
for a in "$@"; do
        case "$a" in
        --lib64) FLAVOUR=lib64 ;;
        *) die "unknown option: $a" ;;
        esac
done

BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "$BUSYBOX not found (apt-get install busybox-static)"
HOST_LIBDIR=/lib/x86_64-linux-gnu
GLIBC=(libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 ld-linux-x86-64.so.2)

CACHE_ROOT=${NVCT_SIM_CACHE:-/tmp/nvct-sim-cache}
KEY=$( (cat "${BASH_SOURCE[0]}"; stat -L -c '%s %Y' "$BUSYBOX" /sbin/ldconfig "${GLIBC[@]/#/$HOST_LIBDIR/}") |
        sha256sum | cut -c1-16)
PRISTINE=$CACHE_ROOT/rootfs-$FLAVOUR-$KEY

build() {
        local t=$1 libdir a
        if [ "$FLAVOUR" = debian ]; then libdir=usr/lib/x86_64-linux-gnu; else libdir=usr/lib64; fi
        mkdir -p "$t"/{usr/bin,usr/sbin,usr/lib,etc/ld.so.conf.d,proc,sys,dev,root,run,var/tmp,tmp} "$t/$libdir"
        ln -s usr/bin "$t/bin"
        ln -s usr/sbin "$t/sbin"
        ln -s usr/lib "$t/lib"
        chmod 1777 "$t/tmp" "$t/var/tmp"
        chmod 0700 "$t/root"
        cp "$BUSYBOX" "$t/usr/bin/busybox"
        for a in $("$BUSYBOX" --list); do
                case "$a" in busybox|ldconfig) continue ;; esac
                [ -e "$t/usr/bin/$a" ] || ln -s busybox "$t/usr/bin/$a"
        done
        cp /sbin/ldconfig "$t/usr/sbin/ldconfig"
        for a in "${GLIBC[@]}"; do cp -L "$HOST_LIBDIR/$a" "$t/$libdir/$a"; done
        # The ELF interpreter every host binary names is /lib64/ld-linux-x86-64.so.2.
        if [ "$FLAVOUR" = debian ]; then
                mkdir -p "$t/usr/lib64"
                ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$t/usr/lib64/ld-linux-x86-64.so.2"
                printf '# libc default configuration\n/usr/local/lib\n' >"$t/etc/ld.so.conf.d/libc.conf"
                printf '# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' \
                        >"$t/etc/ld.so.conf.d/x86_64-linux-gnu.conf"
                echo 12.7 >"$t/etc/debian_version"
                printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\nVERSION_ID="12"\n' \
                        >"$t/etc/os-release"
                printf 'root:x:0:\nnogroup:x:65534:\n' >"$t/etc/group"
        else
                # Debian's ldconfig and ld.so do not trust /usr/lib64 on their own, so name it.
                printf '/usr/lib64\n/usr/local/lib64\n' >"$t/etc/ld.so.conf.d/lib64.conf"
                printf 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n' >"$t/etc/os-release"
                printf 'root:x:0:\nnobody:x:65534:\n' >"$t/etc/group"
        fi
        ln -s usr/lib64 "$t/lib64"
        printf 'include /etc/ld.so.conf.d/*.conf\n\n' >"$t/etc/ld.so.conf"
        printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$t/etc/passwd"
        echo sim >"$t/etc/hostname"
        ldconfig -r "$t"
        rm -rf "$t/var/cache/ldconfig"
}

if [ ! -d "$PRISTINE" ]; then
        mkdir -p "$CACHE_ROOT"
        tmp=$(mktemp -d "$CACHE_ROOT/.rootfs.XXXXXX")
        build "$tmp/r" || { rm -rf "$tmp"; die "building the rootfs failed"; }
        mv -T "$tmp/r" "$PRISTINE" 2>/dev/null || true # another run may have won the race
        rm -rf "$tmp"
fi

mkdir -p "$DIR"
[ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
cp -a "$PRISTINE/." "$DIR/"
