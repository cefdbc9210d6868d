#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# CDI end to end on the simulated driver: `nvidia-ctk cdi generate` golden specs (byte for byte, validated by
# nvct and by the JSON schema), list/validate/transform/refresh and their errors, and the runtime shim in cdi and
# jit-cdi modes under runc, checked from inside the container.
# NVCT_UPDATE_GOLDEN=1 rewrites tests/golden/cdi/*.yaml from the current build (read the diff before committing).
source "$(dirname "$0")/../lib.sh"
set -u
W=$(t_tmpdir)
PFX=nvct-cdi-$$
RROOT=$W/runc-root
trap 'for id in $(runc --root "$RROOT" list -q 2>/dev/null); do runc --root "$RROOT" delete -f "$id" >/dev/null 2>&1; done; rm -rf "$W"' EXIT
GOLDEN=$NVCT_SRC/tests/golden/cdi
SCHEMA=$(cd "$NVCT_SRC" && git rev-parse --show-toplevel 2>/dev/null)/../shared/cdi-schema
[ -f "$SCHEMA/schema.json" ] || SCHEMA=/work/shared/cdi-schema
mkdir -p "$W/bin"
ln -s "$NVCT" "$W/bin/nvidia-container-runtime"
ln -s "$NVCT" "$W/bin/nvidia-cdi-hook"
ln -s "$NVCT" "$W/bin/nvidia-ctk"
export PATH="$W/bin:$PATH"
CTK=$W/bin/nvidia-ctk

schema_ok() { # FILE (yaml or json)
        [ -x /usr/bin/jsonschema ] || return 2
        /usr/bin/python3 -c 'import sys,yaml,json; json.dump(yaml.safe_load(sys.stdin),sys.stdout)' <"$1" >"$W/schema-in.json" &&
                /usr/bin/jsonschema --base-uri "file://$SCHEMA/" -i "$W/schema-in.json" "$SCHEMA/schema.json"
}

# ------------------------------------------------------------------------------------------------ golden specs
# golden NAME "MKSIM OPTIONS" "GENERATE OPTIONS" [split-dev]
golden() {
        local name=$1 simopts=$2 genopts=$3 split=${4:-} sim=$W/g-$1 roots
        # shellcheck disable=SC2086
        "$NVCT_SRC"/tests/sim/mksim.sh "$sim" $simopts >/dev/null || { t_fail "golden $name: mksim"; return; }
        roots="--driver-root=$sim --proc-root=$sim/proc --sys-root=$sim/sys"
        if [ -n "$split" ]; then
                mkdir -p "$W/g-$name-dev" && cp -a "$sim/dev" "$W/g-$name-dev/" && rm -rf "$sim/dev"
                roots="$roots --dev-root=$W/g-$name-dev"
        fi
        # shellcheck disable=SC2086
        if ! "$CTK" cdi generate $roots --nvidia-cdi-hook-path=/usr/bin/nvidia-cdi-hook $genopts \
                --output="$W/$name.yaml" 2>"$W/$name.err"; then
                t_fail "golden $name: generate" "$(cat "$W/$name.err")"; return
        fi
        t_run "golden $name: nvidia-ctk cdi validate" "$CTK" cdi validate "$W/$name.yaml"
        if schema_ok "$W/$name.yaml" >"$W/$name.schema" 2>&1; then t_ok "golden $name: JSON schema"
        elif [ $? -eq 2 ]; then t_skip "golden $name: JSON schema" "no /usr/bin/jsonschema"
        else t_fail "golden $name: JSON schema" "$(head -5 "$W/$name.schema")"; fi
        sed -e "s|$W/g-$name-dev|/DEVROOT|g" -e "s|$sim|/SIM|g" "$W/$name.yaml" >"$W/$name.golden"
        if [ -n "${NVCT_UPDATE_GOLDEN:-}" ]; then cp "$W/$name.golden" "$GOLDEN/$name.yaml"; fi
        if cmp -s "$W/$name.golden" "$GOLDEN/$name.yaml"; then t_ok "golden $name: byte-identical to tests/golden/cdi/$name.yaml"
        else t_fail "golden $name: byte-identical to tests/golden/cdi/$name.yaml" "$(diff "$GOLDEN/$name.yaml" "$W/$name.golden" | head -20)"; fi
}
golden 1gpu "--gpus 1" ""
golden 8gpus "--gpus 8 --no-graphics" ""
golden mig "--gpus 2 --mig 0:2 --no-graphics" "--device-name-strategy=index --device-name-strategy=uuid --device-name-strategy=type-index"
golden h100 "--layout h100" ""
golden no-graphics "--gpus 1 --no-graphics" ""
golden split-roots "--gpus 2 --no-graphics" "--no-all-device --disable-hook=enable-cuda-compat" split
golden management "--gpus 2 --no-graphics" "--mode=management"

