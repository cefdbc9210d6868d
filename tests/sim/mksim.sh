#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mksim.sh DIR [options]: write a simulated NVIDIA driver root into DIR (see tests/sim/README.md).
# Needs gcc, ldconfig and root (mknod). Compiled pieces are cached in $NVCT_SIM_CACHE (default
# /tmp/nvct-sim-cache), keyed on the sources and the compiler, so a second run only copies and links.
set -euo pipefail
shopt -s nullglob

SIM_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NVCT_SRC=$(cd "$SIM_SRC/../.." && pwd)

die() { echo "mksim: $*" >&2; exit 1; }
warn() { echo "mksim: warning: $*" >&2; }

usage() {
        cat <<'EOF'
usage: mksim.sh DIR [options]
  --version VER       driver version (580.159.04)        --cuda X.Y          CUDA version (13.0)
  --gpus N            number of GPUs, 0-8 (1)            --mig SPEC          e.g. 0:3,1:3 or all:7
  --layout L          debian | h100 (debian)             --libset S          full | h100 (layout's)
  --no-graphics       no graphics/display/ngx files      --no-uvm            no nvidia-uvm
  --no-modeset        no /dev/nvidia-modeset             --modeset           force it (h100 lacks it)
  --no-drm / --drm    DRM nodes (default: as modeset)    --no-ipc / --ipc    sockets and MPS dir
  --compat32          32-bit libraries too               --model NAME        (NVIDIA H100 80GB HBM3)
  --brand N           NVML brand enum (14)               --arch X.Y          compute capability (9.0)
  --memory-mib N      memory per GPU (81559)             --imex N            IMEX channel nodes (0)
  --nvml-error NAME   a failing NVML (repeatable, or comma list): init init-permission init-mismatch
                      init-hang init-crash count gpu-lost uuid mig cuda-version driver-version shutdown-hang
  --no-nvml           no libnvidia-ml at all
EOF
}

# ---------------------------------------------------------------------------------------------- options
[ $# -ge 1 ] || { usage >&2; exit 2; }
case "$1" in -h|--help) usage; exit 0 ;; esac
DIR=$1; shift
VERSION=580.159.04 CUDA=13.0 NGPUS=1 MIG_SPEC="" LAYOUT=debian LIBSET="" GRAPHICS=1 UVM=1 MODESET="" DRM=""
IPC="" COMPAT32=0 MODEL="NVIDIA H100 80GB HBM3" BRAND=14 ARCH=9.0 MEMORY_MIB=81559 IMEX=0 NVML=1 ERRORS=""
while [ $# -gt 0 ]; do
        opt=$1; shift
        case "$opt" in
        --version|--cuda|--gpus|--mig|--layout|--libset|--model|--brand|--arch|--memory-mib|--imex|--nvml-error)
                [ $# -ge 1 ] || die "$opt needs a value"
                val=$1; shift ;;
        esac
        case "$opt" in
        --version) VERSION=$val ;;
        --cuda) CUDA=$val ;;
        --gpus) NGPUS=$val ;;
        --mig) MIG_SPEC=$val ;;
        --layout) LAYOUT=$val ;;
        --libset) LIBSET=$val ;;
        --model) MODEL=$val ;;
        --brand) BRAND=$val ;;
        --arch) ARCH=$val ;;
        --memory-mib) MEMORY_MIB=$val ;;
        --imex) IMEX=$val ;;
        --nvml-error) ERRORS="${ERRORS:+$ERRORS,}$val" ;;
        --no-graphics) GRAPHICS=0 ;;
        --no-uvm) UVM=0 ;;
        --no-modeset) MODESET=0 ;;
        --modeset) MODESET=1 ;;
        --no-drm) DRM=0 ;;
        --drm) DRM=1 ;;
        --no-ipc) IPC=0 ;;
        --ipc) IPC=1 ;;
        --compat32) COMPAT32=1 ;;
        --no-nvml) NVML=0 ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option: $opt (see --help)" ;;
        esac
done

[[ $VERSION =~ ^[0-9]+\.[0-9]+(\.[0-9]+)?$ ]] || die "--version: not a driver version: $VERSION"
[[ $CUDA =~ ^([0-9]+)\.([0-9])$ ]] || die "--cuda: not a CUDA version (X.Y): $CUDA"
CUDA_INT=$((BASH_REMATCH[1] * 1000 + BASH_REMATCH[2] * 10))
CUDA_MAJOR=${BASH_REMATCH[1]}
[[ $NGPUS =~ ^[0-8]$ ]] || die "--gpus: 0 to 8: $NGPUS"
[[ $ARCH =~ ^([0-9]+)\.([0-9]+)$ ]] || die "--arch: not a compute capability (X.Y): $ARCH"
CC_MAJOR=${BASH_REMATCH[1]} CC_MINOR=${BASH_REMATCH[2]}
[[ $BRAND =~ ^[0-9]+$ ]] && [ "$BRAND" -le 16 ] || die "--brand: an NVML brand enum 0-16: $BRAND"
[[ $MEMORY_MIB =~ ^[1-9][0-9]{0,7}$ ]] || die "--memory-mib: not a size: $MEMORY_MIB"
[[ $IMEX =~ ^[0-9]+$ ]] && [ "$IMEX" -le 2048 ] || die "--imex: 0 to 2048: $IMEX"
[[ $MODEL =~ ^[A-Za-z0-9][A-Za-z0-9\ ._()+/-]{0,90}$ ]] || die "--model: letters, digits, space and ._()+/- only"
case "$LAYOUT" in
debian) : "${LIBSET:=full}" "${MODESET:=1}" "${IPC:=1}" ;;
h100) : "${LIBSET:=h100}" "${MODESET:=0}" "${IPC:=0}" ;;
*) die "--layout: debian or h100: $LAYOUT" ;;
esac
: "${DRM:=$MODESET}"
case "$LIBSET" in full|h100) ;; *) die "--libset: full or h100: $LIBSET" ;; esac

