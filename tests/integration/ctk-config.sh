#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# nvidia-ctk config: the default text, --set editing that keeps comments and order, in-place writes that keep
# the file mode, and the refusals.
source "$(dirname "$0")/../lib.sh"

D=$(t_tmpdir)
trap 'rm -rf "$D"' EXIT
CTK=("$NVCT" ctk config)

out=$("${CTK[@]}" default 2>&1)
t_grep "config default prints NVIDIA's layout" '^#accept-nvidia-visible-devices-as-volume-mounts = false$' "$out"
t_grep "config default sets the runtimes" '^runtimes = \["runc", "crun"\]$' "$out"
t_grep "config default ends with [nvidia-ctk]" 'path = "nvidia-ctk"$' "$(tail -2 <<<"$out")"
t_run "config default --output writes a file" "${CTK[@]}" default --output "$D/default.toml"
t_eq "config default --output matches stdout" "$out" "$(cat "$D/default.toml")"
t_run "generate-default is an alias" "${CTK[@]}" generate-default -o "$D/gen.toml"
t_eq "generate-default gives the same text" "$out" "$(cat "$D/gen.toml")"

cat >"$D/config.toml" <<'TOML'
# site settings, keep me
disable-require = false

[nvidia-container-cli]
#debug = "/var/log/nvidia-container-toolkit.log"
load-kmods = true   # trailing comment

[nvidia-container-runtime]
mode = "auto"
runtimes = ["runc"]
TOML
chmod 0640 "$D/config.toml"
t_run "config --set --in-place succeeds" "${CTK[@]}" --config-file="$D/config.toml" --in-place \
        --set nvidia-container-runtime.mode=cdi --set nvidia-container-cli.debug=/tmp/nvct-debug.log \
        --set disable-require --set nvidia-container-runtime.runtimes=crun:runc \
        --set nvct.nvml-timeout-ms=2500
want='# site settings, keep me
disable-require = true

[nvidia-container-cli]
debug = "/tmp/nvct-debug.log"
load-kmods = true   # trailing comment

[nvidia-container-runtime]
mode = "cdi"
runtimes = ["crun", "runc"]

[nvct]
nvml-timeout-ms = 2500'
t_eq "in-place edit keeps comments and order" "$want" "$(cat "$D/config.toml")"
t_eq "in-place edit keeps the file mode" "640" "$(stat -c %a "$D/config.toml")"
t_eq "no temporary file is left behind" "config.toml default.toml gen.toml" "$(cd "$D" && echo *)"

out=$("${CTK[@]}" -c "$D/config.toml" --set nvidia-container-cli.debug= 2>&1)
t_grep "an empty value removes the key (stdout)" '^load-kmods = true   # trailing comment$' "$out"
if grep -q '^debug' <<<"$out"; then t_fail "removed key is gone" "$out"; else t_ok "removed key is gone"; fi
t_grep "stdout output leaves the file alone" '^debug = "/tmp/nvct-debug.log"$' "$(cat "$D/config.toml")"

t_fails "an unknown key is refused" "${CTK[@]}" -c "$D/config.toml" --set nope=1
t_fails "a string key needs a value" "${CTK[@]}" -c "$D/config.toml" --set swarm-resource
t_fails "a bad boolean is refused" "${CTK[@]}" -c "$D/config.toml" --set disable-require=maybe
err=$("${CTK[@]}" -c "$D/config.toml" --set nope=1 2>&1 >/dev/null)
t_grep "the refusal names the option" "unknown config option 'nope'" "$err"
t_grep "an unknown flag is named" 'flag provided but not defined: -bogus' "$("${CTK[@]}" --bogus 2>&1)"
t_grep "a bad --in-place boolean is named" 'invalid boolean value "sure" for -in-place' \
        "$("${CTK[@]}" -c "$D/config.toml" --in-place=sure 2>&1)"
t_grep "two subcommands are refused" "unexpected argument 'extra'" "$("${CTK[@]}" default extra 2>&1)"

printf 'a = [1,\n' >"$D/broken.toml"
err=$("${CTK[@]}" -c "$D/broken.toml" -i --set disable-require 2>&1)
t_grep "a broken file is reported with its position" 'broken.toml:2:1: expected a value' "$err"
t_eq "a broken file is not rewritten" "$(printf 'a = [1,')" "$(cat "$D/broken.toml")"

# No file yet: editing starts from the default config, and setting a commented-out key uncomments it.
t_run "config on a missing file starts from the defaults" "${CTK[@]}" -c "$D/new/config.toml" -o "$D/new.toml" \
        --set nvidia-container-runtime.debug=/var/log/nvidia-container-runtime.log
t_grep "setting a commented default uncomments it" '^debug = "/var/log/nvidia-container-runtime.log"$' \
        "$(cat "$D/new.toml")"
t_eq "the rest of the default config is unchanged" \
        "$(sed 's|^#debug = "/var/log/nvidia-container-runtime.log"|debug = "/var/log/nvidia-container-runtime.log"|' "$D/default.toml")" \
        "$(cat "$D/new.toml")"

out=$(NVIDIA_CTK_CONFIG_FILE_PATH="$D/config.toml" "${CTK[@]}" 2>&1)
t_grep "NVIDIA_CTK_CONFIG_FILE_PATH selects the file" '^mode = "cdi"$' "$out"
exit 0