# determinism and the JSON form
"$CTK" cdi generate --driver-root="$W/g-1gpu" --proc-root="$W/g-1gpu/proc" --sys-root="$W/g-1gpu/sys" \
        --nvidia-cdi-hook-path=/usr/bin/nvidia-cdi-hook >"$W/again.yaml" 2>/dev/null
t_eq "generate: stdout is the same bytes as --output" "" "$(cmp "$W/again.yaml" "$W/1gpu.yaml" 2>&1)"
"$CTK" cdi generate --driver-root="$W/g-1gpu" --proc-root="$W/g-1gpu/proc" --sys-root="$W/g-1gpu/sys" \
        --nvidia-cdi-hook-path=/usr/bin/nvidia-cdi-hook --output="$W/1gpu.json" 2>/dev/null
t_eq "generate: a .json name gives JSON" "0.5.0" "$(jq -r .cdiVersion "$W/1gpu.json" 2>&1)"
t_eq "generate: JSON and YAML carry the same spec" "$(python3 -c 'import sys,yaml,json; print(json.dumps(yaml.safe_load(open(sys.argv[1])),sort_keys=True))' "$W/1gpu.yaml")" \
        "$(python3 -c 'import sys,json; print(json.dumps(json.load(open(sys.argv[1])),sort_keys=True))' "$W/1gpu.json")"
t_eq "generate: files are mode 0644" 644 "$(stat -c %a "$W/1gpu.json")"
t_grep "generate: YAML starts with ---" '^---$' "$(head -1 "$W/1gpu.yaml")"
t_fails "generate: --mode=csv is refused" "$CTK" cdi generate --mode=csv --driver-root="$W/g-1gpu"
t_grep "generate: --mode=csv says why" 'not supported by nvct' "$("$CTK" cdi generate --mode=csv 2>&1)"
t_fails "generate: --mode=bogus is refused" "$CTK" cdi generate --mode=bogus
t_fails "generate: a bad naming strategy is refused" "$CTK" cdi generate --device-name-strategy=bogus
t_grep "generate: a bad boolean is refused by name" 'invalid boolean value "maybe" for -no-all-device' \
        "$("$CTK" cdi generate --no-all-device=maybe 2>&1)"
t_grep "generate: an unknown flag is named" 'flag provided but not defined: -bogus' "$("$CTK" cdi generate --bogus 2>&1)"

# ------------------------------------------------------------------------------------------------ refresh
R=$W/g-1gpu
REF=$W/refresh/nvidia.yaml
refresh() { "$CTK" cdi refresh --driver-root="$R" --proc-root="$R/proc" --sys-root="$R/sys" --output="$REF" "$@" 2>&1; }
OUT=$(refresh); t_grep "refresh: writes a missing spec" 'wrote CDI spec' "$OUT"
OUT=$(refresh); t_grep "refresh: up to date the second time" 'is up to date \(driver 580.159.04\)' "$OUT"
sed -i 's/--host-driver-version=580.159.04/--host-driver-version=570.1.2/' "$REF"
OUT=$(refresh); t_grep "refresh: a changed driver regenerates" 'spec is for driver 570.1.2, driver 580.159.04 is loaded' "$OUT"
t_grep "refresh: the new spec has the loaded driver" 'host-driver-version=580.159.04' "$(cat "$REF")"
mkdir -p "$W/noproc"
OUT=$(refresh --proc-root="$W/noproc"); RC=$?
t_eq "refresh: a driver that is not loaded is a clean no-op" 0 "$RC"
t_grep "refresh: and says so" 'not loaded' "$OUT"

