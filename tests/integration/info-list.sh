#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# nvidia-container-cli info / info --csv / list (every flag) against simulated drivers, byte for byte, and the
# error paths: bad ld.so.cache, unknown version format, missing or failing NVML. Every run is bounded by timeout.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

MKSIM="$NVCT_SRC/tests/sim/mksim.sh"
REF=/work/shared/reference/h100/nvidia-container-cli-1.17.0-outputs.txt
T=$(t_tmpdir)
chmod 755 "$T" # the NVML helper runs as nobody and must reach the simulated driver
trap 'rm -rf "$T"' EXIT

# cli SIM ARGS...: the CLI against a simulated driver, bounded.
cli() {
        local s=$1; shift
        timeout 10 "$NVCT" cli -r "$s" --proc-root="$s/proc" --sys-root="$s/sys" "$@"
}

mksim() {
        local dir=$1; shift
        if ! bash "$MKSIM" "$dir" "$@" >"$T/mksim.log" 2>&1; then
                t_fail "mksim $*" "$(tail -5 "$T/mksim.log")"
                return 1
        fi
}

# The info text NVIDIA prints for the GPUs of a sim.env.
expected_info() {
        local uuids=($SIM_UUIDS) buses=($SIM_BUSIDS) minors=($SIM_MINORS) i
        printf '%-15s %s\n%-15s %s\n' "NVRM version:" "$SIM_VERSION" "CUDA version:" "$SIM_CUDA"
        for ((i = 0; i < SIM_NGPUS; i++)); do
                printf '\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n' \
                        "Device Index:" "$i" "Device Minor:" "${minors[i]}" "Model:" "$SIM_MODEL" \
                        "Brand:" "$SIM_BRAND_NAME" "GPU UUID:" "${uuids[i]}" "Bus Location:" "${buses[i],,}" \
                        "Architecture:" "$SIM_ARCH"
        done
}

expected_csv() {
        local uuids=($SIM_UUIDS) buses=($SIM_BUSIDS) minors=($SIM_MINORS) i
        printf 'NVRM version,CUDA version\n%s,%s\n\n' "$SIM_VERSION" "$SIM_CUDA"
        echo "Device Index,Device Minor,Model,Brand,GPU UUID,Bus Location,Architecture"
        for ((i = 0; i < SIM_NGPUS; i++)); do
                echo "$i,${minors[i]},$SIM_MODEL,$SIM_BRAND_NAME,${uuids[i]},${buses[i],,},$SIM_ARCH"
        done
}

# MIG access files and caps nodes of the sim's MIG devices (all, or only GPU:INDEX $1), as list prints them.
# SIM_MIG_DEVICES entries are gpu:index:gi:ci:uuid:profile:gicap:cicap.
mig_lines() {
        local md g i gi ci u p gc cc
        for md in $SIM_MIG_DEVICES; do
                IFS=: read -r g i gi ci u p gc cc <<<"$md"
                [ -n "${1:-}" ] && [ "$g:$i" != "$1" ] && continue
                echo "/proc/driver/nvidia/capabilities/gpu$g/mig/gi$gi/access"
                echo "/proc/driver/nvidia/capabilities/gpu$g/mig/gi$gi/ci$ci/access"
                echo "/dev/nvidia-caps/nvidia-cap$gc"
                echo "/dev/nvidia-caps/nvidia-cap$cc"
        done
}

# Control nodes that exist, every GPU node, then every MIG device.
expected_devices() {
        local m
        echo /dev/nvidiactl
        if [ "$SIM_UVM" = 1 ]; then echo /dev/nvidia-uvm; echo /dev/nvidia-uvm-tools; fi
        [ "$SIM_MODESET" = 1 ] && echo /dev/nvidia-modeset
        for m in $SIM_MINORS; do echo "/dev/nvidia$m"; done
        mig_lines
}

# Firmware is listed at its container path, /lib/firmware/nvidia/<version>/.
expected_firmware() {
        local f
        for f in $SIM_FIRMWARE_PATHS; do echo "/lib/firmware/nvidia/$SIM_VERSION/${f##*/}"; done
}

prefixed() { local p; for p in $2; do echo "$1$p"; done; }

