#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The simulated driver (tests/sim): files, sonames, ld.so.cache, nodes, procfs, the fake NVML and CUDA as seen
# through nvidia-smi and the CUDA check, the layouts, and the container helpers (mkrootfs, mkbundle, runc).
set -u
. "$(dirname "$0")/../lib.sh"
SIM=$NVCT_SRC/tests/sim
T=$(t_tmpdir)
IDS=()
cleanup() {
        local id
        for id in "${IDS[@]}"; do runc delete -f "$id" >/dev/null 2>&1; done
        rm -rf "$T"
}
trap cleanup EXIT

node() { stat -c '%F %t:%T %a' "$1" 2>&1; } # "character special file 0xc3:0xff 666" in hex
hexnode() { printf 'character special file %x:%x 666' "$1" "$2"; }
mk() { t_run "mksim ${*:2}" "$SIM/mksim.sh" "$@"; } # mk DIR OPTIONS...
smi() { LD_LIBRARY_PATH=$1$2 "$1$3/nvidia-smi" "${@:4}" 2>&1; }

# ------------------------------------------------------------------------------------- default: 1 GPU, debian
D=$T/d1
t_run "mksim: default driver root" "$SIM/mksim.sh" "$D"
. "$D/sim.env"
start=$(date +%s%N)
"$SIM/mksim.sh" "$T/d1-again" >/dev/null 2>&1; rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$rc" = 0 ] && [ "$ms" -lt 1000 ]; then t_ok "mksim: a cached run takes under 1 s (${ms} ms)"; else
        t_fail "mksim: a cached run takes under 1 s" "took ${ms} ms, exit status $rc"; fi