# ------------------------------------------------------------------------------------------------ bad input
B=$W/bad
mkdir -p "$B/d1" "$B/d2"
cp "$W/1gpu.yaml" "$B/d1/good.yaml"
printf 'cdiVersion: "0.5.0"\nkind: nvidia.com/gpu\ndevices:\n- name: x\n  containerEdits: {env: [A=1]\n' >"$B/d1/broken.yaml"
printf '{"cdiVersion":"0.5.0","kind":"vendor.com/dev","foo":1,"devices":[{"name":"a","containerEdits":{"env":["A=1"]}}]}' >"$B/d1/unknown.json"
printf 'cdiVersion: "0.5.1"\nkind: vendor.com/dev\ndevices:\n- name: a\n  containerEdits:\n    env: [A=1]\n' >"$B/d1/version.yaml"
printf 'cdiVersion: "0.5.0"\nkind: vendor.com/dup\ndevices:\n- name: a\n  containerEdits:\n    env: [A=1]\n' >"$B/d1/dup1.yaml"
cp "$B/d1/dup1.yaml" "$B/d1/dup2.yaml"
printf 'cdiVersion: "0.5.0"\nkind: vendor.com/dup\ndevices:\n- name: a\n  containerEdits:\n    env: [A=2]\n' >"$B/d2/dup3.yaml"
OUT=$("$CTK" cdi list --spec-dir "$B/d1" 2>&1)
t_grep "list: good devices still listed" '^nvidia.com/gpu=0$' "$OUT"
t_grep "list: malformed YAML named" "broken.yaml.*yaml: line" "$OUT"
t_grep "list: unknown field named, library message" "unknown.json\": failed to unmarshal CDI Spec: error unmarshaling JSON: while decoding JSON: json: unknown field \"foo\"" "$OUT"
t_grep "list: unknown version named" 'version.yaml: invalid CDI Spec: invalid version "0.5.1"' "$OUT"
t_grep "list: same-priority duplicate reported for both files" "dup1.yaml: conflicting device \"vendor.com/dup=a\" \(specs \"$B/d1/dup2.yaml\", \"$B/d1/dup1.yaml\"\)" "$OUT"
if grep -q '^vendor.com/dup=a$' <<<"$OUT"; then t_fail "list: a conflicting device is dropped"; else t_ok "list: a conflicting device is dropped"; fi
mkdir -p "$B/d3" && cp "$B/d1/dup1.yaml" "$B/d3/"
OUT=$("$CTK" cdi list --spec-dir "$B/d3" --spec-dir "$B/d2" 2>&1)
t_eq "list: a later directory wins without a conflict" "vendor.com/dup=a|0" "$(grep '^vendor' <<<"$OUT")|$(grep -c conflicting <<<"$OUT")"
# as in the library, a name that conflicts anywhere is dropped even when a later directory also has it
OUT=$("$CTK" cdi list --spec-dir "$B/d1" --spec-dir "$B/d2" 2>&1)
t_eq "list: a conflict is not undone by a later directory" "" "$(grep '^vendor.com/dup=a$' <<<"$OUT")"
OUT=$("$CTK" cdi validate "$B/d1/good.yaml" "$B/d1/broken.yaml" "$B/d1/unknown.json" 2>&1); RC=$?
t_eq "validate: exit status 1 on a bad file" 1 "$RC"
t_grep "validate: the good file is valid" 'good.yaml: valid CDI spec' "$OUT"
t_eq "validate: one line per problem" 2 "$(grep -c 'failed to parse CDI Spec' <<<"$OUT")"
OUT=$("$CTK" cdi validate "$B/d1/dup1.yaml" "$B/d1/dup2.yaml" 2>&1); RC=$?
t_eq "validate: duplicates across files fail" "1" "$RC"
t_grep "validate: duplicates name both files" 'conflicting device "vendor.com/dup=a"' "$OUT"
head -c $((51 * 1024 * 1024)) /dev/zero | tr '\0' '#' >"$B/huge.yaml"
OUT=$("$CTK" cdi validate "$B/huge.yaml" 2>&1); RC=$?
t_eq "validate: a 51 MiB spec is refused" 1 "$RC"
t_grep "validate: ... with a clear message naming it" 'huge.yaml": file too large' "$OUT"
rm -f "$B/huge.yaml"
printf 'cdiVersion: "0.5.0"\nkind: vendor.com/dev\nannotations: {a: b}\ndevices:\n- name: a\n  containerEdits:\n    env: [A=1]\n' >"$B/low.yaml"
t_grep "validate: the minimum version rule" 'the spec version must be at least v0.6.0' "$("$CTK" cdi validate "$B/low.yaml" 2>&1)"

# ------------------------------------------------------------------------------------------------ transform
"$CTK" cdi transform root --from "$W/g-1gpu" --to /driver --input "$W/1gpu.yaml" --output "$W/moved.yaml"
t_eq "transform root: host paths moved" "/driver/dev/nvidia0" \
        "$(python3 -c 'import sys,yaml; print(yaml.safe_load(open(sys.argv[1]))["devices"][0]["containerEdits"]["deviceNodes"][0]["hostPath"])' "$W/moved.yaml")"
t_eq "transform root: no host path left under the old root" 0 "$(grep -c "$W/g-1gpu" "$W/moved.yaml")"
t_run "transform root: the result validates" "$CTK" cdi validate "$W/moved.yaml"
OUT=$("$CTK" cdi transform root --from /usr/lib/x86_64-linux-gnu --to /usr/lib64 --relative-to container <"$W/1gpu.yaml")
t_grep "transform root --relative-to container: container paths and hook args moved" '^    - /usr/lib64$' "$OUT"

