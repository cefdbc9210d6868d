#!/usr/bin/env bash
# `nvidia-ctk runtime configure` on real files: docker, containerd (checked by `containerd config dump`) and
# CRI-O; dry run, idempotence, revert, mode and owner, malformed and read-only configs.
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
RO=""
trap '[ -n "$RO" ] && umount "$RO" 2>/dev/null; rm -rf "$W"' EXIT
G=$NVCT_SRC/tests/golden/engines
ctk() { "$NVCT" ctk runtime configure "$@"; }

# --- docker ---
D=$W/docker/daemon.json
mkdir -p "$W/docker"
cp "$G/docker/existing.in" "$D"
chmod 640 "$D"
chown 1234:2345 "$D"
before=$(cat "$D")
OUT=$(ctk --runtime=docker --config="$D" --nvidia-runtime-path=/usr/bin/nvidia-container-runtime --set-as-default \
        --cdi.enabled --dry-run 2>/dev/null)
t_grep "docker: dry run prints a unified diff" '^\+        "nvidia": \{$' "$OUT"
t_eq "docker: dry run writes nothing" "$before" "$(cat "$D")"
t_eq "docker: dry run leaves no journal" "" "$(ls -A "$W/docker" | grep nvct)"
t_run "docker: configure" ctk --runtime=docker --config="$D" --nvidia-runtime-path=/usr/bin/nvidia-container-runtime \
        --set-as-default --cdi.enabled
t_eq "docker: result equals the golden file" "$(cat "$G/docker/existing.out")" "$(cat "$D")"
t_run "docker: result parses as JSON" jq -e '.runtimes.nvidia.path == "/usr/bin/nvidia-container-runtime"' "$D"
t_eq "docker: mode and owner kept" "640 1234:2345" "$(stat -c '%a %u:%g' "$D")"
sum=$(md5sum <"$D"); ino=$(stat -c %i "$D")
ctk --runtime=docker --config="$D" --nvidia-runtime-path=/usr/bin/nvidia-container-runtime --set-as-default \
        --cdi.enabled 2>/dev/null
t_eq "docker: second run is byte-identical" "$sum" "$(md5sum <"$D")"
t_eq "docker: second run does not rewrite the file" "$ino" "$(stat -c %i "$D")"
# a key the user adds afterwards survives the revert
jq '. + {"iptables": false}' "$D" >"$D.new" && cat "$D.new" >"$D" && rm "$D.new"
t_run "docker: revert" ctk --runtime=docker --config="$D" --revert
t_eq "docker: revert restores the original keys and keeps the user's" \
        "$(jq -S '. + {"iptables": false}' "$G/docker/existing.in")" "$(jq -S . "$D")"
t_eq "docker: revert removes the journal" "" "$(ls -A "$W/docker" | grep nvct)"
sum=$(md5sum <"$D")
t_run "docker: revert with nothing to undo succeeds" ctk --runtime=docker --config="$D" --revert
t_eq "docker: revert with nothing to undo changes nothing" "$sum" "$(md5sum <"$D")"
# untouched since configure, revert gives back the very bytes (daemon.json is rewritten with a 4-space indent)
cp "$G/docker/existing.in" "$W/docker/exact.json"
ctk --runtime=docker --config="$W/docker/exact.json" --set-as-default 2>/dev/null
ctk --runtime=docker --config="$W/docker/exact.json" --revert 2>/dev/null
t_run "docker: revert of an untouched file is byte-exact" cmp "$W/docker/exact.json" "$G/docker/existing.in"
# a file configure created is removed again by revert
N=$W/new/etc/docker/daemon.json
ctk --runtime=docker --config="$N" 2>/dev/null
t_run "docker: a missing daemon.json is created" jq -e '.runtimes.nvidia.args == []' "$N"
ctk --runtime=docker --config="$N" --revert 2>/dev/null
t_fails "docker: revert removes the daemon.json it created" test -e "$N"

