# SPDX-License-Identifier: Apache-2.0
# The case table of tests/hostile/run.sh (sourced; not a test of its own). Numbers are the rows of
# hostile-images.md; B-numbers go beyond it. Each prep_<id> builds its hostile rootfs or input from the pristine
# template in $R, and states what must happen (see reset_case in run.sh).
LIB=usr/lib/x86_64-linux-gnu
VER=$SIM_VERSION
COMPAT=usr/local/cuda/compat

CASES=(
"1|lib dir -> ../../../../../../etc: contained in the rootfs's /etc"
"2|lib dir -> absolute host canary path: re-rooted, canary untouched"
"3a|/usr/lib64 -> /proc/self/root/usr/lib64 (non-Debian image): refused"
"3b|/usr/bin -> /proc/1/root/usr/bin: refused"
"3c|/usr/bin -> /proc/self/cwd/..: refused"
"4|/etc/ld.so.cache -> /proc/1/root/etc/passwd (CVE-2025-23267): host passwd unchanged"
"4b|/etc/ld.so.cache -> host canary passwd (absolute): re-rooted"
"5a|/etc/ld.so.conf.d -> ../../../../etc with a compat drop-in: contained"
"5b|/etc -> absolute host dir: contained"
"6a|/etc/ld.so.conf is a FIFO: no hang"
"6b|/etc/ld.so.conf is a char device (1:3)"
"6c|/etc/ld.so.conf is a 10 GB sparse file: bounded"
"6d|/etc/ld.so.conf is a socket"
"7|ld.so.conf includes itself, glob through a dir-symlink loop: terminates"
"8a|compat libcuda.so.999 -> / (CVE-2024-0132): ignored"
"8b|compat libcuda.so.999.1.1 is a dir, FIFO, socket or device: ignored"
"9a|/usr/local/cuda/compat -> ../../../../: stays in the rootfs"
"9b|/usr/local/cuda/compat -> host dir with a newer libcuda: nothing read from the host"
"10|compat libcuda.so.999.1.1 with a crafted ELF (huge note, bad offsets): no crash"
"11|/lib/firmware/nvidia/VER -> /../../../../host dir: host dir stays empty"
"13a|/dev -> absolute host dir: device nodes only inside the rootfs"
"13b|/dev -> ../../..: device nodes only inside the rootfs"
"13c|/dev is a regular file: refused"
"14a|/dev/nvidia0 is a symlink to /dev/sda: refused, link target never mounted over"
"14b|/dev/nvidia0 is a symlink to /proc/sysrq-trigger: refused"
"15a|/dev/nvidiactl is char 1:3: refused"
"15b|/dev/nvidiactl is block 8:0: refused"
"15c|/dev/nvidia-uvm is a FIFO: refused, no hang"
"16a|/proc/driver/nvidia not on procfs (image /proc is a plain dir): refused"
"16b|/proc is a symlink to a host dir: refused or contained"
"16c|/proc/driver/nvidia pre-mounted as tmpfs in the container: refused"
"18a|lib dir behind a 41-link chain: refused (ELOOP)"
"18b|lib dir behind a 1,000-link chain: refused (ELOOP)"
"18c|lib dir -> itself: refused (ELOOP)"
"18d|lib dir -> a 256-byte component: refused (ENAMETOOLONG)"
"18e|lib dir -> a path longer than PATH_MAX: refused, never truncated"
"19|100,000 files in cuda/compat: bounded scan"
"22a|LD_PRELOAD=/proc/self/cwd/poc.so in the hook's env, cwd = rootfs (CVE-2025-23266)"
"22b|LD_AUDIT, LD_LIBRARY_PATH, GCONV_PATH, GLIBC_TUNABLES in the hook's env"
"22c|the sandboxed ldconfig gets an empty env, fds 0-2 only, an empty /proc"
"22d|the image's LD_PRELOAD in process.env reaches nothing nvct starts"
"23|image env NVIDIA_CTK_CONFIG_FILE_PATH, TMPDIR, HOME, PATH, debug vars: ignored"
"24a|NVIDIA_VISIBLE_DEVICES=../../dev/sda: refused with the token"
"24b|NVIDIA_VISIBLE_DEVICES=GPU-../x: refused"
"24c|NVIDIA_VISIBLE_DEVICES=all,../x: refused"
"24d|NVIDIA_VISIBLE_DEVICES with a NUL (JSON \\u0000): refused"
"24e|NVIDIA_VISIBLE_DEVICES of 1 MB: refused, bounded"
"24f|NVIDIA_VISIBLE_DEVICES with 10,000 items: refused, bounded"
"24g|NVIDIA_VISIBLE_DEVICES=99999999999999999999: refused"
"24h|NVIDIA_VISIBLE_DEVICES=0x1: refused"
"24i|NVIDIA_VISIBLE_DEVICES=-1: refused"
"25a|NVIDIA_DRIVER_CAPABILITIES with 4,000 entries: bounded"
"25b|NVIDIA_DRIVER_CAPABILITIES=compute,evil: unsupported"
"25c|NVIDIA_DRIVER_CAPABILITIES=,,,: no capability, no crash"
"25d|NVIDIA_DRIVER_CAPABILITIES of 64 KB: bounded"
"26a|NVIDIA_REQUIRE_CUDA=cuda>=: invalid expression"
"26b|NVIDIA_REQUIRE_CUDA=cuda>=99999999999999999999999: unsatisfied, no overflow"
"26c|NVIDIA_REQUIRE_CUDA with a 10,000-component version: bounded"
"26d|NVIDIA_REQUIRE_CUDA=cuda=<12 / cuda!==12: invalid"
"26e|NVIDIA_REQUIRE_CUDA with 1,000 brand= terms: bounded"
"27a|duplicate NVIDIA_VISIBLE_DEVICES (none, then all): last wins"
"27b|env entries without '=': ignored"
"28|unprivileged container sets NVIDIA_MIG_CONFIG_DEVICES: refused"
"29a|config.json of 200 MB: refused, bounded"
"29b|config.json nested 100,000 deep: refused"
"29c|config.json with invalid UTF-8: refused"
"29d|config.json without process: no GPU, nothing done"
"31|device cgroup (v1): only the requested GPU is granted, existing deny kept"
"36a|--ldconfig=/sbin/ldconfig (a container path, CVE-2024-0136/0137): refused"
"36b|config ldconfig = container path, planted /sbin/ldconfig: refused, never run"
"B1|/etc/ld.so.conf.d is a regular file (compat drop-in): refused"
"B2|lib dir -> /proc/self/fd/0 (magic link): refused"
"B3|planted /sbin/ldconfig and nvidia-smi in the image: never run"
"B4|/etc/ld.so.cache -> /proc/sysrq-trigger: nothing written on the host"
"B5|/run -> absolute host dir (IPC sockets): contained"
"B6|mount-point file pre-exists as a hard link to the image's /etc/shadow: contained"
"B7|state pid of a host process (shares the host mount namespace): refused, no host mount"
"B8|state pid of another container: contained to that container, host unchanged"
"B9|state pid that does not exist: refused"
"B10|CUDA version cache dir is a symlink to a canary: not written through"
"B11|CUDA version cache dir world-writable: not trusted"
"B12|the compat drop-in name pre-exists as a symlink to a host path: refused"
"B13|libcuda.so development link pre-exists as a directory: kept, nothing followed"
"B14|/etc/ld.so.cache is a 10 GB sparse file: bounded, no hang"
"B15|/etc/ld.so.cache is a FIFO: no hang"
"B16|/etc/ld.so.cache is a valid cache that lists host paths and ../ entries: nothing outside read"
)

