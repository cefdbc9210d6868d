#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The CDI hooks (nvidia-cdi-hook, nvidia-ctk hook) as real createContainer hooks under runc and crun: each hook's
# effect seen from inside the container, then hostile image layouts, each checked for "the host is unchanged"
# (a hashed canary tree and host files) and "contained or refused".
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
ID=nvct-cdih-$$
cleanup() {
        for id in $(runc list -q 2>/dev/null | grep "^$ID-"); do runc delete -f "$id" >/dev/null 2>&1; done
        rm -rf "$W"
}
trap cleanup EXIT

SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
T=$W/rootfs-template
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$T" >/dev/null || { t_fail "mkrootfs"; exit 0; }
# what a CDI spec would have mounted: a driver library in its own folder, the EGL vendor config, a compat lib
mkdir -p "$T/usr/lib/nvtest" "$T/usr/share/glvnd/egl_vendor.d" "$T/usr/local/cuda/compat"
cp "$SIM_ROOT$SIM_LIBDIR/libnvidia-ml.so.$SIM_VERSION" "$T/usr/lib/nvtest/"
echo '{"file_format_version":"1.0.0","ICD":{"library_path":"libEGL_nvidia.so.0"}}' \
        >"$T/usr/share/glvnd/egl_vendor.d/10_nvidia.json"
cp "$SIM_ROOT$SIM_LIBDIR/libnvidia-ml.so.$SIM_VERSION" "$T/usr/local/cuda/compat/libcuda.so.999.10.01"

# The host side that must never change: a canary tree that hostile links aim at, and host files they name.
CANARY=$W/canary
mkdir -p "$CANARY/etc/ld.so.conf.d" "$CANARY/lib"
echo secret >"$CANARY/etc/passwd"
echo keep >"$CANARY/lib/keep"
chmod 600 "$CANARY/etc/passwd"
host_hash() {
        (cd "$CANARY" && find . -printf '%p %y %m %s %l\n' | sort && find . -type f -exec sha256sum {} + | sort)
        sha256sum /etc/passwd /etc/ld.so.cache /etc/shadow 2>/dev/null
        ls -la /etc/ld.so.conf.d
}
HOST_BEFORE=$(host_hash)