printf '{\n    "debug": true,\n    "log-level" "info"\n}\n' >"$W/bad.json"
cp "$W/bad.json" "$W/bad.orig"
ERR=$(ctk --runtime=docker --config="$W/bad.json" 2>&1); rc=$?
t_eq "docker: malformed daemon.json fails" 1 "$rc"
t_grep "docker: the error names line and column" "bad.json:3:[0-9]+: " "$ERR"
t_run "docker: malformed daemon.json is not overwritten" cmp "$W/bad.json" "$W/bad.orig"

# read-only configuration
mkdir -p "$W/ro"
cp "$G/docker/existing.in" "$W/ro/daemon.json"
if mount --bind "$W/ro" "$W/ro" 2>/dev/null && RO=$W/ro && mount -o remount,bind,ro "$W/ro" 2>/dev/null; then
        ERR=$(ctk --runtime=docker --config="$W/ro/daemon.json" 2>&1); rc=$?
        t_eq "read-only: configure fails" 1 "$rc"
        t_grep "read-only: the error says why" "Read-only file system" "$ERR"
        t_run "read-only: the file is unchanged" cmp "$W/ro/daemon.json" "$G/docker/existing.in"
        umount "$W/ro"; RO=""
else
        t_skip "read-only: configure fails" "no bind mounts here"
fi

# --- containerd ---
C=$W/containerd
mkdir -p "$C"
containerd config default >"$C/config.toml"
cp "$C/config.toml" "$C/config.orig"
t_run "containerd: configure with a drop-in" ctk --runtime=containerd --config="$C/config.toml" \
        --drop-in-config="$C/conf.d/99-nvidia.toml" --nvidia-runtime-path=/opt/nvct/nvidia-container-runtime \
        --set-as-default
t_grep "containerd: the main config imports the drop-in" "^imports = \[\"$C/conf.d/99-nvidia.toml\"\]" \
        "$(cat "$C/config.toml")"
DUMP=$(containerd --config "$C/config.toml" config dump 2>&1)
t_grep "containerd: config dump shows the nvidia runtime" \
        'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia\]' "$DUMP"
t_grep "containerd: config dump shows BinaryName" 'BinaryName = "/opt/nvct/nvidia-container-runtime"' "$DUMP"
t_grep "containerd: config dump shows the default runtime" 'default_runtime_name = "nvidia"' "$DUMP"
t_grep "containerd: the runc options were copied" 'SystemdCgroup = false' \
        "$(sed -n '/runtimes.nvidia.options\]/,/^\[/p' "$C/conf.d/99-nvidia.toml")"
s1=$(md5sum "$C/config.toml" "$C/conf.d/99-nvidia.toml" | cut -d' ' -f1)
ctk --runtime=containerd --config="$C/config.toml" --drop-in-config="$C/conf.d/99-nvidia.toml" \
        --nvidia-runtime-path=/opt/nvct/nvidia-container-runtime --set-as-default 2>/dev/null
t_eq "containerd: second run is byte-identical" "$s1" \
        "$(md5sum "$C/config.toml" "$C/conf.d/99-nvidia.toml" | cut -d' ' -f1)"
t_run "containerd: revert" ctk --runtime=containerd --config="$C/config.toml" \
        --drop-in-config="$C/conf.d/99-nvidia.toml" --revert
t_run "containerd: revert restores the main config byte for byte" cmp "$C/config.toml" "$C/config.orig"
t_fails "containerd: revert removes the drop-in" test -e "$C/conf.d/99-nvidia.toml"

# in place, with a user config holding comments and another import
cp "$G/containerd/comments.in" "$C/site.toml"
sed -i "s|/etc/containerd/site.d/\*.conf|$C/site.d/*.toml|" "$C/site.toml"
cp "$C/site.toml" "$C/site.orig"
t_run "containerd: configure in place" ctk --runtime=containerd --config="$C/site.toml" --drop-in-config= \
        --cdi.enabled