host_has_no() { # GLOB...: print a problem for each host path that exists
        local p
        for p in "$@"; do [ -e "$p" ] || [ -L "$p" ] && echo "host path created: $p"; done
        return 0
}

prep_1() { rm -rf "$R/$LIB"; ln -s ../../../../../../etc "$R/$LIB"; EXPECT=any; POST=post_1; }
post_1() { host_has_no /etc/libcuda.so.1 /etc/libcuda.so.$VER; [ "$RC" = 0 ] && [ ! -e "$R/etc/libcuda.so.$VER" ] && echo "libcuda not in rootfs/etc"; }
prep_2() { rm -rf "$R/$LIB"; ln -s "$H/lib" "$R/$LIB"; EXPECT=any PAT="symlink"; POST=post_2; }
post_2() { [ "$RC" != 0 ] || [ -e "$R$H/lib/libcuda.so.$VER" ] || echo "libcuda not re-rooted to rootfs$H/lib"; }
prep_3a() { rm -f "$R/etc/debian_version"; rm -rf "$R/usr/lib64"; ln -s /proc/self/root/usr/lib64 "$R/usr/lib64"
        EXPECT=refuse PAT='usr/lib64'; }
prep_3b() { rm -rf "$R/usr/bin"; ln -s /proc/1/root/usr/bin "$R/usr/bin"; EXPECT=refuse PAT='usr/bin'; }
prep_3c() { rm -rf "$R/usr/bin"; ln -s /proc/self/cwd/.. "$R/usr/bin"; EXPECT=refuse PAT='usr/bin'; }
prep_4() { rm -f "$R/etc/ld.so.cache"; ln -s /proc/1/root/etc/passwd "$R/etc/ld.so.cache"; EXPECT=any; }
prep_4b() { rm -f "$R/etc/ld.so.cache"; ln -s "$H/etc/passwd" "$R/etc/ld.so.cache"; EXPECT=any; }
compat_lib() { mkdir -p "$R/$COMPAT"; cp "$SIM$SIM_LIBDIR/libcuda.so.$VER" "$R/$COMPAT/libcuda.so.999.1.1"; }
prep_5a() { compat_lib; rm -rf "$R/etc/ld.so.conf.d"; ln -s ../../../../etc "$R/etc/ld.so.conf.d"; POST=post_5a; }
post_5a() { [ -f "$R/etc/00-nvct-cuda-compat.conf" ] || echo "compat drop-in not in rootfs/etc"; host_has_no /etc/00-nvct-cuda-compat.conf; }
prep_5b() { compat_lib; mv "$R/etc" "$R/etc.real"; ln -s "$H/empty" "$R/etc"; EXPECT=any; POST=post_5b; }
post_5b() { host_has_no "$H/empty/ld.so.conf.d" "$H/empty/ld.so.cache"; }
prep_6a() { rm -f "$R/etc/ld.so.conf"; mkfifo "$R/etc/ld.so.conf"; EXPECT=any; PAT='ldconfig'; }
prep_6b() { rm -f "$R/etc/ld.so.conf"; mknod "$R/etc/ld.so.conf" c 1 3; EXPECT=any; PAT='ldconfig'; }
prep_6c() { rm -f "$R/etc/ld.so.conf"; truncate -s 10G "$R/etc/ld.so.conf"; EXPECT=any; PAT='ldconfig'; }
prep_6d() { rm -f "$R/etc/ld.so.conf"; python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
        "$R/etc/ld.so.conf" 2>/dev/null || mkfifo "$R/etc/ld.so.conf"; EXPECT=any; PAT='ldconfig'; }
