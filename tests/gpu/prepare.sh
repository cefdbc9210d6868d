#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run here (Debian 12): gather what tests/gpu/run.sh needs on the GPU machine into .carry/gpu (ignored by git):
# the nvct binary (libc-only thanks to static deps), runc, and busybox-static. Nothing can be installed there.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${NVCT_BUILD:-$SRC/build}
C=$SRC/.carry/gpu
rm -rf "$C"
mkdir -p "$C/lib"
ninja -C "$BUILD" nvct nvct-nvml >/dev/null
cp "$BUILD/nvct" "$BUILD/nvct-nvml" "$C/"
cp /usr/sbin/runc "$C/runc"
cp /bin/busybox "$C/busybox"
# runc's only non-libc dependency; the GPU machine has it, but carry it so the script never depends on that
cp -L /usr/lib/x86_64-linux-gnu/libseccomp.so.2 "$C/lib/"
if command -v crun >/dev/null; then
        cp "$(command -v crun)" "$C/crun"
        for l in $(ldd "$(command -v crun)" | awk '/=> \//{print $3}'); do
                case "$(basename "$l")" in libc.so.*|libm.so.*|ld-linux*) ;; *) cp -L "$l" "$C/lib/" ;; esac
        done
fi
# NVIDIA's own outputs recorded on the H100, for the parity comparison (data, not code)
REF=${NVCT_REFERENCE:-$SRC/../shared/reference/h100}
if [ -d "$REF" ]; then
        mkdir -p "$C/reference"
        cp "$REF/nvidia-container-cli-1.17.0-outputs.txt" "$REF/nvidia-ctk-1.13.1-cdi-generate.yaml" "$C/reference/"
fi
du -sh "$C"