HOOK_ENV='["NVIDIA_CTK_DEBUG=false"]'
n=0
# run_case RUNTIME HOOKS_JSON SCRIPT [PREP_FN]: HOOKS_JSON is a jq array of createContainer hooks; PREP_FN runs
# with the fresh rootfs as $1 before the container starts; EXTRA_JQ (if set) edits config.json further.
# Sets OUT, RC and R (the rootfs).
run_case() {
        local rt=$1 hooks=$2 script=$3 prep=${4:-}
        n=$((n + 1))
        local b=$W/b$n id=$ID-$n
        mkdir -p "$b"
        cp -a "$T" "$b/rootfs"
        R=$b/rootfs
        [ -n "$prep" ] && "$prep" "$R"
        "$NVCT_SRC"/tests/sim/mkbundle.sh "$b" "$R" /bin/sh -c "$script" >/dev/null
        jq --argjson hooks "$hooks" --arg params "$NVCT_SRC/tests/integration/fixtures/cdi-hooks-params.sh" '
           .hooks.createContainer = $hooks |
           .hooks.prestart = [{path: $params, args: ["cdi-hooks-params.sh"], env: ["PATH=/usr/bin:/bin:/usr/sbin:/sbin"]}] |
           .linux.devices = [{path: "/dev/nvidia0", type: "c", major: 195, minor: 0, fileMode: 438},
                             {path: "/dev/nvidia1", type: "c", major: 195, minor: 1, fileMode: 438}] |
           '"${EXTRA_JQ:-.}" "$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
        if [ "$rt" = crun ]; then
                OUT=$(cd "$b" && timeout 60 unshare -m sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; crun run '"$id" 2>&1)
        else
                OUT=$(cd "$b" && timeout 60 runc run "$id" 2>&1)
        fi
        RC=$?
        runc delete -f "$id" >/dev/null 2>&1
}

# hook NAME ARGS...: one createContainer hook entry as nvidia-cdi-hook (args[0] picks the front end)
hook() {
        local args; args=$(jq -nc '$ARGS.positional' --args -- nvidia-cdi-hook "$@")
        jq -nc --arg p "$NVCT" --argjson a "$args" --argjson env "$HOOK_ENV" '{path: $p, args: $a, env: $env}'
}
hooks() { jq -sc . ; }

ALL=$( {
        hook create-symlinks --link libcuda.so.1::/usr/lib/x86_64-linux-gnu/libcuda.so \
                --link ../card0::/dev/dri/by-path/pci-0000:18:00.0-card --future-flag=1
        hook enable-cuda-compat --host-driver-version "$SIM_VERSION"
        hook update-ldcache --folder /usr/lib/nvtest
        hook disable-device-node-modification --host-proc-root "$SIM_ROOT/proc"
        hook update-application-profile
        hook chmod --mode 711 --path /dev/dri --enable-deprecated
        hook a-hook-from-the-future --x y
} | hooks)
CHECK='readlink /usr/lib/x86_64-linux-gnu/libcuda.so; readlink /dev/dri/by-path/pci-0000:18:00.0-card;
  cat /etc/ld.so.conf.d/00-compat-*.conf; cat /etc/ld.so.conf.d/00-nvcr-*.conf; ldconfig -p | grep libnvidia-ml;
  cat /proc/driver/nvidia/params; echo x 2>/dev/null >/proc/driver/nvidia/params && echo params-writable;
  cat /etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf; echo; stat -c "dri=%a" /dev/dri; ls -a /'

for rt in runc crun; do
        run_case "$rt" "$ALL" "$CHECK"
        t_eq "$rt: container with every hook started" 0 "$RC"
        t_grep "$rt: create-symlinks made the library link" '^libcuda.so.1$' "$OUT"
        t_grep "$rt: create-symlinks made the by-path link with its parents" '^\.\./card0$' "$OUT"
        t_grep "$rt: enable-cuda-compat named the compat dir (999 > $SIM_VERSION)" '^/usr/local/cuda/compat$' "$OUT"
        t_grep "$rt: update-ldcache wrote the 00-nvcr drop-in" '^/usr/lib/nvtest$' "$OUT"
        t_grep "$rt: update-ldcache rebuilt the cache with the folder" 'libnvidia-ml.so.1 .*=> /usr/lib/nvtest/libnvidia-ml.so.1' "$OUT"
        t_grep "$rt: disable-device-node-modification: the container reads 0" '^ModifyDeviceFiles: 0$' "$OUT"
        if printf '%s\n' "$OUT" | grep -q 'params-writable'; then t_fail "$rt: the params copy is read-only"; else t_ok "$rt: the params copy is read-only"; fi
        t_grep "$rt: update-application-profile masks GPUs 0 and 1" '"EGLVisibleDGPUDevices",0x3\]' "$OUT"
        t_grep "$rt: chmod (opted in) changed /dev/dri" '^dri=711$' "$OUT"
        if printf '%s\n' "$OUT" | grep -q '\.nvct-params'; then t_fail "$rt: no scratch dir left in /"; else t_ok "$rt: no scratch dir left in /"; fi
done

# The nvidia-ctk form, the chmod default, and a bad link spec failing the container.
CTK=$(jq -nc --arg p "$NVCT" --argjson env "$HOOK_ENV" '[{path: $p, env: $env,
        args: ["nvidia-ctk", "hook", "create-symlinks", "--link", "libnvidia-ml.so.1::/usr/lib/ctk-link"]},
        {path: $p, env: $env, args: ["nvidia-ctk", "hook", "chmod", "--mode", "777", "--path", "/etc"]}]')
run_case runc "$CTK" 'readlink /usr/lib/ctk-link; stat -c "etc=%a" /etc'
t_grep "nvidia-ctk hook create-symlinks" '^libnvidia-ml.so.1$' "$OUT"
t_grep "chmod without --enable-deprecated changes nothing" '^etc=755$' "$OUT"
run_case runc "$(hook create-symlinks --link no-separator | hooks)" 'echo should-not-run'
t_grep "a malformed --link fails the container with the spec in the message" 'invalid symlink specification .{0,2}no-separator' "$OUT"

# ---- hostile images ----------------------------------------------------------------------------------------