DUMP=$(containerd --config "$C/site.toml" config dump 2>&1)
t_grep "containerd in place: config dump shows the runtime" 'runtimes.nvidia.options\]' "$DUMP"
t_grep "containerd in place: user settings kept" 'sandbox_image = "registry.k8s.io/pause:3.9"' "$DUMP"
t_grep "containerd in place: comments kept" '^root = "/var/lib/containerd" # keep the default$' "$(cat "$C/site.toml")"
t_run "containerd in place: revert" ctk --runtime=containerd --config="$C/site.toml" --drop-in-config= --revert
t_run "containerd in place: revert is byte-exact" cmp "$C/site.toml" "$C/site.orig"

printf 'version = 2\n[plugins\n' >"$C/bad.toml"
ERR=$(ctk --runtime=containerd --config="$C/bad.toml" --drop-in-config="$C/x.toml" 2>&1); rc=$?
t_eq "containerd: malformed config fails" 1 "$rc"
t_grep "containerd: the error names line and column" "bad.toml:2:[0-9]+: " "$ERR"
t_fails "containerd: no drop-in for a malformed config" test -e "$C/x.toml"

# a drop-in nvct did not write is never removed
mkdir -p "$C/other"
printf 'version = 2\n' >"$C/other/config.toml"
printf '# mine\n' >"$C/other/99-nvidia.toml"
ctk --runtime=containerd --config="$C/other/config.toml" --drop-in-config="$C/other/99-nvidia.toml" --revert 2>/dev/null
t_eq "containerd: a foreign drop-in survives revert" "# mine" "$(cat "$C/other/99-nvidia.toml")"

# --- crio ---
R=$W/crio
mkdir -p "$R"
cp "$G/crio/existing.in" "$R/crio.conf"
t_run "crio: configure" ctk --runtime=crio --config="$R/crio.conf" --drop-in-config="$R/crio.conf.d/99-nvidia.toml" \
        --set-as-default
t_eq "crio: drop-in equals the golden file" \
        "$(sed "s|/etc/crio/crio.conf;|$R/crio.conf;|" "$G/crio/existing.dropin.out")" \
        "$(cat "$R/crio.conf.d/99-nvidia.toml")"
t_run "crio: main config untouched" cmp "$R/crio.conf" "$G/crio/existing.in"
ctk --runtime=crio --config="$R/crio.conf" --drop-in-config="$R/crio.conf.d/99-nvidia.toml" --revert 2>/dev/null
t_fails "crio: revert removes the drop-in" test -e "$R/crio.conf.d/99-nvidia.toml"
H=$R/hooks.d/oci-nvidia-hook.json
ctk --runtime=crio --config-mode=oci-hook --oci-hook-path="$H" --nvidia-runtime-hook-path=/usr/bin/nvct-hook 2>/dev/null
t_run "crio: oci-hook mode writes a hooks.d file" jq -e '.hook.path == "/usr/bin/nvct-hook" and .stages == ["prestart"]' "$H"
ctk --runtime=crio --config-mode=oci-hook --oci-hook-path="$H" --nvidia-runtime-hook-path=/usr/bin/nvct-hook --revert 2>/dev/null
t_fails "crio: revert removes the hooks.d file" test -e "$H"

t_fails "unknown runtime is refused" ctk --runtime=podman
t_fails "docker has no drop-in" ctk --runtime=docker --config="$D" --drop-in-config=/tmp/x
t_grep "a bad boolean is refused by name" 'invalid boolean value "nope" for -dry-run' \
        "$(ctk --runtime=docker --config="$D" --dry-run=nope 2>&1)"
t_grep "a stray argument is refused" 'unexpected argument "stray"' "$(ctk --runtime=docker --config="$D" stray 2>&1)"
t_grep "an unknown flag is named" 'flag provided but not defined: -bogus' "$(ctk --bogus 2>&1)"
t_grep "--set-as-default=true sets it" '"default-runtime": "nvidia"' \
        "$(ctk --runtime=docker --config="$D" --dry-run --set-as-default=true 2>&1)"
t_grep "--set-as-default=false is false" '^$' "$(ctk --runtime=docker --config="$D" --dry-run --set-as-default=false 2>&1 |
        grep '"default-runtime"')"
exit 0
