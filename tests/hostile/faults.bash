# SPDX-License-Identifier: Apache-2.0
# Fault injection of tests/hostile/run.sh (sourced): each fault leaves no residue on the host and is reported
# clearly. Same oracles as the case table (run_case), in both modes.

prep_F1() { KILL_AFTER=$((RANDOM % 30000)); EXPECT=any PAT='exited|ESRCH|No such process|container process'; }
prep_F2() { rm -f "$R/etc/ld.so.cache"; ARGS+=(--ldconfig="@$B/ldblock"); mkfifo "$R/nvct-block.fifo"; KILL_SELF_AFTER=400000; EXPECT=any; }
prep_F3() { rm -f "$R/etc/ld.so.cache"; ARGS+=(--ldconfig="@$B/ldblock"); mkfifo "$R/nvct-block.fifo"; KILL_AFTER=400000; TO=45000
        EXPECT=refuse PAT='exited|ldconfig|timed out'; }
prep_F4() { rm -rf "$R"; mkdir "$R"; mount -t tmpfs -o size=12m,nr_inodes=2000 none "$R"; cp -a "$W/template/." "$R/"
        dd if=/dev/zero of="$R/fill" bs=64k 2>/dev/null; touch "$R/fill-inodes" 2>/dev/null
        for i in $(seq 2000); do { : >"$R/i$i"; } 2>/dev/null || break; done
        EXPECT=refuse PAT='No space left|Disk quota'; POST=post_residue; }
post_residue() { find "$R" -name 'libcuda.so*' -o -name 'nvidia0' -o -name '.#nvct-*' | head -3 | sed 's/^/left behind: /'; }
prep_F5() { mount --bind "$R" "$R" && mount -o remount,bind,ro "$R"; EXPECT=refuse PAT='Read-only file system'; }
copy_sim() { cp -a "$SIM" "$W/c/sim"; DRV=$W/c/sim; }
prep_F6() { copy_sim; rm -f "$DRV$SIM_LIBDIR/libnvidia-ml.so.$VER"; EXPECT=any; }
prep_F7() { copy_sim; printf 'garbage' >"$DRV$SIM_LIBDIR/libcuda.so.$VER"; EXPECT=any; }
prep_F8() { copy_sim; rm -f "$DRV/dev/nvidia0"; EXPECT=any PAT='nvidia0'; POST=post_F8; }
post_F8() { [ -e "$R/dev/nvidia0" ] && ! nsenter -t "$CPID" -m test -c "$R/dev/nvidia0" && echo "a bogus /dev/nvidia0 was left"; return 0; }
prep_F9() { DRV=$W/sim-hang; ARGS+=(--require='cuda>=12.0'); TO=30000; EXPECT=refuse PAT='NVML did not answer within 10000 ms'; }
prep_F9b() { DRV=$W/sim-hang; GLOBALS=(--nvml-timeout=1500); ARGS+=(--require='cuda>=12.0'); TO=15000
        EXPECT=refuse PAT='NVML did not answer within 1500 ms'; }
prep_F10() { FRONT=hook; req_env 'cuda>=12.0'; ENVJ=$(jq -c '. + ["NVIDIA_REQUIRE_ARCH=arch>=8.0"]' <<<"$ENVJ")
        write_hook_config "$W/c/hook.toml" '' ; sed -i "s|^root = .*|root = \"$W/sim-hang\"|; s|$SIM/|$W/sim-hang/|g" "$W/c/hook.toml"
        printf 'nvml-timeout-ms = 1500\n' >>"$W/c/hook.toml"; HOOKCFG=$W/c/hook.toml TO=15000
        EXPECT=refuse PAT='NVML did not answer within 1500 ms'; }
prep_F11() { ARGS=(--device=0 --compute --utility); CG=/sys/fs/cgroup/devices/$PFX-f11; mkdir -p "$CG"
        echo a >"$CG/devices.deny"; CGROUP_MOVE=$CG; KILL_AFTER=$((RANDOM % 20000)); PRE_START=vanish_cgroup
        EXPECT=any PAT='cgroup|exited|container process'; }
vanish_cgroup() { ( for _ in $(seq 2000); do rmdir "$CG" 2>/dev/null && exit 0; sleep 0.002; done ) & }

FAULTS=(
"F1|the container is SIGKILLed at a random point of configure"
"F2|nvct is SIGKILLed while its ldconfig helper hangs: no helper survives"
"F3|the container dies while the ldconfig helper hangs: reported, nothing survives"
"F4|ENOSPC: the rootfs is a full tiny tmpfs: refused, rolled back"
"F5|EROFS: the rootfs is a read-only bind: refused"
"F6|a driver library is missing (dangling soname link)"
"F7|a driver library is corrupt (not an ELF)"
"F8|a device node of the driver is missing: nothing bogus injected"
"F9|NVML hangs in init (cli: the default 10 s timeout)"
"F9b|NVML hangs in init (cli --nvml-timeout=1500)"
"F10|NVML hangs in init (hook, nvml-timeout-ms = 1500)"
"F11|the device cgroup vanishes while configure runs"
)
"$NVCT_SRC"/tests/sim/mksim.sh "$W/sim-hang" --gpus 2 --nvml-error init-hang >/dev/null || t_fail "hostile: mksim init-hang"
for MODE in openat2 no-openat2; do
        for c in "${FAULTS[@]}"; do
                run_case "${c%%|*}" "${c#*|}"
        done
done