# ------------------------------------------------------------------------------------------------ the shim
SIM=$W/sim
"$NVCT_SRC"/tests/sim/mksim.sh "$SIM" --gpus 2 >/dev/null || { t_fail "mksim"; exit 0; }
source "$SIM/sim.env"
"$NVCT_SRC"/tests/sim/mkrootfs.sh "$W/rootfs-template" >/dev/null || { t_fail "mkrootfs"; exit 0; }
cp "$SIM_CUDA_CHECK" "$W/rootfs-template/usr/bin/"
mkdir -p "$W/cdi"
"$CTK" cdi generate --driver-root="$SIM" --proc-root="$SIM/proc" --sys-root="$SIM/sys" --output="$W/cdi/nvidia.yaml" 2>/dev/null
t_grep "shim: the spec calls the hook found on PATH" "path: $W/bin/nvidia-cdi-hook" "$(cat "$W/cdi/nvidia.yaml")"
write_config() { # FILE MODE [EXTRA NVCT LINES]
        cat >"$1" <<EOT
[nvidia-container-cli]
root = "$SIM"

[nvidia-container-runtime]
mode = "$2"
runtimes = ["runc"]

[nvidia-container-runtime.modes.cdi]
spec-dirs = ["$W/cdi"]

[nvct]
proc-root = "$SIM/proc"
sys-root = "$SIM/sys"
cuda-version-cache = "$W/cuda-cache"
${3:-}
EOT
}
write_config "$W/cdi.toml" cdi
write_config "$W/jit.toml" jit-cdi
write_config "$W/refresh.toml" cdi "cdi-refresh-on-stale = true"
n=0
# run_shim CONFIG 'ENV JSON' [JQ] [SCRIPT]: create through the shim, start, wait; sets OUT, RC, CFG. The
# container's stdout is create's: it goes to a file (a pipe would be held open by the created container).
run_shim() {
        n=$((n + 1))
        local b=$W/b$n id=$PFX-$n
        mkdir -p "$b"
        cp -a "$W/rootfs-template" "$b/rootfs"
        "$NVCT_SRC"/tests/sim/mkbundle.sh "$b" "$b/rootfs" /bin/sh -c \
                "${4:-ls -1 /dev/nvidia*; nvidia-smi -L; ldconfig -p | grep -E 'libcuda.so.1|libnvidia-ml.so.1'; nvct-sim-cuda-check}" >/dev/null
        jq --argjson env "$2" '.process.env += $env | '"${3:-.}" "$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
        (cd "$b" && NVIDIA_CTK_CONFIG_FILE_PATH=$1 nvidia-container-runtime --root "$RROOT" create --bundle "$b" "$id" \
                >"$b/out" 2>"$b/err" </dev/null)
        RC=$?
        CFG=$(cat "$b/config.json")
        if [ $RC -eq 0 ]; then
                runc --root "$RROOT" start "$id" >/dev/null 2>&1
                for _ in $(seq 200); do
                        [ "$(runc --root "$RROOT" state "$id" 2>/dev/null | jq -r .status)" = stopped ] && break; sleep 0.05
                done
        fi
        OUT=$(cat "$b/out" "$b/err")
        runc --root "$RROOT" delete -f "$id" >/dev/null 2>&1
}

run_shim "$W/cdi.toml" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0"]'
t_eq "cdi: create succeeds" 0 "$RC"
t_eq "cdi: only GPU 0's node" "/dev/nvidia0" "$(grep -E '^/dev/nvidia[0-9]+$' <<<"$OUT")"
t_grep "cdi: control node" '^/dev/nvidiactl$' "$OUT"
t_grep "cdi: nvidia-smi sees GPU 0" "^GPU 0: .*UUID: ${SIM_UUIDS%% *}" "$OUT"
t_grep "cdi: update-ldcache hook: ldconfig -p resolves libcuda.so.1" 'libcuda.so.1 .*=> /usr/lib/x86_64-linux-gnu/libcuda.so.1' "$OUT"
t_grep "cdi: a CUDA program finds one device" 'CUDA OK: 1 device' "$OUT"
t_eq "cdi: NVIDIA_VISIBLE_DEVICES=void from the spec" "NVIDIA_VISIBLE_DEVICES=void" "$(jq -r '.process.env[] | select(startswith("NVIDIA_VISIBLE_DEVICES="))' <<<"$CFG")"
t_eq "cdi: cgroup rule for the GPU" "c 195 0 rwm" "$(jq -r '.linux.resources.devices[] | select(.major == 195 and .minor == 0) | "\(.type) \(.major) \(.minor) \(.access)"' <<<"$CFG")"
t_eq "cdi: no legacy prestart hook" 0 "$(jq '[.hooks.prestart[]? | select(.path | endswith("nvidia-container-runtime-hook"))] | length' <<<"$CFG")"