# Checks every simulated driver gets.
check_common() {
        local name=$1 s=$SIM_ROOT out
        t_eq "$name: info" "$(expected_info)" "$(cli "$s" info 2>&1)"
        t_eq "$name: info --csv" "$(expected_csv)" "$(cli "$s" info --csv 2>&1)"
        t_eq "$name: list -d all" "$(expected_devices)" "$(cli "$s" list -d all 2>&1)"
        t_eq "$name: list -b" "$(prefixed "$s" "$SIM_BIN_PATHS")" "$(cli "$s" list -b 2>&1)"
        t_eq "$name: list -f" "$(expected_firmware)" "$(cli "$s" list -f 2>&1)"
        t_eq "$name: list --no-gsp-firmware -f" "" "$(cli "$s" list -f --no-gsp-firmware 2>&1)"
        out=$(cli "$s" list -l 2>&1)
        t_grep "$name: list -l has libcuda" "^$s/.*/libcuda\.so\.$SIM_VERSION\$" "$out"
        t_grep "$name: list -l has libnvidia-ml" "^$s/.*/libnvidia-ml\.so\.$SIM_VERSION\$" "$out"
        local stray
        stray=$(printf '%s\n' "$out" | grep -vxF -f <(prefixed "$s" "$SIM_LIB_PATHS") || true)
        t_eq "$name: list -l only lists driver libraries" "" "$stray"
        # Without options, list is devices + binaries + libraries (+lib32) + ipcs + firmware, in that order.
        local all
        all=$( { cli "$s" list -d all; cli "$s" list -b; cli "$s" list -l --compat32; cli "$s" list -i
                 cli "$s" list -f; } 2>&1)
        t_eq "$name: list is the concatenation of every flag" "$all" "$(cli "$s" list 2>&1)"
        t_eq "$name: --compat32 alone lists nothing" "" "$(cli "$s" list --compat32 2>&1)"
        t_eq "$name: --mig-config=all alone lists nothing" "" "$(cli "$s" list --mig-config=all 2>&1)"
        t_eq "$name: list -d none fails" "nvidia-container-cli: device error: none: unknown device" \
                "$(cli "$s" list -d none 2>&1)"
}

