# SPDX-License-Identifier: Apache-2.0
# Load of tests/hostile/run.sh (sourced): NVCT_HOSTILE_LOAD (64) containers created at once through runc with
# `nvct hook` as prestart hook, then as many through the shim (`nvct runtime` as nvidia-container-runtime, legacy
# mode, config from NVIDIA_CTK_CONFIG_FILE_PATH). Each container asks for one GPU (alternating 0 and 1) and a
# CUDA requirement, so all of them race on the CUDA version cache. Every one must start and see exactly its
# own device; the cache must be whole and leave no temporary file; the host must be unchanged.

LOAD=$W/load
mkdir -p "$LOAD/cache-hook" "$LOAD/cache-shim"
ln -sf "$NVCT" "$B/nvidia-container-runtime-hook"
ln -sf "$NVCT" "$B/nvidia-container-runtime"
load_config() { # FILE CACHE
        t_sim_config "$SIM" '[nvidia-container-runtime] mode = "legacy"' '[nvidia-container-runtime] runtimes = ["runc"]' \
                "[nvidia-container-runtime-hook] path = \"$B/nvidia-container-runtime-hook\"" \
                "[nvct] cuda-version-cache = \"$2\"" >"$1"
}
load_config "$LOAD/hook.toml" "$LOAD/cache-hook"
load_config "$LOAD/shim.toml" "$LOAD/cache-shim"
PROBE_CMD='for n in /dev/nvidia[0-9]*; do [ -c "$n" ] && echo "node $n"; done; echo done'

load_bundle() { # DIR INDEX: a bundle whose rootfs shares file data with the template (cp -al) but not entries
        local b=$1 i=$2
        mkdir -p "$b"
        cp -al "$W/template" "$b/rootfs"
        "$NVCT_SRC"/tests/sim/mkbundle.sh "$b" "$b/rootfs" /bin/sh -c "$PROBE_CMD" >/dev/null
        jq --arg d "$((i % 2))" '.process.env += ["NVIDIA_VISIBLE_DEVICES=" + $d, "NVIDIA_DRIVER_CAPABILITIES=utility",
                "NVIDIA_REQUIRE_CUDA=cuda>=12.0"]' "$b/config.json" >"$b/c.json" && mv "$b/c.json" "$b/config.json"
}

load_check() { # KIND CACHE: one TAP line
        local kind=$1 cache=$2 bad=() i
        for ((i = 0; i < LOAD_N; i++)); do
                local b=$LOAD/$kind-$i want="node /dev/nvidia$((i % 2))" out
                out=$(cat "$b/out" 2>/dev/null)
                if [ "$(cat "$b/rc" 2>/dev/null)" != 0 ] || [ "$(grep '^node' <<<"$out")" != "$want" ]; then
                        bad+=("container $i: rc $(cat "$b/rc" 2>/dev/null), want '$want', got: $(tr '\n' ' ' <<<"$out" | head -c 300)")
                fi
        done
        local files; files=$(ls -A "$cache")
        # the CUDA version may come without NVML (then no cache is written); a cache written is whole, and no
        # temporary file of a writer survives
        [ -z "$files" ] || [ "$files" = cuda-version ] || bad+=("cache dir holds: $(tr '\n' ' ' <<<"$files")")
        [ ! -e "$cache/cuda-version" ] || grep -qE '^cuda [0-9]+\.[0-9]+$' "$cache/cuda-version" ||
                bad+=("cache file: $(head -c 200 "$cache/cuda-version" 2>&1)")
        local name="load[$kind]: $LOAD_N containers at once, each with its own GPU; the CUDA cache whole"
        if [ ${#bad[@]} -eq 0 ]; then t_ok "$name"; else t_fail "$name" "${bad[@]:0:6}"; fi
}

snap >"$W/snap.before"
# through runc with the hook
for ((i = 0; i < LOAD_N; i++)); do
        b=$LOAD/hook-$i
        load_bundle "$b" "$i"
        jq --arg h "$B/nvidia-container-runtime-hook" --arg c "$LOAD/hook.toml" \
                '.hooks.prestart = [{path: $h, args: ["nvidia-container-runtime-hook", "-config", $c, "prestart"],
                                     env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}]' "$b/config.json" >"$b/c.json" &&
                mv "$b/c.json" "$b/config.json"
done
for ((i = 0; i < LOAD_N; i++)); do
        (cd "$LOAD/hook-$i" && timeout 300 runc run "$PFX-h$i" >out 2>&1 </dev/null; echo $? >rc) &
done
wait
for ((i = 0; i < LOAD_N; i++)); do runc delete -f "$PFX-h$i" >/dev/null 2>&1; done
load_check hook "$LOAD/cache-hook"

# through the shim, legacy mode: create (the shim edits config.json), then start
for ((i = 0; i < LOAD_N; i++)); do load_bundle "$LOAD/shim-$i" "$i"; done
for ((i = 0; i < LOAD_N; i++)); do
        (cd "$LOAD/shim-$i" && NVIDIA_CTK_CONFIG_FILE_PATH=$LOAD/shim.toml timeout 300 "$B/nvidia-container-runtime" \
                create --bundle "$LOAD/shim-$i" "$PFX-s$i" >out 2>&1 </dev/null; echo $? >rc) &
done
wait
for ((i = 0; i < LOAD_N; i++)); do
        [ "$(cat "$LOAD/shim-$i/rc")" = 0 ] && runc start "$PFX-s$i" >/dev/null 2>&1 &
done
wait
for ((i = 0; i < LOAD_N; i++)); do
        for _ in $(seq 100); do
                [ "$(runc state "$PFX-s$i" 2>/dev/null | jq -r .status)" = running ] || break
                sleep 0.05
        done
        runc delete -f "$PFX-s$i" >/dev/null 2>&1
done
load_check shim "$LOAD/cache-shim"
snap >"$W/snap.after"
if cmp -s "$W/snap.before" "$W/snap.after"; then t_ok "load: the host is unchanged after $((2 * LOAD_N)) containers"
else t_fail "load: the host is unchanged after $((2 * LOAD_N)) containers" "$(diff "$W/snap.before" "$W/snap.after" | head -8)"; fi