ERRMASK=0
IFS=, read -r -a errs <<<"$ERRORS"
for e in "${errs[@]}"; do
        case "$e" in
        init) b=0 ;; init-permission) b=1 ;; init-mismatch) b=2 ;; init-hang) b=3 ;; init-crash) b=4 ;;
        count) b=5 ;; gpu-lost) b=6 ;; uuid) b=7 ;; mig) b=8 ;; cuda-version) b=9 ;; driver-version) b=10 ;;
        shutdown-hang) b=11 ;;
        "") continue ;;
        *) die "--nvml-error: unknown fault: $e (see --help)" ;;
        esac
        ERRMASK=$((ERRMASK | (1 << b)))
done

# MIG instances per GPU index, from "0:3,1:3" or "all:7".
declare -a NMIG
for ((i = 0; i < NGPUS; i++)); do NMIG[i]=0; done
if [ -n "$MIG_SPEC" ]; then
        IFS=, read -r -a migs <<<"$MIG_SPEC"
        for m in "${migs[@]}"; do
                [[ $m =~ ^(all|[0-9]):([1-7])$ ]] || die "--mig: expected IDX:N or all:N with N 1-7: $m"
                if [ "${BASH_REMATCH[1]}" = all ]; then
                        for ((i = 0; i < NGPUS; i++)); do NMIG[i]=${BASH_REMATCH[2]}; done
                else
                        [ "${BASH_REMATCH[1]}" -lt "$NGPUS" ] || die "--mig: no GPU ${BASH_REMATCH[1]}"
                        NMIG[BASH_REMATCH[1]]=${BASH_REMATCH[2]}
                fi
        done
fi
MIG_CAPABLE=0
[ "$CC_MAJOR" -ge 8 ] && MIG_CAPABLE=1
for ((i = 0; i < NGPUS; i++)); do
        [ "${NMIG[i]}" -eq 0 ] || [ $MIG_CAPABLE = 1 ] || die "--mig: compute capability $ARCH is not MIG capable"
done

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
[ -z "$(ls -A "$DIR")" ] || die "$DIR is not empty"
[ "$(id -u)" = 0 ] || warn "not root: device nodes will be missing"

# ---------------------------------------------------------------------------------------------- layout
if [ "$LAYOUT" = debian ]; then
        LIBDIR=/usr/lib/x86_64-linux-gnu LIB32DIR=/usr/lib/i386-linux-gnu BINDIR=/usr/bin
        FWDIR=/lib/firmware/nvidia/$VERSION SHAREDIR=/usr/share VDPAUDIR=$LIBDIR/vdpau VDPAU32DIR=$LIB32DIR/vdpau
        LINK_LIBDIR="" LINK_LIB32DIR="" LINK_BINDIR=""
        UVM_MAJOR=510 CAPS_MAJOR=509 IMEX_MAJOR=508
        PCI_SLOTS=(18:00 2a:00 3a:00 5d:00 9a:00 ab:00 ba:00 db:00) # bus:device of a DGX H100's GPUs
else
        LIBDIR=/usr/local/nvidia/lib64 LIB32DIR=/usr/local/nvidia/lib BINDIR=/usr/local/nvidia/bin
        FWDIR=/usr/local/nvidia/firmware/nvidia/$VERSION SHAREDIR=/usr/local/nvidia/share
        VDPAUDIR=$LIBDIR VDPAU32DIR=$LIB32DIR
        LINK_LIBDIR=/lib/x86_64-linux-gnu LINK_LIB32DIR=/lib/i386-linux-gnu LINK_BINDIR=/usr/bin
        UVM_MAJOR=238 CAPS_MAJOR=241 IMEX_MAJOR=240
        PCI_SLOTS=(00:06 00:07 00:08 00:09 00:0a 00:0b 00:0c 00:0d) # the VM's GPU is 0000:00:06.0
fi

# The driver's libraries in NVIDIA's list order (libnvidia-container §1.3): category, name, soname suffix
# ("v": the full version), the sets holding it (f: full, h: the real H100 machine), and whether a 32-bit build
# exists.
LIBTABLE="
utility libnvidia-ml 1 fh y
utility libnvidia-cfg 1 fh n
utility libnvidia-nscq 1 f n
compute libcuda 1 fh y
compute libcudadebugger 1 fh n
compute libnvidia-opencl 1 fh y
compute libnvidia-gpucomp v fh y
compute libnvidia-ptxjitcompiler 1 fh y
compute libnvidia-fatbinaryloader 1 f y
compute libnvidia-allocator 1 fh y
compute libnvidia-compiler 1 f y
compute libnvidia-pkcs11 v f n
compute libnvidia-pkcs11-openssl3 v fh n
compute libnvidia-nvvm 4 fh n
video libvdpau_nvidia 1 fh y
video libnvidia-encode 1 fh y
video libnvidia-opticalflow 1 fh y
video libnvcuvid 1 fh y
graphics libnvidia-eglcore v fh y
graphics libnvidia-glcore v fh y
graphics libnvidia-tls v fh y
graphics libnvidia-glsi v fh y
graphics libnvidia-fbc 1 fh y
graphics libnvidia-ifr 1 f y
graphics libnvidia-rtcore v fh n
graphics libnvoptix 1 fh n
glvnd libGLX_nvidia 0 fh y
glvnd libEGL_nvidia 0 fh y
glvnd libGLESv2_nvidia 2 fh y
glvnd libGLESv1_CM_nvidia 1 fh y
glvnd libnvidia-glvkspirv v fh y
glvnd libnvidia-cbl v f n
ngx libnvidia-ngx 1 f n
"