# ---------------------------------------------------------------------------------------------- one GPU
S=$T/one
if mksim "$S" --gpus 1; then
        . "$S/sim.env"
        check_common "1 GPU"
        t_eq "1 GPU: list -d 0 equals -d all" "$(cli "$S" list -d all)" "$(cli "$S" list -d 0,,0)"
        t_eq "1 GPU: list -d by UUID (lower case)" "$(cli "$S" list -d all)" "$(cli "$S" list -d "${SIM_UUIDS,,}")"
        t_eq "1 GPU: list -d by short PCI id" "$(cli "$S" list -d all)" \
                "$(cli "$S" list -d "$(echo "$SIM_PROC_BUSIDS" | sed 's/^0000:/0:/')")"
        for bad in 1 -1 0x0 "0 " "../0" "GPU-" "0:0" "MIG-x"; do
                t_eq "1 GPU: list -d '$bad' is an unknown device" \
                        "nvidia-container-cli: device error: $bad: unknown device" "$(cli "$S" list -d "$bad" 2>&1)"
        done
        t_eq "1 GPU: list -i lists IPC sockets and the MPS directory" \
                "$(printf '%s\n' "$S/run/nvidia-persistenced/socket" "$S/run/nvidia-fabricmanager/socket" \
                        "$S/tmp/nvidia-mps")" "$(cli "$S" list -i 2>&1)"
        t_eq "1 GPU: --no-persistenced --no-fabricmanager" "$S/tmp/nvidia-mps" \
                "$(cli "$S" list -i --no-persistenced --no-fabricmanager 2>&1)"
        t_eq "1 GPU: --imex-channel without a node lists no channel" "$(cli "$S" list)" \
                "$(cli "$S" list --imex-channel=0 2>&1)"
        t_eq "1 GPU: --imex-channel=1048576 is refused" \
                "nvidia-container-cli: error parsing IMEX info: 1048576: invalid channel (expected a decimal number below 1048576)" \
                "$(cli "$S" list --imex-channel=1048576 2>&1)"
        t_eq "1 GPU: info rejects positional arguments (usage error)" "64" \
                "$(cli "$S" info extra >/dev/null 2>&1; echo $?)"

        # Bad ld.so.cache files: one clear line and exit 1, never a crash or a hang.
        : >"$S/etc/empty.cache"
        head -c 200 "$S/etc/ld.so.cache" >"$S/etc/truncated.cache"
        head -c 8192 /dev/urandom >"$S/etc/random.cache"
        printf 'glibc-ld.so.cache1.1\xff\xff\xff\xff\xff\xff\xff\x7f' >"$S/etc/hostile.cache"
        { printf 'glibc-ld.so.cache1.1\x01\x00\x00\x00\x00\x00\x00\x00'; head -c 4 /dev/zero
          printf '\x03\x03\x00\x00\xff\xff\xff\x7f\xff\xff\xff\x7f'; head -c 64 /dev/zero; } >"$S/etc/offsets.cache"
        for c in empty truncated random hostile missing; do
                out=$(cli "$S" -l "/etc/$c.cache" list -l 2>&1); rc=$?
                t_eq "ldcache $c: exit status 1" 1 "$rc"
                t_grep "ldcache $c: one line naming the cache" "^nvidia-container-cli: .*$c\.cache" "$out"
                t_eq "ldcache $c: exactly one line" 1 "$(printf '%s\n' "$out" | wc -l)"
        done
        # An entry whose strings point outside the file: skipped or refused, never followed.
        out=$(cli "$S" -l /etc/offsets.cache list -l 2>&1); rc=$?
        t_grep "ldcache with wild offsets: no crash, no hang (rc $rc)" '^[01]$' "$rc"
        t_eq "ldcache with wild offsets: no library listed" "" "$(printf '%s\n' "$out" | grep '^/')"

        # Unknown version format.
        cp "$S/proc/driver/nvidia/version" "$T/version.saved"
        echo "NVRM version: something new" >"$S/proc/driver/nvidia/version"
        t_eq "unknown version format: one clear line" \
                "nvidia-container-cli: initialization error: $S/proc/driver/nvidia/version: unknown format: no version number in the \"NVRM version:\" line" \
                "$(cli "$S" list 2>&1)"
        head -c 100000 /dev/urandom >"$S/proc/driver/nvidia/version"
        out=$(cli "$S" info 2>&1); rc=$?
        t_eq "random version file: exit 1" 1 "$rc"
        t_grep "random version file: names the file" "^nvidia-container-cli: initialization error: .*/version" "$out"
        cp "$T/version.saved" "$S/proc/driver/nvidia/version"

        mv "$S/proc/driver/nvidia" "$S/proc/driver/nvidia.off"
        t_eq "driver not loaded" \
                "nvidia-container-cli: initialization error: NVIDIA driver not loaded: $S/proc/driver/nvidia: No such file or directory" \
                "$(cli "$S" list 2>&1)"
        mv "$S/proc/driver/nvidia.off" "$S/proc/driver/nvidia"

        # --debug appends a glog-style log with one line per decision.
        cli "$S" -d "$T/debug.log" list >/dev/null 2>&1
        t_grep "debug log: selecting a GPU node" '^I[0-9]{4} .*selecting .*/dev/nvidia0 \(195:0\)' "$(cat "$T/debug.log")"
        t_grep "debug log: the driver version and where it came from" \
                "NVRM version $SIM_VERSION \\($S/proc/driver/nvidia/version\\)" "$(cat "$T/debug.log")"

        # --load-kmods: the driver is "loaded" (procfs exists), so no modprobe; missing nodes are created.
        rm -f "$S/dev/nvidia0" "$S/dev/nvidia-uvm-tools"
        t_eq "-k: recreates missing nodes" "$(expected_devices)" "$(cli "$S" -k list -d all 2>&1)"
        t_eq "-k: nvidia0 is character device 195:0 again" "character special file c3:0" \
                "$(stat -c '%F %t:%T' "$S/dev/nvidia0")"
        cli "$S" -k --no-create-imex-channels list --imex-channel=3 >/dev/null 2>&1
        t_fails "--no-create-imex-channels: channel3 not created" test -e "$S/dev/nvidia-caps-imex-channels/channel3"
        out=$(cli "$S" -k list -d all --imex-channel=3 2>&1)
        t_grep "-k --imex-channel=3: channel created and listed" '^/dev/nvidia-caps-imex-channels/channel3$' "$out"
        rm -rf "$S/dev/nvidia-caps-imex-channels"