prep_7() { printf 'include /etc/ld.so.conf\ninclude /etc/loop/*/*.conf\n' >"$R/etc/ld.so.conf"
        mkdir -p "$R/etc/loop"; ln -s .. "$R/etc/loop/up"; ln -s ../loop "$R/etc/loop/self"
        EXPECT=any PAT=ldconfig TO=45000; } # glibc's ldconfig recurses until the sandbox's CPU limit kills it
prep_8a() { mkdir -p "$R/$COMPAT"; ln -s / "$R/$COMPAT/libcuda.so.999.1.1"; POST=post_nocompat; }
prep_8b() { mkdir -p "$R/$COMPAT/libcuda.so.999.1.1" ; mkfifo "$R/$COMPAT/libcuda.so.998.1.1"
        mknod "$R/$COMPAT/libcuda.so.997.1.1" c 1 3; mknod "$R/$COMPAT/libcuda.so.996.1.1" b 8 0
        python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$R/$COMPAT/libcuda.so.995.1.1" 2>/dev/null
        POST=post_nocompat; }
post_nocompat() { [ -e "$R/etc/ld.so.conf.d/00-nvct-cuda-compat.conf" ] && echo "a non-file compat lib was used"; return 0; }
prep_9a() { mkdir -p "$R/usr/local/cuda"; ln -s ../../../../ "$R/$COMPAT"; cp "$SIM$SIM_LIBDIR/libcuda.so.$VER" "$R/libcuda.so.999.1.1"; }
prep_9b() { mkdir -p "$R/usr/local/cuda"; ln -s "$H/compat" "$R/$COMPAT"; POST=post_nocompat; }
prep_10() { mkdir -p "$R/$COMPAT"
        # an ELF header whose section and note fields point far past the end of the file
        printf '\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\3\0\76\0\1\0\0\0\0\0\0\0\0\0\0\0\100\0\0\0\0\0\0\0\377\377\377\377\0\0\0\0\0\0\0\0\100\0\70\0\1\0\100\0\377\377\376\377' \
                >"$R/$COMPAT/libcuda.so.999.1.1"
        printf '\4\0\0\0\377\377\377\377\1\0\0\0GNU\0' >>"$R/$COMPAT/libcuda.so.999.1.1"
        head -c 1048576 /dev/zero | tr '\0' '[' >>"$R/$COMPAT/libcuda.so.999.1.1"; EXPECT=any; PAT=ldconfig; }