run_shim "$W/cdi.toml" '[]' '.annotations["cdi.k8s.io/nvct-test"] = "nvidia.com/gpu=1"'
t_eq "cdi annotation: create succeeds" 0 "$RC"
t_eq "cdi annotation: only GPU 1's node" "/dev/nvidia1" "$(grep -E '^/dev/nvidia[0-9]+$' <<<"$OUT")"
t_grep "cdi annotation: CUDA works" 'CUDA OK: 1 device' "$OUT"

run_shim "$W/cdi.toml" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=7"]'
t_eq "cdi: an unknown device fails the create" 1 "$([ $RC -ne 0 ] && echo 1 || echo 0)"
t_grep "cdi: unresolvable message" 'unresolvable CDI devices nvidia.com/gpu=7' "$OUT"

run_shim "$W/cdi.toml" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"]'
t_grep "cdi: an unmet NVIDIA_REQUIRE_CUDA fails the create" 'unsatisfied condition: cuda>=99.0' "$OUT"

run_shim "$W/cdi.toml" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0", "NVIDIA_DRIVER_CAPABILITIES=utility"]' . 'ls /usr/lib/x86_64-linux-gnu/; nvidia-smi -L'
t_eq "cdi + utility: create succeeds" 0 "$RC"
t_eq "cdi + utility: no libcuda mounted" 0 "$(jq '[.mounts[] | select(.destination | contains("libcuda.so"))] | length' <<<"$CFG")"
t_grep "cdi + utility: nvidia-smi still works" '^GPU 0: ' "$OUT"

printf 'not: [valid\n' >"$W/cdi/zz-broken.yaml"
run_shim "$W/cdi.toml" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0"]' . 'ls /dev/nvidia0'
t_eq "cdi: a broken spec next to a good one does not matter" "0|/dev/nvidia0" "$RC|$(cat "$W/b$n/out")"
rm -f "$W/cdi/zz-broken.yaml"

sed -i 's/--host-driver-version=580.159.04/--host-driver-version=570.1.2/' "$W/cdi/nvidia.yaml"
run_shim "$W/cdi.toml" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0"]'
t_grep "cdi: a stale spec is reported" 'generated for NVIDIA driver 570.1.2, but driver 580.159.04 is loaded' "$OUT"
run_shim "$W/refresh.toml" '["NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0"]'
t_eq "cdi + cdi-refresh-on-stale: regenerated in memory, create succeeds" 0 "$RC"
t_grep "cdi + cdi-refresh-on-stale: CUDA works" 'CUDA OK: 1 device' "$OUT"

run_shim "$W/jit.toml" '["NVIDIA_VISIBLE_DEVICES=1"]'
t_eq "jit-cdi: create succeeds" 0 "$RC"
t_eq "jit-cdi: only GPU 1's node" "/dev/nvidia1" "$(grep -E '^/dev/nvidia[0-9]+$' <<<"$OUT")"
t_grep "jit-cdi: ldconfig -p resolves libnvidia-ml.so.1" 'libnvidia-ml.so.1 .*=> /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1' "$OUT"
t_grep "jit-cdi: a CUDA program finds one device" 'CUDA OK: 1 device' "$OUT"

run_shim "$W/jit.toml" '["NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=utility"]' . 'ls -1 /dev/nvidia*; nvidia-smi -L'
t_eq "jit-cdi + utility: create succeeds" 0 "$RC"
t_grep "jit-cdi all: both GPUs" '^/dev/nvidia1$' "$OUT"
t_eq "jit-cdi + utility: only utility libraries" "0|1" \
        "$(jq '[.mounts[] | select(.destination | contains("libcuda.so"))] | length' <<<"$CFG")|$(jq '[.mounts[] | select(.destination | endswith("libnvidia-ml.so.'"$SIM_VERSION"'"))] | length' <<<"$CFG")"

run_shim "$W/jit.toml" '["NVIDIA_VISIBLE_DEVICES=0", "NVIDIA_REQUIRE_CUDA=cuda>=99.0"]'
t_grep "jit-cdi: an unmet requirement fails the create" 'unsatisfied condition: cuda>=99.0' "$OUT"
exit 0