fi

# ---------------------------------------------------------------------------------------------- eight GPUs
S=$T/eight
if mksim "$S" --gpus 8; then
        . "$S/sim.env"
        check_common "8 GPUs"
        minors=($SIM_MINORS)
        t_eq "8 GPUs: selection order is kept" \
                "$(printf '%s\n' /dev/nvidiactl /dev/nvidia-uvm /dev/nvidia-uvm-tools /dev/nvidia-modeset \
                        /dev/nvidia${minors[7]} /dev/nvidia${minors[2]})" "$(cli "$S" list -d 7,2,7 2>&1)"
        t_eq "8 GPUs: index 8 is unknown" "nvidia-container-cli: device error: 8: unknown device" \
                "$(cli "$S" list -d 8 2>&1)"
fi

# ---------------------------------------------------------------------------------------------- MIG
S=$T/mig
if mksim "$S" --gpus 2 --mig 0:3,1:3; then
        . "$S/sim.env"
        check_common "MIG"
        t_eq "MIG: list -d all has every MIG device" "$(expected_devices)" "$(cli "$S" list -d all 2>&1)"
        t_eq "MIG: 1:2 selects its parent and only itself" \
                "$(printf '%s\n' /dev/nvidiactl /dev/nvidia-uvm /dev/nvidia-uvm-tools /dev/nvidia-modeset /dev/nvidia1
                   mig_lines 1:2)" \
                "$(cli "$S" list -d 1:2 2>&1)"
        u=$(echo "$SIM_MIG_DEVICES" | tr ' ' '\n' | awk -F: '$1 == 0 && $2 == 1 { print $5 }')
        t_eq "MIG: a MIG UUID selects the same device as 0:1" "$(cli "$S" list -d 0:1)" "$(cli "$S" list -d "$u" 2>&1)"
        t_eq "MIG: 0:3 is unknown" "nvidia-container-cli: device error: 0:3: unknown device" \
                "$(cli "$S" list -d 0:3 2>&1)"
        out=$(cli "$S" list -d all --mig-config=all 2>&1)
        t_grep "MIG: --mig-config=all lists the config capability" '^/proc/driver/nvidia/capabilities/mig/config$' "$out"
        t_grep "MIG: --mig-config=all lists the GPU mig directory" '^/proc/driver/nvidia/capabilities/gpu1/mig$' "$out"
        t_eq "MIG: --mig-config=all lists no MIG access files" "" "$(printf '%s\n' "$out" | grep '/access$')"
        t_eq "MIG: --mig-config with a specific MIG device is refused" \
                "nvidia-container-cli: mig-config error: all: cannot enable mig-config with specific MIG devices selected" \
                "$(cli "$S" list -d 0:1 --mig-config=all 2>&1)"
        t_eq "MIG: --mig-monitor=0 is refused" \
                "nvidia-container-cli: mig-monitor error: 0: only 'all' devices are currently supported" \
                "$(cli "$S" list -d all --mig-monitor=0 2>&1)"
fi

# ---------------------------------------------------------------------------------------------- variants
S=$T/run/nvidia/driver
mkdir -p "$T/run/nvidia"
if mksim "$S" --gpus 1 --compat32; then
        . "$S/sim.env"
        check_common "root in a subdirectory, compat32"
        out=$(cli "$S" list -l --compat32 2>&1)
        t_grep "compat32: 32-bit libcuda listed" "^$S$SIM_LIB32DIR/libcuda\.so\.$SIM_VERSION\$" "$out"
        t_eq "compat32: -l alone has no 32-bit libraries" "" "$(cli "$S" list -l 2>&1 | grep -F "$SIM_LIB32DIR/")"
fi

S=$T/nouvm
if mksim "$S" --gpus 1 --no-uvm; then
        . "$S/sim.env"
        check_common "no uvm"
        t_eq "no uvm: no uvm nodes listed" "" "$(cli "$S" list -d all 2>&1 | grep uvm)"
        cli "$S" -d "$T/nouvm.log" list -d all >/dev/null 2>&1
        t_grep "no uvm: the debug log says why" 'skipping /dev/nvidia-uvm: ' "$(cat "$T/nouvm.log")"
fi