prep_11() { rm -rf "$R/usr/lib/firmware/nvidia/$VER"; mkdir -p "$R/usr/lib/firmware/nvidia"
        ln -s "/../../../../$H/fw" "$R/usr/lib/firmware/nvidia/$VER"; EXPECT=any; POST=post_11; }
post_11() { [ -z "$(ls -A "$H/fw")" ] || echo "host firmware dir not empty"; }
prep_13a() { rm -rf "$R/dev"; ln -s "$H/dev" "$R/dev"; EXPECT=any; POST=post_13; }
prep_13b() { rm -rf "$R/dev"; ln -s ../../.. "$R/dev"; EXPECT=any; POST=post_13; }
post_13() { [ -z "$(ls -A "$H/dev")" ] || echo "host dev dir not empty"; host_has_no /nvidia0 /nvidiactl; }
prep_13c() { rm -rf "$R/dev"; echo x >"$R/dev"; EXPECT=refuse PAT='dev'; }
prep_14a() { ln -s /dev/sda "$R/dev/nvidia0"; EXPECT=refuse PAT='/dev/nvidia0'; }
prep_14b() { ln -s /proc/sysrq-trigger "$R/dev/nvidia0"; EXPECT=refuse PAT='/dev/nvidia0'; }
prep_15a() { mknod "$R/dev/nvidiactl" c 1 3; EXPECT=refuse PAT='nvidiactl.*(exists|not device)'; }
prep_15b() { mknod "$R/dev/nvidiactl" b 8 0; EXPECT=refuse PAT='nvidiactl.*(exists|not device)'; }
prep_15c() { mkfifo "$R/dev/nvidia-uvm"; EXPECT=refuse PAT='nvidia-uvm'; TO=15000; }
prep_16a() { mkdir -p "$R/proc/driver/nvidia"; PROC=noproc; EXPECT=refuse PAT='not on procfs'; }
prep_16b() { rm -rf "$R/proc"; ln -s "$H/proc" "$R/proc"; PROC=noproc; EXPECT=any; POST=post_16b; }
post_16b() { [ -z "$(ls -A "$H/proc")" ] || echo "host proc dir not empty"; }
prep_16c() { POST=; EXPECT=refuse PAT='not on procfs'; PRE_START=mount_tmpfs_proc_driver; }
mount_tmpfs_proc_driver() { nsenter -t "$CPID" -m sh -c "mount -t tmpfs none '$R/proc/driver' && mkdir '$R/proc/driver/nvidia'"; }
chain() { # N: a chain of N links ending at the real lib dir
        local i; mv "$R/$LIB" "$R/usr/lib/real"; ln -s real "$R/usr/lib/l0"
        for ((i = 1; i < $1; i++)); do ln -s "l$((i - 1))" "$R/usr/lib/l$i"; done
        ln -s "l$(($1 - 1))" "$R/$LIB"; }