# ---------------------------------------------------------------------------------------------- cache
CACHE_ROOT=${NVCT_SIM_CACHE:-/tmp/nvct-sim-cache}
mkdir -p "$CACHE_ROOT"
KEY=$( (cat "${BASH_SOURCE[0]}" "$SIM_SRC"/src/*.c "$SIM_SRC"/src/*.h "$NVCT_SRC/src/lib/nvml-abi.h"; gcc -dumpfullversion) |
        sha256sum | cut -c1-16)
CACHE=$CACHE_ROOT/$KEY
CFLAGS=(-O2 -g0 -std=gnu17 -Wall -Wextra -Werror -fvisibility=hidden -I"$SIM_SRC/src" -I"$NVCT_SRC/src/lib")

# build_fixed ARCH M: the objects and programs that do not depend on the options, once per arch.
build_fixed() {
        local arch=$1 m=$2 out=$CACHE/$1 tmp
        [ -f "$out/.done" ] && return 0
        tmp=$(mktemp -d "$CACHE_ROOT/.build.XXXXXX")
        local s
        for s in stub abi-tag nvml sim-view cuda; do
                gcc "$m" "${CFLAGS[@]}" -fPIC -c "$SIM_SRC/src/$s.c" -o "$tmp/$s.o" &
        done
        for s in nvidia-smi tool cuda-check simfs; do
                gcc "$m" "${CFLAGS[@]}" "$SIM_SRC/src/$s.c" -o "$tmp/$s" &
        done
        local rc=0 p
        for p in $(jobs -p); do wait "$p" || rc=1; done
        [ $rc = 0 ] || { rm -rf "$tmp"; die "compiling the $arch simulator failed"; }
        mkdir -p "$tmp/lib"
        touch "$tmp/.done"
        mkdir -p "$CACHE"
        mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp" # another run won the race
}

# cached_lib ARCH FILE SONAME [EXTRA_OBJ]: path of a stub library of that name, linked once.
cached_lib() {
        local arch=$1 file=$2 soname=$3 extra=${4:-} m=-m64
        local dir=$CACHE/$arch/lib/${soname:-none}
        [ "$arch" = i386 ] && m=-m32
        if [ ! -f "$dir/$file" ]; then
                mkdir -p "$dir"
                local objs=("$CACHE/$arch/stub.o") so=()
                [ -n "$extra" ] && objs+=("$CACHE/$arch/$extra.o")
                [ -n "$soname" ] && so=(-Wl,-soname,"$soname")
                gcc "$m" -shared -nostdlib "${so[@]}" "${objs[@]}" -o "$dir/.$file.$$"
                mv -f "$dir/.$file.$$" "$dir/$file"
        fi
        REPLY=$dir/$file
}

ARCHES=(x86_64)
if [ $COMPAT32 = 1 ]; then
        if echo 'int main(void){return 0;}' | gcc -m32 -x c - -o "$CACHE_ROOT/.m32.$$" 2>/dev/null; then
                ARCHES+=(i386)
        else
                warn "gcc -m32 does not work: no 32-bit libraries"
                COMPAT32=0
        fi
        rm -f "$CACHE_ROOT/.m32.$$"
fi
for a in "${ARCHES[@]}"; do
        if [ "$a" = i386 ]; then build_fixed i386 -m32; else build_fixed x86_64 -m64; fi
done
SIMFS=$CACHE/x86_64/simfs

# ---------------------------------------------------------------------------------------------- identities
brand_names=(Unknown Quadro Tesla NVS GRID GeForce TITAN VApps VPC VCS VWS CloudGaming QuadroRTX NvidiaRTX
        Nvidia GeForceRTX TitanRTX)
UUIDS=() BUSIDS=() PROC_BUSIDS=() MINORS=() MIG_DEVICES=() SMI_L=""
CONFIG_GPUS=""
mig_profile() { # N → profile, first GI id, memory MiB of an H100 80GB split into N instances
        case $1 in
        1) echo "7g.80gb 0 80896" ;; 2) echo "3g.40gb 1 40448" ;; 3) echo "2g.20gb 3 19968" ;;
        *) echo "1g.10gb 7 9728" ;;
        esac
}
for ((i = 0; i < NGPUS; i++)); do
        uuid=$(printf 'GPU-00000000-0000-4000-8000-%012x' "$i")
        slot=${PCI_SLOTS[i]} bus=${PCI_SLOTS[i]%:*} pcidev=${PCI_SLOTS[i]#*:}
        busid="00000000:${slot^^}.0"
        UUIDS+=("$uuid") BUSIDS+=("$busid") PROC_BUSIDS+=("0000:$slot.0") MINORS+=("$i")
        SMI_L+="GPU $i: $MODEL (UUID: $uuid)"$'\n'
        migs_c=""
        if [ "${NMIG[i]}" -gt 0 ]; then
                read -r profile gi0 mmib <<<"$(mig_profile "${NMIG[i]}")"
                for ((m = 0; m < NMIG[i]; m++)); do
                        muuid=$(printf 'MIG-%08x-0000-5000-8000-%012x' "$i" "$m")
                        gi=$((gi0 + m)) ci=0
                        gicap=$((3 + i * 135 + gi * 9)) cicap=$((3 + i * 135 + gi * 9 + 1 + ci))
                        MIG_DEVICES+=("$i:$m:$gi:$ci:$muuid:$profile:$gicap:$cicap")
                        SMI_L+=$(printf '  MIG %-11s Device %2u: (UUID: %s)' "$profile" "$m" "$muuid")$'\n'
                        migs_c+="{ \"$muuid\", \"$profile\", $gi, $ci, $gicap, $cicap, ${mmib}ULL << 20 }, "
                done
        fi
        CONFIG_GPUS+="        { .name = \"$MODEL\", .uuid = \"$uuid\", .busid = \"$busid\", .domain = 0, .bus = 0x$bus,
          .device = 0x$pcidev, .function = 0, .minor = $i, .brand = $BRAND, .cc_major = $CC_MAJOR, .cc_minor = $CC_MINOR,
          .memory = ${MEMORY_MIB}ULL << 20, .pci_device_id = 0x233010de, .pci_subsystem_id = 0x16c110de,
          .mig_capable = $MIG_CAPABLE, .mig_enabled = $([ "${NMIG[i]}" -gt 0 ] && echo 1 || echo 0),
          .n_migs = ${NMIG[i]}, .migs = { $migs_c} },
"
done
SMI_L=${SMI_L%$'\n'}

# ---------------------------------------------------------------------------------------------- NVML, CUDA
mkdir -p "$DIR/sim/bin" "$DIR/sim/src"
cat >"$DIR/sim/src/sim-config.c" <<EOF
/* Generated by tests/sim/mksim.sh for $DIR. */
#include "sim.h"

const SimConfig sim_config = {
        .root = "$DIR",
        .driver_version = "$VERSION",
        .nvml_version = "$CUDA_MAJOR.$VERSION",
        .cuda_version = $CUDA_INT,
        .errors = $ERRMASK,
        .n_gpus = $NGPUS,
        .gpus = {
$CONFIG_GPUS        },
};
EOF

# build_config ARCH M OUT: libnvidia-ml and libcuda for this configuration, in OUT.
build_config() {
        local arch=$1 m=$2 out=$3 c=$CACHE/$1
        mkdir -p "$out"
        gcc "$m" "${CFLAGS[@]}" -fPIC -c "$DIR/sim/src/sim-config.c" -o "$out/sim-config.o"
        gcc "$m" -shared -pthread -Wl,-soname,libnvidia-ml.so.1 "$c/nvml.o" "$c/sim-view.o" "$out/sim-config.o" \
                -o "$out/libnvidia-ml.so.$VERSION" &
        gcc "$m" -shared -pthread -Wl,-soname,libcuda.so.1 "$c/cuda.o" "$c/sim-view.o" "$out/sim-config.o" \
                -o "$out/libcuda.so.$VERSION" &
        local rc=0 p
        for p in $(jobs -p); do wait "$p" || rc=1; done
        rm -f "$out/sim-config.o"
        return $rc
}
build_config x86_64 -m64 "$DIR/sim/lib64" &
CONFIG_PIDS=($!)
if [ $COMPAT32 = 1 ]; then
        build_config i386 -m32 "$DIR/sim/lib32" &
        CONFIG_PIDS+=($!)
fi

# ---------------------------------------------------------------------------------------------- files
FS="" # simfs commands
fs() { local IFS=$'\t'; FS+="$*"$'\n'; }

LIBS=() LIB_PATHS=() LIBS32=() LIB32_PATHS=()
declare -A COPY # destination dir → space-separated cached files

# The libraries the driver installer also gives an unversioned development link (libcuda.so → libcuda.so.1).
DEVLINKS="libcuda libnvidia-ml libnvidia-cfg libnvcuvid libnvidia-encode libnvidia-opticalflow
        libnvidia-ptxjitcompiler libnvidia-allocator libnvidia-nvvm libcudadebugger"
DEVLINKS=${DEVLINKS//$'\n'/ }

# add_lib ARCH DIR NAME SOVER [EXTRA]: one library with its soname link and .so link. In the h100 layout each of
# these files also gets an absolute symlink in /lib/<triplet>, the way the real machine exposes its read-only
# /usr/local/nvidia, so ld.so.cache lists every library twice.
add_lib() {
        local arch=$1 dir=$2 name=$3 sover=$4 extra=${5:-} file soname f names
        file=$name.so.$VERSION
        if [ "$sover" = v ]; then soname=$file; else soname=$name.so.$sover; fi
        if [ "$name" != libnvidia-ml ] && [ "$name" != libcuda ]; then # those two are built per configuration
                cached_lib "$arch" "$file" "$soname" "$extra"
                COPY[$dir]+="$REPLY "
        fi
        names=("$file")
        if [ "$soname" != "$file" ]; then
                fs L "$file" "$DIR$dir/$soname"
                names+=("$soname")
        fi
        if [[ " $DEVLINKS " == *" $name "* ]]; then
                fs L "$soname" "$DIR$dir/$name.so"
                names+=("$name.so")
        fi
        if [ -n "$LINK_LIBDIR" ]; then
                for f in "${names[@]}"; do
                        if [ "$arch" = x86_64 ]; then fs L "$dir/$f" "$DIR$LINK_LIBDIR/$f"
                        else fs L "$dir/$f" "$DIR$LINK_LIB32DIR/$f"; fi
                done
        fi
        if [ "$arch" = x86_64 ]; then LIBS+=("$file") LIB_PATHS+=("$dir/$file")
        else LIBS32+=("$file") LIB32_PATHS+=("$dir/$file"); fi
}

while read -r cat name sover sets has32; do
        [ -n "$cat" ] || continue
        [ "$LIBSET" = full ] || [[ $sets == *h* ]] || continue
        [ $NVML = 1 ] || [ "$name" != libnvidia-ml ] || continue
        case "$cat" in graphics|glvnd|ngx) [ $GRAPHICS = 1 ] || continue ;; esac
        extra=""
        [ "$name" = libnvidia-tls ] && extra=abi-tag
        for a in "${ARCHES[@]}"; do
                [ "$a" = x86_64 ] || [ "$has32" = y ] || continue
                if [ "$a" = x86_64 ]; then d=$LIBDIR v=$VDPAUDIR; else d=$LIB32DIR v=$VDPAU32DIR; fi
                [ "$name" = libvdpau_nvidia ] && d=$v
                add_lib "$a" "$d" "$name" "$sover" "$extra"
        done
done <<<"$LIBTABLE"

# Graphics pieces outside NVIDIA's list: EGL external platforms, the GBM backend link, X.Org modules.
EXTRA_LIBS=()
if [ $GRAPHICS = 1 ]; then
        for pair in libnvidia-egl-gbm.so.1.1.1:libnvidia-egl-gbm.so.1 \
                libnvidia-egl-wayland.so.1.1.13:libnvidia-egl-wayland.so.1; do
                cached_lib x86_64 "${pair%%:*}" "${pair#*:}"
                COPY[$LIBDIR]+="$REPLY "
                fs L "${pair%%:*}" "$DIR$LIBDIR/${pair#*:}"
                if [ -n "$LINK_LIBDIR" ]; then
                        fs L "$LIBDIR/${pair%%:*}" "$DIR$LINK_LIBDIR/${pair%%:*}"
                        fs L "$LIBDIR/${pair#*:}" "$DIR$LINK_LIBDIR/${pair#*:}"
                fi
                EXTRA_LIBS+=("$LIBDIR/${pair%%:*}")
        done
        fs D "$DIR$LIBDIR/gbm"
        fs L ../libnvidia-allocator.so.1 "$DIR$LIBDIR/gbm/nvidia-drm_gbm.so"
        cached_lib x86_64 nvidia_drv.so ""
        COPY[$LIBDIR/nvidia/xorg]+="$REPLY "
        cached_lib x86_64 "libglxserver_nvidia.so.$VERSION" ""
        COPY[$LIBDIR/nvidia/xorg]+="$REPLY "
        fs L "libglxserver_nvidia.so.$VERSION" "$DIR$LIBDIR/nvidia/xorg/libglxserver_nvidia.so"
fi

BINS=(nvidia-smi nvidia-debugdump nvidia-persistenced)
[ "$LIBSET" = full ] && BINS+=(nv-fabricmanager)
BINS+=(nvidia-cuda-mps-control nvidia-cuda-mps-server)
BIN_PATHS=()
for b in "${BINS[@]}"; do BIN_PATHS+=("$BINDIR/$b"); done

dirs=("$DIR$LIBDIR" "$DIR$BINDIR" "$DIR$FWDIR" "$DIR/etc/ld.so.conf.d" "$DIR/proc/driver/nvidia/gpus"
        "$DIR/proc/driver/nvidia/capabilities/mig" "$DIR/proc/driver/nvidia-caps" "$DIR/dev/nvidia-caps"
        "$DIR/tmp")
for d in "${!COPY[@]}"; do dirs+=("$DIR$d"); done
[ $COMPAT32 = 1 ] && dirs+=("$DIR$LIB32DIR")
[ -n "$LINK_LIBDIR" ] && dirs+=("$DIR$LINK_LIBDIR" "$DIR$LINK_BINDIR")
[ -n "$LINK_LIBDIR" ] && [ $COMPAT32 = 1 ] && dirs+=("$DIR$LINK_LIB32DIR")
mkdir -p "${dirs[@]}"

for d in "${!COPY[@]}"; do
        # shellcheck disable=SC2086 # the list is space-separated cache paths without spaces
        cp ${COPY[$d]} "$DIR$d/"
done
cp "$CACHE/x86_64/nvidia-smi" "$DIR$BINDIR/nvidia-smi"
for b in "${BINS[@]:1}"; do cp "$CACHE/x86_64/tool" "$DIR$BINDIR/$b"; done
cp "$CACHE/x86_64/cuda-check" "$DIR/sim/bin/nvct-sim-cuda-check"
[ $COMPAT32 = 1 ] && cp "$CACHE/i386/cuda-check" "$DIR/sim/bin/nvct-sim-cuda-check32"

printf 'GSP firmware image (simulated): %s %s\n' gsp_ga10x "$VERSION" >"$DIR$FWDIR/gsp_ga10x.bin"
printf 'GSP firmware image (simulated): %s %s\n' gsp_tu10x "$VERSION" >"$DIR$FWDIR/gsp_tu10x.bin"

if [ $GRAPHICS = 1 ]; then
        mkdir -p "$DIR$SHAREDIR"/{glvnd/egl_vendor.d,vulkan/icd.d,vulkan/implicit_layer.d,egl/egl_external_platform.d} \
                "$DIR$SHAREDIR/nvidia" "$DIR$SHAREDIR/X11/xorg.conf.d"
        egl_icd() { printf '{\n    "file_format_version" : "1.0.0",\n    "ICD" : {\n        "library_path" : "%s"\n    }\n}\n' "$1"; }
        egl_icd libEGL_nvidia.so.0 >"$DIR$SHAREDIR/glvnd/egl_vendor.d/10_nvidia.json"
        egl_icd libnvidia-egl-gbm.so.1 >"$DIR$SHAREDIR/egl/egl_external_platform.d/15_nvidia_gbm.json"
        egl_icd libnvidia-egl-wayland.so.1 >"$DIR$SHAREDIR/egl/egl_external_platform.d/10_nvidia_wayland.json"
        cat >"$DIR$SHAREDIR/vulkan/icd.d/nvidia_icd.json" <<'EOF'
{
    "file_format_version" : "1.0.1",
    "ICD": {
        "library_path": "libGLX_nvidia.so.0",
        "api_version" : "1.4.312"
    }
}
EOF
        cat >"$DIR$SHAREDIR/vulkan/implicit_layer.d/nvidia_layers.json" <<'EOF'
{
    "file_format_version" : "1.0.1",
    "layer": {
        "name": "VK_LAYER_NV_optimus",
        "type": "INSTANCE",
        "library_path": "libGLX_nvidia.so.0",
        "api_version" : "1.4.312",
        "implementation_version" : "1",
        "description" : "NVIDIA Optimus layer",
        "functions": {
            "vkGetInstanceProcAddr": "vk_optimusGetInstanceProcAddr",
            "vkGetDeviceProcAddr": "vk_optimusGetDeviceProcAddr"
        },
        "enable_environment": {
            "__NV_PRIME_RENDER_OFFLOAD": "1"
        },
        "disable_environment": {
            "DISABLE_LAYER_NV_OPTIMUS_1": ""
        }
    }
}
EOF
        printf 'NVOPTIX simulated data %s\n' "$VERSION" >"$DIR$SHAREDIR/nvidia/nvoptix.bin"
        printf 'Section "OutputClass"\n    Identifier "nvidia"\n    MatchDriver "nvidia-drm"\n    Driver "nvidia"\nEndSection\n' \
                >"$DIR$SHAREDIR/X11/xorg.conf.d/10-nvidia.conf"
fi
mkdir -p "$DIR/etc/OpenCL/vendors"
echo libnvidia-opencl.so.1 >"$DIR/etc/OpenCL/vendors/nvidia.icd"

# h100 layout: the driver's binaries also appear, as absolute symlinks, in /usr/bin (libraries: see add_lib).
if [ -n "$LINK_BINDIR" ]; then
        for b in "${BINS[@]}"; do fs L "$BINDIR/$b" "$DIR$LINK_BINDIR/$b"; done
fi

# ---------------------------------------------------------------------------------------------- procfs
cat >"$DIR/proc/driver/nvidia/version" <<EOF
NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  $VERSION  Release Build  (dvs-builder@U22-I3-AM02-24-3)  Wed Oct  1 10:12:41 UTC 2025
GCC version:  gcc version 12.3.0 (Ubuntu 12.3.0-1ubuntu1~22.04) 
EOF
echo 'Binary: ""' >"$DIR/proc/driver/nvidia/registry"
cat >"$DIR/proc/driver/nvidia/params" <<EOF
ResmanDebugLevel: 4294967295
RmLogonRC: 1
ModifyDeviceFiles: 1
DeviceFileUID: 0
DeviceFileGID: 0
DeviceFileMode: 438
InitializeSystemMemoryAllocations: 1
UsePageAttributeTable: 4294967295
EnableMSI: 1
EnablePCIeGen3: 0
MemoryPoolSize: 0
KMallocHeapMaxSize: 0
VMallocHeapMaxSize: 0
IgnoreMMIOCheck: 0
EnableStreamMemOPs: 0
EnableUserNUMAManagement: 1
NvLinkDisable: 0
RmProfilingAdminOnly: 1
PreserveVideoMemoryAllocations: 0
EnableS0ixPowerManagement: 0
S0ixPowerManagementVideoMemoryThreshold: 256
DynamicPowerManagement: 3
DynamicPowerManagementVideoMemoryThreshold: 200
RegisterPCIDriver: 1
EnablePCIERelaxedOrderingMode: 0
EnableResizableBar: 0
EnableGpuFirmware: 18
EnableGpuFirmwareLogs: 2
RmNvlinkBandwidthLinkCount: 0
EnableDbgBreakpoint: 0
OpenRmEnableUnsupportedGpus: 1
DmaRemapPeerMmio: 1
ImexChannelCount: 2048
CreateImexChannel0: 0
GrdmaPciTopoCheckOverride: 0
CoherentGPUMemoryMode: ""
RegistryDwords: ""
RegistryDwordsPerDevice: ""
RmMsg: ""
GpuBlacklist: ""
TemporaryFilePath: ""
ExcludedGpus: ""
EOF

capfile() { printf 'DeviceFileMinor: %s\nDeviceFileMode: %s\nDeviceFileModify: 1\n' "$1" "$2" >"$3"; }
CAPS=$DIR/proc/driver/nvidia/capabilities
capfile 1 256 "$CAPS/mig/config"
capfile 2 292 "$CAPS/mig/monitor"
CAP_MINORS=(1 2)
for ((i = 0; i < NGPUS; i++)); do
        bus=${PROC_BUSIDS[i]}
        mkdir -p "$DIR/proc/driver/nvidia/gpus/$bus" "$DIR/sys/bus/pci/devices/$bus"
        printf 'Model: \t\t %s\nIRQ:   \t\t %u\nGPU UUID: \t %s\nVideo BIOS: \t 96.00.99.00.01\nBus Type: \t PCIe\nDMA Size: \t 52 bits\nDMA Mask: \t 0xfffffffffffff\nBus Location: \t %s\nDevice Minor: \t %u\nGPU Firmware: \t %s\nGPU Excluded:\t No\n' \
                "$MODEL" $((34 + i)) "${UUIDS[i]}" "$bus" "$i" "$VERSION" >"$DIR/proc/driver/nvidia/gpus/$bus/information"
        printf '0x10de\n' >"$DIR/sys/bus/pci/devices/$bus/vendor"
        printf '0x2330\n' >"$DIR/sys/bus/pci/devices/$bus/device"
        printf '0x030200\n' >"$DIR/sys/bus/pci/devices/$bus/class"
        fs C 195 "$i" "$DIR/dev/nvidia$i"
        # a MIG-capable GPU has its capabilities/gpuN/mig directory even with MIG off, as on the real H100
        mkdir -p "$CAPS/gpu$i/mig"
        if [ "$DRM" = 1 ]; then
                fs D "$DIR/sys/bus/pci/devices/$bus/drm/card$i"
                fs D "$DIR/sys/bus/pci/devices/$bus/drm/renderD$((128 + i))"
        fi
done
for md in "${MIG_DEVICES[@]}"; do
        IFS=: read -r g _ gi ci _ _ gicap cicap <<<"$md"
        mkdir -p "$CAPS/gpu$g/mig/gi$gi/ci$ci"
        capfile "$gicap" 292 "$CAPS/gpu$g/mig/gi$gi/access"
        capfile "$cicap" 292 "$CAPS/gpu$g/mig/gi$gi/ci$ci/access"
        CAP_MINORS+=("$gicap" "$cicap")
done
# Every possible MIG capability minor, as the driver lists them: 32 GPU minors x 15 GPU instances x 8 compute
# instances, each GPU instance before its compute instances.
awk 'BEGIN { print "config 1"; print "monitor 2"; n = 3
        for (g = 0; g < 32; g++) for (i = 0; i < 15; i++) {
                printf "gpu%d/gi%d/access %d\n", g, i, n++
                for (c = 0; c < 8; c++) printf "gpu%d/gi%d/ci%d/access %d\n", g, i, c, n++ } }' \
        >"$DIR/proc/driver/nvidia-caps/mig-minors"

{
        echo "Character devices:"
        {
                printf '%3d %s\n' 1 mem 4 /dev/vc/0 4 tty 4 ttyS 5 /dev/tty 5 /dev/console 5 /dev/ptmx 7 vcs 10 misc \
                        13 input 29 fb 128 ptm 136 pts 180 usb 189 usb_device 195 nvidia-frontend 195 nvidia 226 drm \
                        "$CAPS_MAJOR" nvidia-caps "$IMEX_MAJOR" nvidia-caps-imex-channels 245 hidraw 248 bsg \
                        249 watchdog 250 ptp 251 pps 254 rtc
                if [ $UVM = 1 ]; then printf '%3d %s\n' "$UVM_MAJOR" nvidia-uvm; fi
        } | sort -s -n -k1,1
        printf '\nBlock devices:\n  7 loop\n  8 sd\n  9 md\n 65 sd\n253 device-mapper\n254 virtblk\n259 blkext\n'
} >"$DIR/proc/devices"

# ---------------------------------------------------------------------------------------------- /dev, IPC
fs C 195 255 "$DIR/dev/nvidiactl"
[ "$MODESET" = 1 ] && fs C 195 254 "$DIR/dev/nvidia-modeset"
if [ $UVM = 1 ]; then
        fs C "$UVM_MAJOR" 0 "$DIR/dev/nvidia-uvm"
        fs C "$UVM_MAJOR" 1 "$DIR/dev/nvidia-uvm-tools"
fi
for c in "${CAP_MINORS[@]}"; do fs C "$CAPS_MAJOR" "$c" "$DIR/dev/nvidia-caps/nvidia-cap$c"; done
if [ "$IMEX" -gt 0 ]; then
        fs D "$DIR/dev/nvidia-caps-imex-channels"
        for ((c = 0; c < IMEX; c++)); do fs C "$IMEX_MAJOR" "$c" "$DIR/dev/nvidia-caps-imex-channels/channel$c"; done
fi
if [ "$DRM" = 1 ] && [ "$NGPUS" -gt 0 ]; then
        fs D "$DIR/dev/dri/by-path"
        for ((i = 0; i < NGPUS; i++)); do
                fs C 226 "$i" "$DIR/dev/dri/card$i"
                fs C 226 $((128 + i)) "$DIR/dev/dri/renderD$((128 + i))"
                fs L "../card$i" "$DIR/dev/dri/by-path/pci-${PROC_BUSIDS[i]}-card"
                fs L "../renderD$((128 + i))" "$DIR/dev/dri/by-path/pci-${PROC_BUSIDS[i]}-render"
        done
fi
if [ "$IPC" = 1 ]; then
        fs D "$DIR/run/nvidia-persistenced"
        fs S "$DIR/run/nvidia-persistenced/socket"
        if [ "$LIBSET" = full ]; then
                fs D "$DIR/run/nvidia-fabricmanager"
                fs S "$DIR/run/nvidia-fabricmanager/socket"
        fi
        fs D "$DIR/var"
        fs L /run "$DIR/var/run"
        fs D "$DIR/tmp/nvidia-mps"
fi

if [ "$(id -u)" != 0 ]; then
        FS=$(printf '%s' "$FS" | grep -v '^C' || true)$'\n'
fi
for p in "${CONFIG_PIDS[@]}"; do wait "$p" || die "building libnvidia-ml and libcuda failed"; done
cp "$DIR/sim/lib64/libnvidia-ml.so.$VERSION" "$DIR/sim/lib64/libcuda.so.$VERSION" "$DIR$LIBDIR/"
[ $NVML = 1 ] || rm -f "$DIR$LIBDIR/libnvidia-ml.so.$VERSION"
if [ $COMPAT32 = 1 ]; then
        cp "$DIR/sim/lib32/libnvidia-ml.so.$VERSION" "$DIR/sim/lib32/libcuda.so.$VERSION" "$DIR$LIB32DIR/"
        [ $NVML = 1 ] || rm -f "$DIR$LIB32DIR/libnvidia-ml.so.$VERSION"
fi
rm -rf "$DIR/sim/lib64" "$DIR/sim/lib32"
printf '%s' "$FS" | "$SIMFS"

# ---------------------------------------------------------------------------------------------- ld.so.cache
printf 'include /etc/ld.so.conf.d/*.conf\n\n' >"$DIR/etc/ld.so.conf"
printf '# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n' \
        >"$DIR/etc/ld.so.conf.d/x86_64-linux-gnu.conf"
if [ $COMPAT32 = 1 ]; then
        printf '# Multiarch support\n/usr/local/lib/i386-linux-gnu\n/lib/i386-linux-gnu\n/usr/lib/i386-linux-gnu\n' \
                >"$DIR/etc/ld.so.conf.d/i386-linux-gnu.conf"
fi
if [ "$LAYOUT" = h100 ]; then
        { echo "$LIBDIR"; [ $COMPAT32 = 0 ] || echo "$LIB32DIR"; } >"$DIR/etc/ld.so.conf.d/000_nvidia.conf"
fi
# -X: keep the links written above (ldconfig would rewrite the h100 absolute links as relative ones).
ldconfig -X -r "$DIR"
rm -rf "$DIR/var/cache/ldconfig"
rmdir "$DIR/var/cache" 2>/dev/null || true

# ---------------------------------------------------------------------------------------------- sim.env
HOST_LD=$DIR$LIBDIR
[ $COMPAT32 = 1 ] && HOST_LD+=":$DIR$LIB32DIR"
{
        echo "# Generated by tests/sim/mksim.sh; source it. Paths in SIM_*DIR and SIM_*_PATHS are driver-root paths."
        v() { printf '%s=%q\n' "$1" "$2"; }
        v SIM_ROOT "$DIR"
        v SIM_VERSION "$VERSION"
        v SIM_CUDA "$CUDA"
        v SIM_CUDA_INT "$CUDA_INT"
        v SIM_LAYOUT "$LAYOUT"
        v SIM_LIBSET "$LIBSET"
        v SIM_NGPUS "$NGPUS"
        v SIM_MODEL "$MODEL"
        v SIM_BRAND "$BRAND"
        v SIM_BRAND_NAME "${brand_names[BRAND]}"
        v SIM_ARCH "$ARCH"
        v SIM_MEMORY $((MEMORY_MIB * 1048576))
        v SIM_UUIDS "${UUIDS[*]}"
        v SIM_BUSIDS "${BUSIDS[*]}"
        v SIM_PROC_BUSIDS "${PROC_BUSIDS[*]}"
        v SIM_MINORS "${MINORS[*]}"
        v SIM_MIG "$MIG_SPEC"
        v SIM_MIG_DEVICES "${MIG_DEVICES[*]}"
        v SIM_MIG_CAPABLE "$MIG_CAPABLE"
        v SIM_SMI_L "$SMI_L"
        v SIM_LIBDIR "$LIBDIR"
        v SIM_LIB32DIR "$([ $COMPAT32 = 1 ] && echo "$LIB32DIR")"
        v SIM_BINDIR "$BINDIR"
        v SIM_FWDIR "$FWDIR"
        v SIM_SHAREDIR "$SHAREDIR"
        v SIM_LINK_LIBDIR "$LINK_LIBDIR"
        v SIM_LINK_BINDIR "$LINK_BINDIR"
        v SIM_LIBS "${LIBS[*]}"
        v SIM_LIB_PATHS "${LIB_PATHS[*]}"
        v SIM_LIBS32 "${LIBS32[*]}"
        v SIM_LIB32_PATHS "${LIB32_PATHS[*]}"
        v SIM_EXTRA_LIB_PATHS "${EXTRA_LIBS[*]}"
        v SIM_BINS "${BINS[*]}"
        v SIM_BIN_PATHS "${BIN_PATHS[*]}"
        v SIM_FIRMWARE_PATHS "$FWDIR/gsp_ga10x.bin $FWDIR/gsp_tu10x.bin"
        v SIM_GRAPHICS "$GRAPHICS"
        v SIM_UVM "$UVM"
        v SIM_MODESET "$MODESET"
        v SIM_DRM "$DRM"
        v SIM_IPC "$IPC"
        v SIM_COMPAT32 "$COMPAT32"
        v SIM_NVML "$NVML"
        v SIM_NVML_ERRORS "$ERRORS"
        v SIM_IMEX "$IMEX"
        v SIM_NVIDIA_MAJOR 195
        v SIM_UVM_MAJOR "$UVM_MAJOR"
        v SIM_CAPS_MAJOR "$CAPS_MAJOR"
        v SIM_IMEX_MAJOR "$IMEX_MAJOR"
        v SIM_CAP_MINORS "${CAP_MINORS[*]}"
        v SIM_TOOLS "$DIR/sim/bin"
        v SIM_CUDA_CHECK "$DIR/sim/bin/nvct-sim-cuda-check"
        v SIM_HOST_LD_LIBRARY_PATH "$HOST_LD"
} >"$DIR/sim.env"