S=$T/nogfx
if mksim "$S" --gpus 1 --no-graphics; then
        . "$S/sim.env"
        check_common "no graphics"
        t_eq "no graphics: no GL libraries" "" "$(cli "$S" list -l 2>&1 | grep -E 'GLX|EGL|glcore')"
fi

S=$T/h100
if mksim "$S" --gpus 1 --layout h100; then
        . "$S/sim.env"
        check_common "h100 layout"
        section() { awk -v c="### \$ nvidia-container-cli $1" '$0 == c { f = 1; next } /^\[rc=/ { f = 0 } f' "$REF"; }
        if [ -r "$REF" ]; then
                t_eq "h100 layout: list -l matches NVIDIA's H100 output" "$(section "list -l")" \
                        "$(cli "$S" list -l 2>&1 | sed "s|^$S||")"
                t_eq "h100 layout: list -b matches NVIDIA's H100 output" "$(section "list -b")" \
                        "$(cli "$S" list -b 2>&1 | sed "s|^$S||")"
                t_eq "h100 layout: list -d 0 matches NVIDIA's except the absent nvidia-modeset" \
                        "$(section "list -d 0" | grep -v nvidia-modeset)" "$(cli "$S" list -d 0 2>&1)"
        else
                t_skip "h100 layout: reference output" "$REF not readable"
        fi
fi

# ---------------------------------------------------------------------------------------------- NVML
S=$T/nonvml
if mksim "$S" --gpus 1 --no-nvml; then
        . "$S/sim.env"
        out=$(cli "$S" info 2>&1); rc=$?
        t_eq "no NVML: info exits 1" 1 "$rc"
        t_grep "no NVML: one clear line" '^nvidia-container-cli: initialization error: .*libnvidia-ml' "$out"
        t_eq "no NVML: exactly one line" 1 "$(printf '%s\n' "$out" | wc -l)"
        t_eq "no NVML: list still works (it needs no NVML)" "$(expected_devices)" "$(cli "$S" list -d all 2>&1)"
fi

for e in init init-permission init-mismatch init-crash count gpu-lost uuid cuda-version driver-version; do
        S=$T/nvml-$e
        mksim "$S" --gpus 1 --nvml-error "$e" || continue
        out=$(cli "$S" info 2>&1); rc=$?
        if [ "$rc" = 0 ]; then
                # Some failures only lose optional data; the output must still be well formed.
                t_grep "NVML error $e: info still prints the driver" "^NVRM version: +$SIM_VERSION" "$out"
        else
                t_eq "NVML error $e: exit status 1" 1 "$rc"
                t_grep "NVML error $e: one line with the program name" '^nvidia-container-cli: [a-z]+ error: .+' "$out"
                t_eq "NVML error $e: exactly one line" 1 "$(printf '%s\n' "$out" | wc -l)"
        fi
        rm -rf "$S"
done

S=$T/nvml-hang
if mksim "$S" --gpus 1 --nvml-error init-hang; then
        start=$(date +%s)
        out=$(timeout 30 "$NVCT" cli -r "$S" --proc-root="$S/proc" --sys-root="$S/sys" info 2>&1); rc=$?
        t_eq "NVML hang: info gives up with exit 1 (not killed by timeout)" 1 "$rc"
        t_grep "NVML hang: one clear line" '^nvidia-container-cli: initialization error: ' "$out"
        t_eq "NVML hang: returned within 20 s" 1 "$(($(date +%s) - start < 20))"
        start=$(date +%s%N)
        out=$(timeout 30 "$NVCT" cli -r "$S" --proc-root="$S/proc" --sys-root="$S/sys" --nvml-timeout=700 info 2>&1)
        elapsed=$((($(date +%s%N) - start) / 1000000))
        t_grep "NVML hang: --nvml-timeout=700 is the limit it names" 'NVML did not answer within 700 ms' "$out"
        t_eq "NVML hang: --nvml-timeout=700 returns in under 5 s" 1 "$((elapsed < 5000))"
fi
for v in 0 -1 12x 3600001 ''; do
        out=$("$NVCT" cli --nvml-timeout="$v" info 2>&1); rc=$?
        t_eq "--nvml-timeout='$v' is a usage error" 64 "$rc"
        t_grep "--nvml-timeout='$v' says why" "invalid NVML timeout: $v \(milliseconds, 1 to 3600000\)" "$out"
done

exit 0