prep_18a() { chain 41; EXPECT=refuse PAT='x86_64-linux-gnu'; }
prep_18b() { chain 1000; EXPECT=refuse PAT='x86_64-linux-gnu'; }
prep_18c() { rm -rf "$R/$LIB"; ln -s x86_64-linux-gnu "$R/$LIB"; EXPECT=refuse PAT='x86_64-linux-gnu'; }
prep_18d() { rm -rf "$R/$LIB"; ln -s "$(printf 'a%.0s' $(seq 256))" "$R/$LIB"; EXPECT=refuse PAT='x86_64-linux-gnu'; }
prep_18e() { # 2 x 30 nested 120-byte components joined by a symlink: 7,200 bytes of path in all
        local comp rel= i; comp=$(printf 'd%.0s' $(seq 119))
        for ((i = 0; i < 30; i++)); do rel=$rel$comp/; done
        (cd "$R/usr/lib" && mkdir -p "deep/$rel" && cd "deep/$rel" && mkdir -p "$rel" && ln -s "$rel" next)
        rm -rf "$R/$LIB"; ln -s "deep/${rel}next" "$R/$LIB"; EXPECT=any; POST=post_18e; }
post_18e() { [ "$RC" = 0 ] && ! find "$R/usr/lib/deep" -name "libcuda.so.$VER" | grep -q . && echo "success but libcuda not at the long path"; return 0; }
prep_19() { mkdir -p "$R/$COMPAT"; (cd "$R/$COMPAT" && seq -f 'libcuda.so.%g.0' 1 100000 | xargs touch); TO=30000; }

# ---- the environment of the hook process, and the image's ----
prep_22a() { FRONT=hook; cp "$B/poc.so" "$R/poc.so"; HOOKCWD=$R; HOOKENV=(LD_PRELOAD=/proc/self/cwd/poc.so); }
prep_22b() { FRONT=hook; mkdir -p "$R/evil/gconv"; cp "$B/poc.so" "$R/evil/libc.so.6"; cp "$B/poc.so" "$R/evil/audit.so"
        cp "$B/poc.so" "$R/evil/gconv/poc.so"; printf 'module INTERNAL EVIL// poc 1\n' >"$R/evil/gconv/gconv-modules"
        HOOKCWD=$R; HOOKENV=(LD_AUDIT=/proc/self/cwd/evil/audit.so LD_LIBRARY_PATH=/proc/self/cwd/evil
                GCONV_PATH=/proc/self/cwd/evil/gconv GLIBC_TUNABLES=glibc.malloc.check=3:glibc.rtld.nns=999); }
prep_22c() { rm -f "$R/etc/ld.so.cache"; ARGS+=(--ldconfig="@$B/ldprobe"); POST=post_22c; } # no cache: the sandbox runs
post_22c() { local p; p=$(cat "$R/nvct-ldconfig-probe" 2>/dev/null)
        [[ "$p" == *"pid=1 fds=0,1,2, env=0 proc=0 hostmark=absent"* ]] || echo "sandbox probe: '${p:-none}'"; }
prep_22d() { FRONT=hook; cp "$B/poc.so" "$R/poc.so"
        ENVJ='["NVIDIA_VISIBLE_DEVICES=0","NVIDIA_DRIVER_CAPABILITIES=compute,utility","LD_PRELOAD=/poc.so","LD_LIBRARY_PATH=/"]'; }
prep_23() { FRONT=hook; mkdir -p "$R/evil"
        printf '[nvidia-container-cli]\nroot = "/"\ndebug = "%s/marks/evil-log"\nldconfig = "/evil/ld"\n' "$W" >"$R/evil/config.toml"
        ENVJ='["NVIDIA_VISIBLE_DEVICES=0","NVIDIA_DRIVER_CAPABILITIES=compute,utility",
              "NVIDIA_CTK_CONFIG_FILE_PATH=/proc/self/cwd/evil/config.toml","XDG_CONFIG_HOME=/evil","TMPDIR=/evil",
              "HOME=/evil","PATH=/evil","NVIDIA_CTK_DEBUG=true","NVCT_DEBUG='"$W"'/marks/dbg"]'
        HOOKCWD=$R; POST=post_23; }