V=580.159.04 L=$D/usr/lib/x86_64-linux-gnu
soname() { readelf -d "$1" 2>/dev/null | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p'; }
bad=""
for p in $SIM_LIB_PATHS; do
        b=${p##*/} n=${b%.so.$V}
        case "$n" in
        libnvidia-glcore|libnvidia-eglcore|libnvidia-tls|libnvidia-glsi|libnvidia-rtcore|libnvidia-gpucomp|\
        libnvidia-glvkspirv|libnvidia-cbl|libnvidia-pkcs11|libnvidia-pkcs11-openssl3) want=$b ;;
        libnvidia-nvvm) want=$n.so.4 ;;
        libGLX_nvidia|libEGL_nvidia) want=$n.so.0 ;;
        libGLESv2_nvidia) want=$n.so.2 ;;
        *) want=$n.so.1 ;;
        esac
        got=$(soname "$D$p")
        [ "$got" = "$want" ] || bad+=" $b:$got"
        [ "$want" = "$b" ] || [ "$(readlink "$D${p%/*}/$want")" = "$b" ] || bad+=" $want-link"
done
t_eq "sonames and soname links of all $(echo $SIM_LIBS | wc -w) libraries" "" "$bad"
t_eq "33 libraries in the full set" 33 "$(echo $SIM_LIBS | wc -w)"
t_eq "libcuda.so.1 -> libcuda.so.$V" "libcuda.so.$V" "$(readlink "$L/libcuda.so.1")"
t_eq "libcuda.so -> libcuda.so.1" libcuda.so.1 "$(readlink "$L/libcuda.so")"
t_eq "libnvidia-ml soname" libnvidia-ml.so.1 "$(soname "$L/libnvidia-ml.so.$V")"
t_eq "vdpau library in vdpau/" libvdpau_nvidia.so.1 "$(soname "$L/vdpau/libvdpau_nvidia.so.$V")"
t_grep "libnvidia-tls carries the GNU/Linux 2.3.99 ABI tag" 'OS: Linux, ABI: 2\.3\.99' "$(readelf -n "$L/libnvidia-tls.so.$V")"
t_fails "a stub library has no ABI tag" grep -q . <(readelf -n "$L/libnvidia-cfg.so.$V" | grep ABI)
nvml_syms=$(nm -D --defined-only "$L/libnvidia-ml.so.$V" | awk '{print $3}')
missing=""
for s in $(sed -n 's/^typedef .*(\*\(nvml[A-Za-z_0-9]*\)_fn)(.*/\1/p' "$NVCT_SRC/src/lib/nvml-abi.h") \
        nvmlDeviceGetHandleByUUID nvmlDeviceGetHandleByPciBusId_v2 nvmlDeviceGetDeviceHandleFromMigDeviceHandle \
        nvmlDeviceIsMigDeviceHandle nvmlDeviceGetCount nvmlInit; do
        grep -qx "$s" <<<"$nvml_syms" || missing+=" $s"
done
t_eq "libnvidia-ml exports every nvml-abi.h function and the aliases" "" "$missing"
t_grep "libcuda exports the driver API" 'cuDeviceGetName' "$(nm -D --defined-only "$L/libcuda.so.$V")"

cache=$(ldconfig -p -C "$D/etc/ld.so.cache")
t_grep "ld.so.cache lists libcuda.so.1" "libcuda\.so\.1 \(libc6,x86-64\) => /usr/lib/x86_64-linux-gnu/libcuda\.so\.1$" "$cache"
t_grep "ld.so.cache lists libnvidia-ml.so.1" "libnvidia-ml\.so\.1 \(libc6,x86-64\) => /usr/lib/x86_64-linux-gnu/libnvidia-ml\.so\.1$" "$cache"
t_grep "ld.so.cache lists libnvidia-glcore by its full version" "libnvidia-glcore\.so\.$V \(libc6,x86-64\)" "$cache"
t_eq "ld.so.cache lists each library once in the debian layout" 1 "$(grep -c 'libcuda\.so\.1 ' <<<"$cache")"

t_eq "/dev/nvidiactl 195:255" "$(hexnode 195 255)" "$(node "$D/dev/nvidiactl")"
t_eq "/dev/nvidia0 195:0" "$(hexnode 195 0)" "$(node "$D/dev/nvidia0")"
t_eq "/dev/nvidia-modeset 195:254" "$(hexnode 195 254)" "$(node "$D/dev/nvidia-modeset")"
t_eq "/dev/nvidia-uvm 510:0" "$(hexnode 510 0)" "$(node "$D/dev/nvidia-uvm")"
t_eq "/dev/nvidia-uvm-tools 510:1" "$(hexnode 510 1)" "$(node "$D/dev/nvidia-uvm-tools")"
t_eq "/dev/nvidia-caps/nvidia-cap1 509:1" "$(hexnode 509 1)" "$(node "$D/dev/nvidia-caps/nvidia-cap1")"
t_eq "/dev/dri/renderD128 226:128" "$(hexnode 226 128)" "$(node "$D/dev/dri/renderD128")"
t_run "sysfs drm directory of the GPU" test -d "$D/sys/bus/pci/devices/0000:18:00.0/drm/card0"
t_eq "/dev/dri/by-path link" ../card0 "$(readlink "$D/dev/dri/by-path/pci-0000:18:00.0-card")"

t_grep "proc version in the real format" "^NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  $V  Release Build  \(" \
        "$(cat "$D/proc/driver/nvidia/version")"
t_grep "proc version has a GCC line" '^GCC version:  gcc version ' "$(cat "$D/proc/driver/nvidia/version")"
t_grep "params: ModifyDeviceFiles: 1" '^ModifyDeviceFiles: 1$' "$(cat "$D/proc/driver/nvidia/params")"
info=$(cat "$D/proc/driver/nvidia/gpus/0000:18:00.0/information")
t_eq "information file fields" "Model:|IRQ:|GPU UUID:|Video BIOS:|Bus Type:|DMA Size:|DMA Mask:|Bus Location:|Device Minor:|GPU Firmware:|GPU Excluded:" \
        "$(cut -d: -f1 <<<"$info" | sed 's/ *$//; s/$/:/' | paste -sd'|')"
t_grep "information: GPU UUID" $'^GPU UUID: \t GPU-00000000-0000-4000-8000-000000000000$' "$info"
t_grep "information: Bus Location" $'^Bus Location: \t 0000:18:00.0$' "$info"
t_eq "capabilities/mig/monitor" $'DeviceFileMinor: 2\nDeviceFileMode: 292\nDeviceFileModify: 1' \
        "$(cat "$D/proc/driver/nvidia/capabilities/mig/monitor")"
t_eq "mig-minors has every minor" "4322 gpu0/gi0/access 3|gpu0/gi0/ci0/access 4|gpu31/gi14/ci7/access 4322" \
        "$(wc -l <"$D/proc/driver/nvidia-caps/mig-minors") $(sed -n '3p;4p;$p' "$D/proc/driver/nvidia-caps/mig-minors" | paste -sd'|')"
devs=$(cat "$D/proc/devices")
t_grep "proc/devices: 195 nvidia-frontend" '^195 nvidia-frontend$' "$devs"
t_grep "proc/devices: 510 nvidia-uvm" '^510 nvidia-uvm$' "$devs"
t_grep "proc/devices: 509 nvidia-caps" '^509 nvidia-caps$' "$devs"
t_grep "proc/devices: 508 nvidia-caps-imex-channels" '^508 nvidia-caps-imex-channels$' "$devs"
t_run "persistenced socket" test -S "$D/run/nvidia-persistenced/socket"
t_run "fabricmanager socket" test -S "$D/run/nvidia-fabricmanager/socket"
t_run "MPS pipe directory" test -d "$D/tmp/nvidia-mps"
t_run "GSP firmware" test -f "$D/lib/firmware/nvidia/$V/gsp_ga10x.bin" -a -f "$D/lib/firmware/nvidia/$V/gsp_tu10x.bin"
t_run "vulkan icd" jq -e '.ICD.library_path == "libGLX_nvidia.so.0"' "$D/usr/share/vulkan/icd.d/nvidia_icd.json"
t_run "glvnd egl vendor" jq -e '.ICD.library_path == "libEGL_nvidia.so.0"' "$D/usr/share/glvnd/egl_vendor.d/10_nvidia.json"
t_run "xorg modules" test -f "$D/usr/lib/x86_64-linux-gnu/nvidia/xorg/libglxserver_nvidia.so.$V"

t_eq "nvidia-smi -L, 1 GPU" "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-4000-8000-000000000000)" \
        "$(smi "$D" "$SIM_LIBDIR" "$SIM_BINDIR" -L)"
t_eq "nvidia-smi --query-gpu" "00000000:18:00.0, 81559 MiB, 9.0" \
        "$(smi "$D" "$SIM_LIBDIR" "$SIM_BINDIR" --query-gpu=pci.bus_id,memory.total,compute_cap --format=csv,noheader)"
t_eq "cuda-check, 1 GPU" "CUDA OK: 1 devices" "$(LD_LIBRARY_PATH=$SIM_HOST_LD_LIBRARY_PATH "$SIM_CUDA_CHECK")"
t_fails "nvidia-smi without LD_LIBRARY_PATH cannot find NVML" "$D/usr/bin/nvidia-smi" -L

# Deterministic: the same options give the same identities.
t_eq "same options, same sim.env" "$(grep -v "$D" "$D/sim.env")" "$(grep -v "$T/d1-again" "$T/d1-again/sim.env")"

# Visibility: a GPU whose node cannot be opened does not exist; no nvidiactl, no driver.
D2=$T/d2
mk "$D2" --gpus 2
rm "$D2/dev/nvidia0"
t_eq "a GPU without its node is not enumerated" \
        "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-4000-8000-000000000001)" \
        "$(smi "$D2" /usr/lib/x86_64-linux-gnu /usr/bin -L)"
rm "$D2/dev/nvidiactl"
t_eq "no nvidiactl: Driver Not Loaded" "Failed to initialize NVML: Driver Not Loaded" \
        "$(smi "$D2" /usr/lib/x86_64-linux-gnu /usr/bin -L)"

# ------------------------------------------------------------------------------------- 8 GPUs, MIG
D=$T/d8
mk "$D" --gpus 8
. "$D/sim.env"
out=$(smi "$D" "$SIM_LIBDIR" "$SIM_BINDIR" -L)
t_eq "nvidia-smi -L, 8 GPUs" "$SIM_SMI_L" "$out"
t_eq "8 GPUs: 8 lines, last one GPU 7" "8 GPU 7: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-4000-8000-000000000007)" \
        "$(wc -l <<<"$out") $(tail -1 <<<"$out")"
t_eq "8 GPUs: DGX H100 bus ids" "00000000:18:00.0 00000000:2A:00.0 00000000:3A:00.0 00000000:5D:00.0 00000000:9A:00.0 00000000:AB:00.0 00000000:BA:00.0 00000000:DB:00.0" "$SIM_BUSIDS"
t_eq "cuda-check, 8 GPUs" "CUDA OK: 8 devices" "$(LD_LIBRARY_PATH=$SIM_HOST_LD_LIBRARY_PATH "$SIM_CUDA_CHECK")"

D=$T/mig
mk "$D" --gpus 2 --mig 0:3,1:3
. "$D/sim.env"
t_eq "nvidia-smi -L, MIG 2x3" "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-4000-8000-000000000000)
  MIG 2g.20gb     Device  0: (UUID: MIG-00000000-0000-5000-8000-000000000000)
  MIG 2g.20gb     Device  1: (UUID: MIG-00000000-0000-5000-8000-000000000001)
  MIG 2g.20gb     Device  2: (UUID: MIG-00000000-0000-5000-8000-000000000002)
GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-4000-8000-000000000001)
  MIG 2g.20gb     Device  0: (UUID: MIG-00000001-0000-5000-8000-000000000000)
  MIG 2g.20gb     Device  1: (UUID: MIG-00000001-0000-5000-8000-000000000001)
  MIG 2g.20gb     Device  2: (UUID: MIG-00000001-0000-5000-8000-000000000002)" "$(smi "$D" "$SIM_LIBDIR" "$SIM_BINDIR" -L)"
t_eq "MIG access file of gpu1/gi3" $'DeviceFileMinor: 165\nDeviceFileMode: 292\nDeviceFileModify: 1' \
        "$(cat "$D/proc/driver/nvidia/capabilities/gpu1/mig/gi3/access")"
t_eq "MIG ci access node" "$(hexnode 509 166)" "$(node "$D/dev/nvidia-caps/nvidia-cap166")"
t_eq "cuda-check sees the 6 MIG devices" "CUDA OK: 6 devices" "$(LD_LIBRARY_PATH=$SIM_HOST_LD_LIBRARY_PATH "$SIM_CUDA_CHECK")"
rm "$D/dev/nvidia-caps/nvidia-cap166"
t_eq "a MIG device without its ci capability node is not enumerated" 5 \
        "$(smi "$D" "$SIM_LIBDIR" "$SIM_BINDIR" -L | grep -c ' MIG ')"

# ------------------------------------------------------------------------------------- faults and options
D=$T/err
mk "$D" --nvml-error init
out=$(smi "$D" /usr/lib/x86_64-linux-gnu /usr/bin -L); rc=$?
t_eq "nvml-error init: message and exit 9" "Failed to initialize NVML: Driver Not Loaded rc=9" "$out rc=$rc"
t_eq "nvml-error init: CUDA is unaffected" "CUDA OK: 1 devices" \
        "$(LD_LIBRARY_PATH=$D/usr/lib/x86_64-linux-gnu "$D/sim/bin/nvct-sim-cuda-check")"
D=$T/hang
mk "$D" --nvml-error init-hang
LD_LIBRARY_PATH=$D/usr/lib/x86_64-linux-gnu timeout 1 "$D/usr/bin/nvidia-smi" -L >/dev/null 2>&1
t_eq "nvml-error init-hang: nvmlInit never returns" 124 "$?"
D=$T/nonvml
mk "$D" --no-nvml
t_run "no-nvml: no libnvidia-ml at all" test -z "$(find "$D" -name 'libnvidia-ml*')"
D=$T/nouvm
mk "$D" --no-uvm --no-modeset --imex 2
t_run "no-uvm: no uvm nodes" test ! -e "$D/dev/nvidia-uvm" -a ! -e "$D/dev/nvidia-uvm-tools"
t_fails "no-uvm: no nvidia-uvm in /proc/devices" grep -q nvidia-uvm "$D/proc/devices"
t_run "no-modeset: no modeset node, no DRM" test ! -e "$D/dev/nvidia-modeset" -a ! -e "$D/dev/dri"
t_eq "imex 2: channel1 508:1" "$(hexnode 508 1)" "$(node "$D/dev/nvidia-caps-imex-channels/channel1")"
D=$T/nogfx
mk "$D" --no-graphics
. "$D/sim.env"
t_run "no-graphics: no GL, EGL, Vulkan, ngx files" test -z "$(find "$D" -name '*GLX*' -o -name '*EGL*' -o -name '*vulkan*' -o -name '*ngx*' -o -name 'nvoptix*' -o -name xorg)"
t_eq "no-graphics: utility, compute and video libraries remain" 18 "$(echo $SIM_LIBS | wc -w)"
D=$T/opts
mk "$D" --version 550.54.14 --cuda 12.4 --model "NVIDIA A100-SXM4-40GB" --brand 2 --arch 8.0
t_eq "version, cuda and model options" "NVIDIA-SMI version  : 550.54.14 | CUDA Version        : 12.4 | NVIDIA A100-SXM4-40GB, 8.0" \
        "$(smi "$D" /usr/lib/x86_64-linux-gnu /usr/bin --version | sed -n '1p;4p' | paste -sd'|' | sed 's/|/ | /') | $(smi "$D" /usr/lib/x86_64-linux-gnu /usr/bin --query-gpu=name,compute_cap --format=csv,noheader)"
t_run "version option names the firmware dir" test -f "$D/lib/firmware/nvidia/550.54.14/gsp_ga10x.bin"
t_fails "rejects --gpus 9" "$SIM/mksim.sh" "$T/bad1" --gpus 9
t_fails "rejects MIG on a missing GPU" "$SIM/mksim.sh" "$T/bad2" --mig 1:3
t_fails "rejects an unknown NVML fault" "$SIM/mksim.sh" "$T/bad3" --nvml-error bogus
t_fails "rejects a non-empty directory" "$SIM/mksim.sh" "$T/d1"

# ------------------------------------------------------------------------------------- h100 layout, compat32
D=$T/h100
mk "$D" --layout h100
. "$D/sim.env"
cache=$(ldconfig -p -C "$D/etc/ld.so.cache")
t_eq "h100: ld.so.cache lists libcuda.so.1 twice, lib64 first" \
        "/usr/local/nvidia/lib64/libcuda.so.1 /lib/x86_64-linux-gnu/libcuda.so.1" \
        "$(grep 'libcuda\.so\.1 (libc6,x86-64)' <<<"$cache" | sed 's/.*=> //' | paste -sd' ')"
REF=/work/shared/reference/h100/nvidia-container-cli-1.17.0-outputs.txt
if [ -f "$REF" ]; then
        t_eq "h100: the library set is the real machine's (list -l)" \
                "$(sed -n '/^### \$ nvidia-container-cli list -l$/,/rc=/p' "$REF" | grep '^/')" "$(printf '%s\n' $SIM_LIB_PATHS)"
        t_eq "h100: the binary set is the real machine's (list -b)" \
                "$(sed -n '/^### \$ nvidia-container-cli list -b$/,/rc=/p' "$REF" | grep '^/')" "$(printf '%s\n' $SIM_BIN_PATHS)"
else
        t_skip "h100: the library set is the real machine's" "no $REF"
        t_skip "h100: the binary set is the real machine's" "no $REF"
fi
t_eq "h100: /usr/bin/nvidia-smi is an absolute link" /usr/local/nvidia/bin/nvidia-smi "$(readlink "$D/usr/bin/nvidia-smi")"
t_eq "h100: lib link" /usr/local/nvidia/lib64/libcuda.so.$V "$(readlink "$D/lib/x86_64-linux-gnu/libcuda.so.$V")"
t_run "h100: no /lib/firmware/nvidia, firmware in /usr/local/nvidia" \
        test ! -e "$D/lib/firmware/nvidia" -a -f "$D/usr/local/nvidia/firmware/nvidia/$V/gsp_tu10x.bin"
t_run "h100: no nvidia-modeset" test ! -e "$D/dev/nvidia-modeset"
t_eq "h100: uvm major 238" "$(hexnode 238 0)" "$(node "$D/dev/nvidia-uvm")"
t_eq "h100: the VM's bus id" "00000000:00:06.0 0000:00:06.0" "$SIM_BUSIDS $SIM_PROC_BUSIDS"
t_run "h100: proc gpus dir" test -f "$D/proc/driver/nvidia/gpus/0000:00:06.0/information"
t_eq "h100: nvidia-smi -L" "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-4000-8000-000000000000)" \
        "$(smi "$D" "$SIM_LIBDIR" "$SIM_BINDIR" -L)"

D=$T/c32
if echo 'int main(void){return 0;}' | gcc -m32 -x c - -o "$T/m32" 2>/dev/null; then
        mk "$D" --compat32
        . "$D/sim.env"
        t_grep "compat32: 32-bit libcuda" 'ELF32' "$(readelf -h "$D/usr/lib/i386-linux-gnu/libcuda.so.$V" | grep Class)"
        t_grep "compat32: ld.so.cache has the i386 entry" 'libcuda\.so\.1 \(libc6\) => /usr/lib/i386-linux-gnu/libcuda\.so\.1' \
                "$(ldconfig -p -C "$D/etc/ld.so.cache")"
        t_eq "compat32: the 32-bit CUDA check runs" "CUDA OK: 1 devices" \
                "$(LD_LIBRARY_PATH=$SIM_HOST_LD_LIBRARY_PATH "$D/sim/bin/nvct-sim-cuda-check32")"
else
        t_skip "compat32: 32-bit libcuda" "gcc -m32 does not work"
        t_skip "compat32: ld.so.cache has the i386 entry" "gcc -m32 does not work"
        t_skip "compat32: the 32-bit CUDA check runs" "gcc -m32 does not work"
fi

# ------------------------------------------------------------------------------------- rootfs, bundle, runc
R=$T/rootfs
t_run "mkrootfs" "$SIM/mkrootfs.sh" "$R"
t_run "rootfs: busybox sh, glibc, ldconfig, debian_version" test -x "$R/bin/sh" -a -f "$R/lib/x86_64-linux-gnu/libc.so.6" \
        -a -x "$R/sbin/ldconfig" -a -f "$R/etc/debian_version" -a -f "$R/etc/ld.so.cache"
R64=$T/rootfs64
"$SIM/mkrootfs.sh" "$R64" --lib64 >/dev/null
t_run "rootfs --lib64: glibc in usr/lib64, no debian_version" test -f "$R64/usr/lib64/libc.so.6" -a ! -e "$R64/etc/debian_version"
B=$T/bundle
t_eq "mkbundle prints the bundle path" "$B" "$("$SIM/mkbundle.sh" "$B" "$R" /bin/sh -c 'echo hi')"
t_run "bundle: absolute root, no terminal, args kept" \
        jq -e --arg r "$R" '.root.path == $r and .process.terminal == false and .process.args == ["/bin/sh","-c","echo hi"]' "$B/config.json"
if command -v runc >/dev/null; then
        id=nvct-sim-$$-1; IDS+=("$id")
        t_eq "runc runs /bin/sh -c 'echo hi' in the rootfs" hi "$(cd "$B" && timeout 30 runc run "$id" 2>&1)"

        # A container given GPU 1 and nvidiactl sees exactly that GPU; GPU 2's node exists but the device
        # cgroup denies it.
        D=$T/ctr
        mk "$D" --gpus 3
        R=$T/rootfs-gpu
        "$SIM/mkrootfs.sh" "$R" >/dev/null
        cp -a "$D"/usr/lib/x86_64-linux-gnu/libnvidia-ml.so* "$D"/usr/lib/x86_64-linux-gnu/libcuda.so* "$R/usr/lib/x86_64-linux-gnu/"
        cp "$D/usr/bin/nvidia-smi" "$D/sim/bin/nvct-sim-cuda-check" "$R/usr/bin/"
        B=$T/bundle-gpu
        "$SIM/mkbundle.sh" "$B" "$R" /bin/sh -c 'ldconfig && nvidia-smi -L && nvct-sim-cuda-check' >/dev/null
        jq '.linux.devices = [{path: "/dev/nvidiactl", type: "c", major: 195, minor: 255, fileMode: 438},
                {path: "/dev/nvidia1", type: "c", major: 195, minor: 1, fileMode: 438},
                {path: "/dev/nvidia2", type: "c", major: 195, minor: 2, fileMode: 438}]
            | .linux.resources.devices += [{allow: true, type: "c", major: 195, minor: 255, access: "rw"},
                {allow: true, type: "c", major: 195, minor: 1, access: "rw"}]' "$B/config.json" >"$B/config.new"
        mv "$B/config.new" "$B/config.json"
        id=nvct-sim-$$-2; IDS+=("$id")
        t_eq "in a container NVML and CUDA see only the GPU the cgroup allows" \
                "GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-00000000-0000-4000-8000-000000000001)
CUDA OK: 1 devices" "$(cd "$B" && timeout 30 runc run "$id" 2>&1)"
else
        t_skip "runc runs /bin/sh -c 'echo hi' in the rootfs" "runc not installed"
        t_skip "in a container NVML and CUDA see only the GPU the cgroup allows" "runc not installed"
fi
exit 0