prep_link_parents() {
        # re-rooted, these name <rootfs>$CANARY/lib: make it exist so the links have somewhere to land
        mkdir -p "$1$CANARY/lib"
        ln -s "$CANARY/lib" "$1/usr/lib/evil-abs"
        ln -s "../../../../../../../../../../$CANARY/lib" "$1/usr/lib/evil-dotdot"
        ln -s /proc/self/root/tmp "$1/usr/lib/evil-magic"
}
run_case runc "$(hook create-symlinks --link a::/usr/lib/evil-abs/l1 --link b::/usr/lib/evil-dotdot/l2 | hooks)" 'true' prep_link_parents
t_eq "symlinked link parents: container started" 0 "$RC"
t_eq "symlinked link parents: links landed inside the rootfs" "a b" "$(readlink "$R$CANARY/lib/l1") $(readlink "$R$CANARY/lib/l2")"
run_case runc "$(hook create-symlinks --link a::/usr/lib/evil-magic/l3 | hooks)" 'true' prep_link_parents
t_grep "a magic-link parent is refused" 'evil-magic' "$OUT"
t_eq "a magic-link parent: nothing in the host /tmp" "" "$(ls /tmp/l3 2>/dev/null)"
prep_dangling_parent() { ln -s "$CANARY/lib" "$1/usr/lib/evil-abs"; }
run_case runc "$(hook create-symlinks --link a::/usr/lib/evil-abs/l4 | hooks)" 'true' prep_dangling_parent
t_grep "a parent that leads out of the rootfs to nothing is refused" 'evil-abs/l4' "$OUT"
t_eq "a parent that leads out of the rootfs to nothing: the host dir is untouched" "keep" "$(ls "$CANARY/lib")"

prep_confd_out() { rm -rf "$1/etc/ld.so.conf.d"; mkdir -p "$1$CANARY/etc/ld.so.conf.d"; ln -s "../../../../../../../../../..$CANARY/etc/ld.so.conf.d" "$1/etc/ld.so.conf.d"; }
run_case runc "$(hook update-ldcache --folder /usr/lib/nvtest | hooks)" 'ldconfig -p | grep -c nvtest' prep_confd_out
t_eq "/etc/ld.so.conf.d -> host: container started" 0 "$RC"
t_grep "/etc/ld.so.conf.d -> host: drop-in written inside the rootfs" '^/usr/lib/nvtest$' "$(cat "$R$CANARY"/etc/ld.so.conf.d/00-nvcr-*.conf 2>&1)"

prep_cache_passwd() { rm -f "$1/etc/ld.so.cache"; ln -s /proc/1/root/etc/passwd "$1/etc/ld.so.cache"; }
for rt in runc crun; do
        run_case "$rt" "$(hook update-ldcache --folder /usr/lib/nvtest | hooks)" 'ldconfig -p | grep -c nvtest' prep_cache_passwd
        t_eq "$rt: ld.so.cache -> /proc/1/root/etc/passwd: container started" 0 "$RC"
        t_eq "$rt: ld.so.cache -> /proc/1/root/etc/passwd: a real cache was written inside" "file" \
                "$( [ -f "$R/etc/ld.so.cache" ] && [ ! -L "$R/etc/ld.so.cache" ] && echo file)"
done

prep_fifo() { rm -f "$1/etc/ld.so.conf"; mkfifo "$1/etc/ld.so.conf"; }
START=$(date +%s)
run_case runc "$(hook update-ldcache --folder /usr/lib/nvtest | hooks)" 'echo should-not-run' prep_fifo
t_grep "FIFO /etc/ld.so.conf is refused" 'ld.so.conf: not a regular file' "$OUT"
t_eq "FIFO /etc/ld.so.conf: refused without hanging" 1 "$(( $(date +%s) - START < 20 ? 1 : 0 ))"

prep_compat_link() { rm -rf "$1/usr/local/cuda/compat"; mkdir -p "$1/usr/local/cuda/compat"; ln -s / "$1/usr/local/cuda/compat/libcuda.so.999.1"; }
run_case runc "$(hook enable-cuda-compat --host-driver-version "$SIM_VERSION" | hooks)" 'ls /etc/ld.so.conf.d/' prep_compat_link
t_eq "compat libcuda that is a symlink: container started" 0 "$RC"
if printf '%s\n' "$OUT" | grep -q 00-compat; then t_fail "compat libcuda that is a symlink is not used"; else t_ok "compat libcuda that is a symlink is not used"; fi