post_23() { [ -s "$W/hook.log" ] || echo "the host config's debug log was not written (config not the host's?)"; }

hook_env() { FRONT=hook; printf '%s' "$1" >"$W/c/v"; printf '%s' "${2:-compute,utility}" >"$W/c/caps"
        ENVJ=$(jq -cn --rawfile v "$W/c/v" --rawfile c "$W/c/caps" '["NVIDIA_VISIBLE_DEVICES=" + $v, "NVIDIA_DRIVER_CAPABILITIES=" + $c]'); }
prep_24a() { hook_env ../../dev/sda; EXPECT=refuse PAT='\.\./\.\./dev/sda'; }
prep_24b() { hook_env GPU-../x; EXPECT=refuse PAT='GPU-\.\./x'; }
prep_24c() { hook_env all,../x; EXPECT=refuse PAT='\.\./x'; }
prep_24d() { FRONT=hook; ENVJ='["NVIDIA_VISIBLE_DEVICES=0\u0000all","NVIDIA_DRIVER_CAPABILITIES=utility"]'; EXPECT=refuse PAT='NUL'; }
prep_24e() { hook_env "$(head -c 1048576 /dev/zero | tr '\0' '0')"; EXPECT=refuse PAT='NVIDIA_VISIBLE_DEVICES'; }
prep_24f() { hook_env "$(seq -s, 0 9999)"; EXPECT=refuse PAT='NVIDIA_VISIBLE_DEVICES|more than|device'; }
prep_24g() { hook_env 99999999999999999999; EXPECT=refuse PAT='99999999999999999999'; }
prep_24h() { hook_env 0x1; EXPECT=refuse PAT='0x1'; }
prep_24i() { hook_env -1; EXPECT=refuse PAT='-1'; }
prep_25a() { hook_env 0 "$(yes utility | head -4000 | paste -sd,)"; EXPECT=any PAT='NVIDIA_DRIVER_CAPABILITIES|entries|bytes'; }
prep_25b() { hook_env 0 compute,evil; EXPECT=refuse PAT='unsupported capabilities: .*evil'; }
prep_25c() { hook_env 0 ,,,; EXPECT=any PAT='capabilit'; }
prep_25d() { hook_env 0 "$(head -c 65536 /dev/zero | tr '\0' 'u')"; EXPECT=refuse PAT='NVIDIA_DRIVER_CAPABILITIES'; }
req_env() { FRONT=hook; ENVJ=$(jq -cn --arg r "$1" '["NVIDIA_VISIBLE_DEVICES=0","NVIDIA_DRIVER_CAPABILITIES=compute,utility",
        "NVIDIA_REQUIRE_CUDA=" + $r]'); }
prep_26a() { req_env 'cuda>='; EXPECT=refuse PAT='invalid|expression'; }
prep_26b() { req_env 'cuda>=99999999999999999999999'; EXPECT=refuse PAT='unsatisfied|invalid'; }
prep_26c() { req_env "cuda>=$(seq -s. 1 10000)"; EXPECT=refuse PAT='invalid|long|bytes|unsatisfied'; }
prep_26d() { req_env 'cuda=<12 cuda!==12'; EXPECT=refuse PAT='invalid'; }
prep_26e() { req_env "$(for i in $(seq 1000); do printf 'brand=tesla%d ' "$i"; done)"; EXPECT=refuse PAT='unsatisfied|invalid|long|bytes|many'; }
prep_27a() { FRONT=hook; ENVJ='["NVIDIA_VISIBLE_DEVICES=none","NVIDIA_DRIVER_CAPABILITIES=utility","NVIDIA_VISIBLE_DEVICES=1"]'; POST=post_27a; }
post_27a() { nsenter -t "$CPID" -m test -c "$R/dev/nvidia1" || echo "last NVIDIA_VISIBLE_DEVICES did not win"; }
prep_27b() { FRONT=hook; ENVJ='["NVIDIA_VISIBLE_DEVICES","=0","NVIDIA_DRIVER_CAPABILITIES=utility","NVIDIA_VISIBLE_DEVICES=0"]'; }
prep_28() { FRONT=hook; ENVJ='["NVIDIA_VISIBLE_DEVICES=1","NVIDIA_MIG_CONFIG_DEVICES=all","NVIDIA_DRIVER_CAPABILITIES=utility"]'
        SPEC_FILTER='jq ".process.capabilities = {bounding: [], effective: [], permitted: []}" "$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"'
        EXPECT=refuse PAT='unprivileged'; }
big_spec() { SPEC_FILTER=$1; FRONT=hook; EXPECT=refuse; TO=20000; }
prep_29a() { big_spec 'head -c 209715200 /dev/zero | tr "\0" " " >>"$bundle/config.json"'; PAT='config.json|large|bytes|big'; }
prep_29b() { big_spec '{ printf "{\"x\":"; head -c 100000 /dev/zero | tr "\0" "["; } >"$bundle/config.json"'; PAT='config.json'; }
prep_29c() { big_spec 'jq -c . "$bundle/config.json" | sed "s/\"NVIDIA_VISIBLE_DEVICES=0\"/\"NVIDIA_VISIBLE_DEVICES=\xff\xfe\"/" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"'; PAT='config.json|UTF|utf'; }
prep_29d() { big_spec 'jq "del(.process)" "$bundle/config.json" >"$bundle/c.json" && mv "$bundle/c.json" "$bundle/config.json"'; PAT='missing process'; }

prep_31() { ARGS=(--device=0 --compute --utility); CG=/sys/fs/cgroup/devices/$PFX-31
        mkdir -p "$CG" && echo a >"$CG/devices.deny" && echo 'c 1:3 rwm' >"$CG/devices.allow"
        CGROUP_MOVE=$CG; POST=post_31; }
post_31() { local l; l=$(cat "$CG/devices.list")
        grep -qx "c $SIM_NVIDIA_MAJOR:0 rw\|c $SIM_NVIDIA_MAJOR:0 rwm" <<<"$l" || echo "no rule for nvidia0: $l"
        grep -q "c $SIM_NVIDIA_MAJOR:1 " <<<"$l" && echo "nvidia1 granted: $l"
        grep -q '^c 1:3 rwm' <<<"$l" || echo "existing rule lost: $l"
        # a process of the container's cgroup: the granted node opens (ENXIO: no driver), nvidia1 gets EPERM
        local o; o=$(sh -c 'echo $$ >"'"$CG"'/cgroup.procs"; exec 2>&1; : <>"'"$SIM"'/dev/nvidia1"; echo rc=$?')
        grep -q 'not permitted' <<<"$o" || echo "open of the non-granted nvidia1 was not EPERM: $o"; }
prep_36a() { ARGS+=(--ldconfig=/sbin/ldconfig); cp "$B/planted" "$R/usr/sbin/ldconfig"; EXPECT=refuse PAT='ldconfig'; }
prep_36b() { FRONT=hook; cp "$B/planted" "$R/usr/sbin/ldconfig"; rm -f "$R/usr/sbin/ldconfig.real"
        write_hook_config "$W/c/hook.toml"; sed -i 's|^ldconfig = .*|ldconfig = "/sbin/ldconfig"|' "$W/c/hook.toml"
        HOOKCFG=$W/c/hook.toml EXPECT=refuse PAT='ldconfig'; }

prep_B1() { compat_lib; rm -rf "$R/etc/ld.so.conf.d"; echo x >"$R/etc/ld.so.conf.d"; EXPECT=refuse PAT='ld.so.conf.d'; }
prep_B2() { rm -rf "$R/$LIB"; ln -s /proc/self/fd/0 "$R/$LIB"; EXPECT=refuse PAT='x86_64-linux-gnu'; }
prep_B3() { cp "$B/planted" "$R/usr/sbin/ldconfig"; cp "$B/planted" "$R/usr/sbin/ldconfig.real"
        cp "$B/planted" "$R/usr/bin/nvidia-smi.planted"; cp "$B/planted" "$R/usr/bin/sh.planted"
        ln -sf /usr/sbin/ldconfig "$R/usr/bin/ldconfig"; }
prep_B4() { rm -f "$R/etc/ld.so.cache"; ln -s /proc/sysrq-trigger "$R/etc/ld.so.cache"; EXPECT=any; }
prep_B5() { rm -rf "$R/run"; ln -s "$H/run" "$R/run"; EXPECT=any; POST=post_B5; }
post_B5() { [ -z "$(ls -A "$H/run")" ] || echo "host run dir not empty"; }
prep_B6() { echo secret >"$R/etc/shadow"; ln "$R/etc/shadow" "$R/$LIB/libcuda.so.$VER"; POST=post_B6; }
post_B6() { [ "$(cat "$R/etc/shadow")" = secret ] || echo "image shadow changed"; }
prep_B7() { FRONT=hook; sleep 30 & HOSTPID=$!; STATE_PID=$HOSTPID; EXPECT=refuse PAT='shares the host.s mount namespace'; POST=post_B7; }
post_B7() { kill "$HOSTPID"; wait "$HOSTPID" 2>/dev/null; return 0; }
prep_B8() { FRONT=hook; start_other; STATE_PID=$OTHER; EXPECT=any; POST=post_B8; }
start_other() { mkdir -p "$W/c/other/proc"; local save=$CPID saveu=$UPID; start_container "$W/c/other" noproc
        OTHER=$CPID OTHERU=$UPID; CPID=$save UPID=$saveu; }
post_B8() { nsenter -t "$CPID" -m sh -c "grep -c ' $R' /proc/self/mountinfo" | grep -qx 1 || echo "mounts landed in the wrong container"
        kill -9 "$OTHER"; wait "$OTHERU" 2>/dev/null; }
prep_B9() { FRONT=hook; STATE_PID=4194000; EXPECT=refuse PAT='4194000'; }
prep_B10() { FRONT=hook; req_env 'cuda>=12.0'; mkdir -p "$H/cachetarget"; write_hook_config "$W/c/hook.toml"
        rm -rf "$W/c/cache"; ln -s "$H/cachetarget" "$W/c/cache"
        sed -i "s|^cuda-version-cache = .*|cuda-version-cache = \"$W/c/cache\"|" "$W/c/hook.toml"; HOOKCFG=$W/c/hook.toml; }
prep_B11() { FRONT=hook; req_env 'cuda>=12.0'; write_hook_config "$W/c/hook.toml"; mkdir -p "$W/c/wcache"
        chmod 0777 "$W/c/wcache"; echo 'bogus' >"$W/c/wcache/cuda-version"
        sed -i "s|^cuda-version-cache = .*|cuda-version-cache = \"$W/c/wcache\"|" "$W/c/hook.toml"; HOOKCFG=$W/c/hook.toml
        POST=post_B11; }
post_B11() { [ "$(cat "$W/c/wcache/cuda-version")" = bogus ] || echo "an untrusted cache dir was written"; }
prep_B12() { compat_lib; ln -s "$H/etc/passwd" "$R/etc/ld.so.conf.d/00-nvct-cuda-compat.conf"; EXPECT=refuse PAT='00-nvct-cuda-compat'; }
prep_B13() { rm -f "$R/$LIB/libcuda.so"; mkdir "$R/$LIB/libcuda.so"; ln -s "$H/lib/libc.so.6" "$R/$LIB/libcuda.so/x"; }
prep_B14() { rm -f "$R/etc/ld.so.cache"; truncate -s 10G "$R/etc/ld.so.cache"; EXPECT=any TO=15000; }
prep_B15() { rm -f "$R/etc/ld.so.cache"; mkfifo "$R/etc/ld.so.cache"; EXPECT=any TO=15000; }
prep_B16() { # a real cache built from a directory that lives on the host side of the rootfs path
        mkdir -p "$R$H/lib" && cp "$SIM$SIM_LIBDIR/libcuda.so.$VER" "$R$H/lib/libcuda.so.1"
        printf '%s\n../../../../../../etc\n' "$H/lib" >"$R/etc/ld.so.conf.d/zz-hostile.conf"
        ldconfig -r "$R" 2>/dev/null; rm -rf "$R${H%/host}"; EXPECT=any; }
