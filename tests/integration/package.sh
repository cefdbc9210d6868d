#!/usr/bin/env bash
# `make deb`: build the .deb with packaging/mkdeb.sh, install it into a throw-away root with dpkg, and check what
# it holds: the binary and its names, the default config, hooks.d, man pages (rendered), bash completion.
source "$(dirname "$0")/../lib.sh"
set -u
if ! grep -q "subdir('packaging')" "$NVCT_SRC/meson.build"; then
        t_skip "package: .deb" "packaging/ is not part of the meson build yet"
        exit 0
fi
for tool in dpkg-deb dpkg man jq; do
        command -v "$tool" >/dev/null || { t_skip "package: .deb" "$tool is not installed"; exit 0; }
done
W=$(t_tmpdir)
trap 'rm -rf "$W"' EXIT

DEB=$("$NVCT_SRC"/packaging/mkdeb.sh "$NVCT_BUILD" "$W/out" 2>"$W/mkdeb.log")
if [ -z "$DEB" ] || [ ! -f "$DEB" ]; then
        t_fail "package: mkdeb.sh builds a .deb" "$(tail -5 "$W/mkdeb.log")"
        exit 0
fi
t_ok "package: mkdeb.sh builds a .deb"
t_eq "package: name" nvct "$(dpkg-deb -f "$DEB" Package)"
for field in Conflicts Replaces Provides; do
        v=$(dpkg-deb -f "$DEB" "$field")
        ok=1
        for p in nvidia-container-toolkit nvidia-container-toolkit-base libnvidia-container-tools libnvidia-container1; do
                printf '%s\n' "$v" | tr ',' '\n' | sed 's/^ *//' | grep -qx "$p" || ok=0
        done
        [ $ok = 1 ] && t_ok "package: $field names NVIDIA's four packages" || t_fail "package: $field names NVIDIA's four packages" "$v"
done
# nvct is static-pie and nvct-nvml needs only glibc: jansson, libyaml, libcap and libseccomp are linked in
t_eq "package: Depends on glibc only" "libc6" \
        "$(dpkg-deb -f "$DEB" Depends)"
t_grep "package: postinst restarts nothing" '^exit 0$' "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./postinst)"
if dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./postinst ./postrm | grep -qE 'systemctl|service |invoke-rc.d'; then
        t_fail "package: maintainer scripts touch no service"; else t_ok "package: maintainer scripts touch no service"; fi

R=$W/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers"
touch "$R/var/lib/dpkg/status"
t_run "package: dpkg -i into a throw-away root" dpkg --root="$R" --force-depends --force-script-chrootless \
        --log=/dev/null -i "$DEB"
t_grep "package: dpkg records it installed" '^Status: install ok installed' \
        "$(dpkg --root="$R" -s nvct 2>&1)"
t_grep "package: config.toml is a conffile" '/etc/nvidia-container-runtime/config.toml' \
        "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Conffiles}' nvct)"
t_run "package: the binary runs" "$R/usr/bin/nvct" --help
bad=""
for n in nvidia-container-cli nvidia-container-runtime-hook nvidia-container-toolkit nvidia-container-runtime \
        nvidia-container-runtime.cdi nvidia-container-runtime.legacy nvidia-ctk nvidia-cdi-hook; do
        [ "$(readlink "$R/usr/bin/$n")" = nvct ] || bad="$bad $n"
done
t_eq "package: every NVIDIA name links to nvct" "" "$bad"
t_grep "package: nvidia-ctk answers under its name" 'version' "$("$R/usr/bin/nvidia-ctk" --version 2>&1)"
t_eq "package: config.toml is what the binary calls the default" "$("$R/usr/bin/nvct" ctk config default)" \
        "$(cat "$R/etc/nvidia-container-runtime/config.toml")"
t_run "package: hooks.d file is valid" jq -e '.stages == ["prestart"] and .when.always == true' \
        "$R/usr/share/containers/oci/hooks.d/oci-nvidia-hook.json"
for u in $(cd "$NVCT_SRC" && ls deploy/systemd/*.service deploy/systemd/*.path 2>/dev/null); do
        t_run "package: unit $(basename "$u")" cmp "$NVCT_SRC/$u" "$R/usr/lib/systemd/system/$(basename "$u")"
done
for page in man1/nvct.1 man1/nvidia-container-cli.1 man1/nvidia-container-runtime.1 \
        man1/nvidia-container-runtime-hook.1 man1/nvidia-ctk.1 man1/nvidia-cdi-hook.1 man5/config.toml.5; do
        f=$R/usr/share/man/$page.gz
        out=$(MANWIDTH=80 man --warnings -l "$f" 2>"$W/man.err")
        if [ -s "$W/man.err" ] || ! printf '%s\n' "$out" | grep -q '^NAME'; then
                t_fail "package: man -l renders $page" "$(head -3 "$W/man.err")"
        else
                t_ok "package: man -l renders $page"
        fi
done
t_grep "package: bash completion completes nvidia-ctk" '^configure$' "$(bash -c '
        source "$1/usr/share/bash-completion/completions/nvidia-ctk"
        COMP_WORDS=(nvidia-ctk runtime ""); COMP_CWORD=2; _nvct; printf "%s\n" "${COMPREPLY[@]}"' _ "$R")"
# The installed package drives a real dockerd: docker run --gpus and --runtime=nvidia through the installed names.
if [ -x /usr/sbin/dockerd ]; then
        T_PREFIX="package (installed names): " NVCT_DOCKER_BIN_DIR="$R/usr/bin" bash "$NVCT_SRC/tests/integration/docker.sh"
fi
t_run "package: purge" dpkg --root="$R" --force-script-chrootless --log=/dev/null --purge nvct
t_fails "package: purge removes the binary" test -e "$R/usr/bin/nvct"
t_fails "package: purge removes the config directory" test -e "$R/etc/nvidia-container-runtime"

exit 0