prep_profile_out() { mkdir -p "$1$CANARY/etc"; ln -s "$CANARY/etc" "$1/etc/nvidia"; }
run_case runc "$(hook update-application-profile | hooks)" 'true' prep_profile_out
t_eq "/etc/nvidia -> host: profile written inside the rootfs" 1 "$(grep -c EGLVisibleDGPUDevices "$R$CANARY"/etc/nvidia-application-profiles-rc.d/10-container.conf 2>/dev/null)"

# The image's environment reaches a hook that has no env of its own (runc passes the process env): LD_PRELOAD
# pointing into the rootfs via /proc/self/cwd, LD_LIBRARY_PATH, and the toolkit's own config and debug variables.
MARK=$W/preload-marker
cat >"$W/evil.c" <<EOF
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void evil(void) {
        int fd = open("$MARK", O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) { (void) write(fd, "loaded\n", 7); close(fd); }
}
EOF
if gcc -shared -fPIC -o "$W/evil.so" "$W/evil.c" 2>/dev/null; then
        prep_preload() { cp "$W/evil.so" "$1/evil.so"; mkdir -p "$1/lib/evil"; cp "$W/evil.so" "$1/lib/evil/libc.so.6";
                echo '[nvidia-container-cli]' >"$1/evil.toml"; }
        # sanity: the same env does load evil.so into a dynamic program started the way runc starts the hook
        PROBE=$( (cd "$T" && cp "$W/evil.so" ./evil.so && env -i LD_PRELOAD=/proc/self/cwd/evil.so /bin/true
                rm -f ./evil.so) 2>&1; cat "$MARK" 2>/dev/null; rm -f "$MARK")
        t_grep "the planted library is loaded by a dynamic program (the attack is real)" '^loaded$' "$PROBE"
        # no env in the hook entry: runc hands the hook the container process's env (crun its own)
        NOENV=$(hook create-symlinks --link a::/usr/lib/preload-link | jq -c 'del(.env)' | hooks)
        DYN=$(readelf -l "$NVCT" 2>/dev/null | grep -c 'Requesting program interpreter')
        [ "$DYN" != 0 ] && echo "# $NVCT is dynamically linked: its loader honours LD_* from the image; link it with -static-pie"
        for rt in runc crun; do
                EXTRA_JQ='.process.env += ["LD_PRELOAD=/proc/self/cwd/evil.so", "LD_AUDIT=/proc/self/cwd/evil.so",
                        "NVIDIA_CTK_CONFIG_FILE_PATH=/proc/self/cwd/evil.toml", "NVIDIA_CTK_DEBUG=/proc/self/cwd/log",
                        "TMPDIR=/proc/self/cwd", "HOME=/proc/self/cwd", "PATH=/proc/self/cwd/bin"]'
                run_case "$rt" "$NOENV" 'readlink /usr/lib/preload-link' prep_preload
                t_eq "$rt: image env LD_PRELOAD: container started" 0 "$RC"
                t_grep "$rt: image env LD_PRELOAD: the hook did its work" '^a$' "$OUT"
                t_eq "$rt: image env LD_PRELOAD=/proc/self/cwd/evil.so never loaded into the hook (marker absent)" \
                        "absent" "$([ -e "$MARK" ] && echo "present: $(cat "$MARK")" || echo absent)"
                rm -f "$MARK"
                t_eq "$rt: image env: no log or temp file written into the rootfs" "" "$(ls -d "$R/log" "$R"/.#nvct* 2>/dev/null)"
                EXTRA_JQ='.process.env += ["LD_LIBRARY_PATH=/proc/self/cwd/lib/evil"]'
                run_case "$rt" "$NOENV" 'readlink /usr/lib/preload-link' prep_preload
                t_eq "$rt: image env LD_LIBRARY_PATH with a planted libc.so.6: the hook still works" "0 a" "$RC $OUT"
                t_eq "$rt: image env LD_LIBRARY_PATH: the planted libc never ran (marker absent)" "absent" \
                        "$([ -e "$MARK" ] && echo "present: $(cat "$MARK")" || echo absent)"
                rm -f "$MARK"
        done
        unset EXTRA_JQ
else
        t_skip "image env LD_PRELOAD" "no gcc"
fi

t_eq "the host is unchanged (canary tree, /etc/passwd, /etc/ld.so.cache)" "$HOST_BEFORE" "$(host_hash)"
t_eq "no mount of this test is left on the host" 0 "$(grep -c "$W" /proc/self/mountinfo)"
exit 0
