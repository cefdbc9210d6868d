#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The real-GPU checks, run on the GPU machine in one command (under 10 minutes):
#   tests/gpu/prepare.sh here, then on the GPU machine: bash tests/gpu/run.sh   (carry .carry/gpu)
# It builds a busybox + host-glibc rootfs and a CUDA program there, runs containers through runc with nvct as
# nvidia-container-cli (configure), as the prestart hook and as the runtime shim, checks every row from inside
# the container, measures start costs, and prints a summary table. Nothing on the machine is changed: all state
# lives under a temp dir, and the GPU's settings are left alone.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
C=${NVCT_CARRY:-$SRC/.carry/gpu}
OUT=${OUT:-/tmp/nvct-gpu-out}
W=$(mktemp -d /tmp/nvct-gpu.XXXXXX)
chmod 755 "$W"
mkdir -p "$OUT" "$W/bin"
export LD_LIBRARY_PATH=$C/lib
RUNC="$C/runc --root $W/runc-state"
NVCT=$C/nvct
for n in nvidia-container-cli nvidia-container-runtime-hook nvidia-container-runtime nvidia-ctk nvidia-cdi-hook; do
        ln -sf "$NVCT" "$W/bin/$n"
done
ln -sf "$C/runc" "$W/bin/runc"
export PATH=$W/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
RESULTS=$OUT/gpu-results.txt
: >"$RESULTS"
ROWS=()
PASS=0 FAIL=0
cleanup() {
        for id in $($RUNC list -q 2>/dev/null); do $RUNC delete -f "$id" >/dev/null 2>&1; done
        rm -rf "$W"
}
trap cleanup EXIT

log() { echo "$@" | tee -a "$RESULTS"; }
row() { # row NAME STATUS DETAIL
        ROWS+=("$(printf '%-44s %-5s %s' "$1" "$2" "$3")")
        if [ "$2" = PASS ]; then PASS=$((PASS + 1)); else FAIL=$((FAIL + 1)); fi
        log "[$2] $1 — $3"
}

# ---------------------------------------------------------------- host facts
HOST_SMI=$(nvidia-smi -L 2>&1)
HOST_Q=$(nvidia-smi --query-gpu=uuid,pci.bus_id,driver_version --format=csv,noheader 2>&1)
DRV=$(echo "$HOST_Q" | head -1 | awk -F', ' '{print $3}')
UUID0=$(echo "$HOST_Q" | head -1 | awk -F', ' '{print $1}')
BUS0=$(echo "$HOST_Q" | head -1 | awk -F', ' '{print $2}')
log "== host: $(uname -r), driver $DRV, $(echo "$HOST_SMI" | head -1)"

# ---------------------------------------------------------------- info / list
INFO=$("$NVCT" cli info 2>&1); rc=$?
log "== nvidia-container-cli info"; log "$INFO"
if [ $rc -eq 0 ] && echo "$INFO" | grep -q "GPU UUID: *$UUID0" &&
        echo "$INFO" | grep -qi "Bus Location: *$(echo "$BUS0" | tr 'A-F' 'a-f')" &&
        echo "$INFO" | grep -q "NVRM version: *$DRV"; then
        row "info: UUID, bus id, driver = nvidia-smi" PASS "$UUID0 $BUS0"
else
        row "info: UUID, bus id, driver = nvidia-smi" FAIL "rc=$rc"
fi
# the NVML bound holds on the real library: 1 ms is less than NVML's own initialisation, 20 s is plenty
SHORT=$("$NVCT" cli --nvml-timeout=1 info 2>&1); rc1=$?
LONG=$("$NVCT" cli --nvml-timeout=20000 info 2>&1); rc2=$?
if [ $rc1 -eq 1 ] && echo "$SHORT" | grep -q 'NVML did not answer within 1 ms' && [ $rc2 -eq 0 ] &&
        [ "$LONG" = "$INFO" ]; then
        row "info --nvml-timeout: 1 ms gives up clearly, 20000 ms = default" PASS "$(echo "$SHORT" | head -1 | cut -c1-60)"
else
        row "info --nvml-timeout: 1 ms gives up clearly, 20000 ms = default" FAIL "rc=$rc1/$rc2 $(echo "$SHORT" | head -1)"
fi
MINOR=$(echo "$INFO" | awk -F': *' '/Device Minor/{print $2; exit}')
[ -c "/dev/nvidia$MINOR" ] && row "info: device minor has /dev/nvidia<minor>" PASS "minor $MINOR" ||
        row "info: device minor has /dev/nvidia<minor>" FAIL "minor '$MINOR'"
"$NVCT" cli info --csv >>"$RESULTS" 2>&1
LIST=$("$NVCT" cli list 2>&1); rc=$?
log "== nvidia-container-cli list"; log "$LIST"
bad=""
LIBDIR=$(dirname "$(echo "$LIST" | grep -m1 '/libcuda.so.')")
while read -r f; do
        # firmware is listed at its container path, as NVIDIA does; the file itself may live in the driver's tree
        case "$f" in /lib/firmware/*) [ -e "$f" ] || [ -e "$LIBDIR/../firmware/${f#/lib/firmware/}" ] || bad="$bad missing:$f"; continue ;; esac
        [ -e "$f" ] || bad="$bad missing:$f"
        case "$f" in *.so.*) [[ "$f" == *".$DRV" ]] || bad="$bad version:$f" ;; esac
done < <(echo "$LIST" | grep -v '^/dev/')
nlibs=$(echo "$LIST" | grep -c '\.so\.')
[ $rc -eq 0 ] && [ -z "$bad" ] && [ "$nlibs" -gt 10 ] && row "list: every file exists, libs end in $DRV" PASS "$nlibs libraries" ||
        row "list: every file exists, libs end in $DRV" FAIL "rc=$rc$bad"
"$NVCT" info --json >"$OUT/info.json" 2>&1

# ---------------------------------------------------------------- rootfs and CUDA program
R=$W/rootfs-template
mkdir -p "$R"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,etc/ld.so.conf.d,proc,sys,dev,tmp,run,root}
ln -s usr/bin "$R/bin"; ln -s usr/sbin "$R/sbin"; ln -s usr/lib "$R/lib"; ln -s usr/lib64 "$R/lib64"
cp "$C/busybox" "$R/usr/bin/busybox"
for a in $("$C/busybox" --list); do [ -e "$R/usr/bin/$a" ] || ln -s busybox "$R/usr/bin/$a"; done
rm -f "$R/usr/bin/ldconfig"
cp -L "$(command -v ldconfig.real || echo /sbin/ldconfig)" "$R/usr/sbin/ldconfig"
cat >"$W/check.cu" <<'EOF'
#include <cstdio>
__global__ void add(const float *a, const float *b, float *c, int n) {
        int i = blockIdx.x * blockDim.x + threadIdx.x;
        if (i < n) c[i] = a[i] + b[i];
}
int main() {
        const int n = 1 << 20;
        float *a, *b, *c;
        if (cudaMalloc(&a, n * 4) || cudaMalloc(&b, n * 4) || cudaMalloc(&c, n * 4)) {
                printf("CUDA FAIL: %s\n", cudaGetErrorString(cudaGetLastError()));
                return 1;
        }
        float *h = new float[n];
        for (int i = 0; i < n; i++) h[i] = (float) i;
        cudaMemcpy(a, h, n * 4, cudaMemcpyHostToDevice);
        cudaMemcpy(b, h, n * 4, cudaMemcpyHostToDevice);
        add<<<(n + 255) / 256, 256>>>(a, b, c, n);
        cudaError_t e = cudaDeviceSynchronize();
        cudaMemcpy(h, c, n * 4, cudaMemcpyDeviceToHost);
        for (int i = 0; i < n; i++)
                if (h[i] != 2.0f * i) { printf("CUDA FAIL: wrong result at %d (%s)\n", i, cudaGetErrorString(e)); return 1; }
        printf("CUDA OK: kernel verified on %d elements\n", n);
        return 0;
}
EOF
NVCC=/usr/local/cuda/bin/nvcc
if "$NVCC" -O2 -o "$R/usr/bin/cuda-check" "$W/check.cu" >"$W/nvcc.log" 2>&1; then HAVE_CUDA=1; else HAVE_CUDA=0; cat "$W/nvcc.log" >>"$RESULTS"; fi
# the host glibc and whatever the CUDA program and busybox need
for l in $(ldd "$R/usr/bin/cuda-check" 2>/dev/null | awk '/=> \//{print $3}') /lib/x86_64-linux-gnu/{libc.so.6,libm.so.6,libdl.so.2,libpthread.so.0,librt.so.1}; do
        [ -e "$l" ] && cp -L "$l" "$R/usr/lib/x86_64-linux-gnu/"
done
cp -L /lib64/ld-linux-x86-64.so.2 "$R/usr/lib64/"
printf '/usr/local/lib\n/usr/lib/x86_64-linux-gnu\n' >"$R/etc/ld.so.conf.d/x86_64-linux-gnu.conf"
echo 'include /etc/ld.so.conf.d/*.conf' >"$R/etc/ld.so.conf"
echo 12.7 >"$R/etc/debian_version"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
"$R/usr/sbin/ldconfig" -r "$R" 2>/dev/null
cat >"$R/check.sh" <<'EOF'
#!/bin/sh
echo "NODES: $(ls /dev/nvidia* /dev/nvidia-caps 2>/dev/null | tr '\n' ' ')"
echo "LIBS: $(ls /usr/lib/x86_64-linux-gnu 2>/dev/null | grep -E 'nvidia|cuda|GLX|EGL|GLES' | tr '\n' ' ')"
echo "BINS: $(ls /usr/bin | grep -E '^nvidia' | tr '\n' ' ')"
echo "LDC: $(ldconfig -p | grep -oE 'lib(cuda|nvidia-ml)\.so\.1 ' | sort -u | tr '\n' ' ')"
# CDI specs mount binaries at their host path (/usr/local/nvidia/bin here), the hook into /usr/bin
for smi in /usr/bin/nvidia-smi /usr/local/nvidia/bin/nvidia-smi; do
        [ -x "$smi" ] || continue
        "$smi" -L >/tmp/smi 2>&1; echo "SMI_RC: $?"; sed 's/^/SMI: /' /tmp/smi; break
done
if [ -x /usr/bin/cuda-check ]; then cuda-check >/tmp/cuda 2>&1; echo "CUDA_RC: $?"; sed 's/^/CUDA: /' /tmp/cuda; fi
EOF
chmod +x "$R/check.sh"

# ---------------------------------------------------------------- container harness
# bundle DIR ENV_JSON HOOKS_JSON: a config.json written without jq (the machine has none)
bundle() {
        local b=$1 env=$2 hooks=$3
        mkdir -p "$b"
        rm -rf "$b/rootfs"; cp -a "$R" "$b/rootfs"
        cat >"$b/config.json" <<EOF
{"ociVersion":"1.0.2","process":{"terminal":false,"user":{"uid":0,"gid":0},"args":["/bin/sh","/check.sh"],
"env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"$env],"cwd":"/",
"capabilities":{"bounding":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_SETGID","CAP_SETUID","CAP_NET_BIND_SERVICE"],
"effective":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_SETGID","CAP_SETUID"],
"permitted":["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_KILL","CAP_SETGID","CAP_SETUID"]},
"noNewPrivileges":true},
"root":{"path":"$b/rootfs","readonly":false},"hostname":"gpu",
"mounts":[{"destination":"/proc","type":"proc","source":"proc"},
{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]},
{"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]},
{"destination":"/sys","type":"sysfs","source":"sysfs","options":["nosuid","noexec","nodev","ro"]}],
"hooks":{$hooks},
"linux":{"resources":{"devices":[{"allow":false,"access":"rwm"}]},
"namespaces":[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"}],
"maskedPaths":["/proc/kcore","/proc/keys"],"readonlyPaths":["/proc/sys","/proc/sysrq-trigger"]}}
EOF
}
HOOK_FIXTURE=$W/configure-hook.sh
cat >"$HOOK_FIXTURE" <<'EOF'
#!/bin/sh
state=$(cat)
pid=$(echo "$state" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
exec "$NVCT_BIN" cli configure "$@" --pid="$pid" "$ROOTFS"
EOF
chmod +x "$HOOK_FIXTURE"

n=0
# run_container NAME MODE ENV_JSON [CONFIGURE FLAGS]: MODE = cli | hook | shim
run_container() {
        local name=$1 mode=$2 env=$3 flags=${4:-}
        n=$((n + 1))
        local b=$W/b$n id=nvct-gpu-$n hooks=""
        case "$mode" in
        cli) hooks="\"prestart\":[{\"path\":\"$HOOK_FIXTURE\",\"args\":[\"configure-hook.sh\"$(for f in $flags; do printf ',"%s"' "$f"; done)],\"env\":[\"NVCT_BIN=$NVCT\",\"ROOTFS=$W/b$n/rootfs\",\"PATH=/usr/bin:/bin\"]}]" ;;
        hook) hooks="\"prestart\":[{\"path\":\"$W/bin/nvidia-container-runtime-hook\",\"args\":[\"nvidia-container-runtime-hook\",\"prestart\"]}]" ;;
        esac
        bundle "$b" "$env" "$hooks"
        if [ "$mode" = shim ]; then
                # only `create` goes through the shim's edit, so create, start and wait for the container to stop
                (cd "$b" && nvidia-container-runtime --root "$W/runc-state" create "$id" >"$b/out" 2>&1)
                RC_C=$?
                if [ $RC_C -eq 0 ]; then
                        nvidia-container-runtime --root "$W/runc-state" start "$id" >>"$b/out" 2>&1
                        for _ in $(seq 1 100); do
                                $RUNC state "$id" 2>/dev/null | grep -q '"status": "stopped"' && break
                                sleep 0.1
                        done
                fi
                OUT_C=$(cat "$b/out")
        else
                OUT_C=$(cd "$b" && $RUNC run "$id" 2>&1)
                RC_C=$?
        fi
        $RUNC delete -f "$id" >/dev/null 2>&1
        { echo "== $name (rc=$RC_C)"; echo "$OUT_C"; } >>"$RESULTS"
}

# check_row NAME EXPECT: EXPECT is a word list: smi (nvidia-smi -L = host), cuda, ldc, node0, nonode0, nosmi, fail
check_row() {
        local name=$1 expect=$2 why=""
        for e in $expect; do
                case $e in
                fail) [ "$RC_C" -ne 0 ] || why="$why container-started" ;;
                ok) [ "$RC_C" -eq 0 ] || why="$why rc=$RC_C" ;;
                smi) [ "$(echo "$OUT_C" | sed -n 's/^SMI: //p')" = "$HOST_SMI" ] || why="$why smi-differs" ;;
                cuda) [ $HAVE_CUDA = 0 ] || echo "$OUT_C" | grep -q '^CUDA: CUDA OK' || why="$why cuda" ;;
                nocuda) ! echo "$OUT_C" | grep -q '^CUDA: CUDA OK' || why="$why cuda-ran" ;;
                ldc) echo "$OUT_C" | grep -q 'LDC: .*libcuda.so.1' && echo "$OUT_C" | grep -q 'LDC: .*libnvidia-ml.so.1' || why="$why ldconfig" ;;
                ldcml) echo "$OUT_C" | grep -q 'LDC: .*libnvidia-ml.so.1' || why="$why ldconfig-ml" ;;
                node0) echo "$OUT_C" | grep -q "NODES: .*/dev/nvidia$MINOR " || why="$why no-nvidia$MINOR" ;;
                nonode0) ! echo "$OUT_C" | grep -q "NODES: .*/dev/nvidia$MINOR " || why="$why nvidia$MINOR-present" ;;
                uvm) echo "$OUT_C" | grep -q "NODES: .*/dev/nvidia-uvm " || why="$why no-uvm" ;;
                nouvm) ! echo "$OUT_C" | grep -q "NODES: .*/dev/nvidia-uvm " || why="$why uvm-present" ;;
                nolibcuda) ! echo "$OUT_C" | grep -q "LIBS: .*libcuda" || why="$why libcuda-present" ;;
                glx) echo "$OUT_C" | grep -q "LIBS: .*libGLX_nvidia" || why="$why no-glx" ;;
                nothing) ! echo "$OUT_C" | grep -qE "NODES: .*nvidia|LIBS: .*nvidia" || why="$why injected" ;;
                req) echo "$OUT_C" | grep -q 'unsatisfied condition: cuda>=99.0' || why="$why no-requirement-message" ;;
                esac
        done
        [ -z "$why" ] && row "$name" PASS "$expect" || row "$name" FAIL "$why"
}

ENV_ALL=',"NVIDIA_VISIBLE_DEVICES=all","NVIDIA_DRIVER_CAPABILITIES=compute,utility"'
# 1. configure path under runc through a test hook
run_container "cli configure --device=0 compute,utility" cli "" "--device=0 --compute --utility"
check_row "1 cli configure --device=0 (compute,utility)" "ok smi cuda ldc node0 uvm"
run_container "cli configure no device" cli "" "--compute --utility"
check_row "1 cli configure, no device selected" "ok nonode0 nocuda"
# 2. the hook as docker calls it
run_container "hook all" hook "$ENV_ALL"
check_row "2 hook (docker --gpus all)" "ok smi cuda ldc node0 uvm"
# 3. the shim, legacy mode
export NVIDIA_CTK_CONFIG_FILE_PATH=$W/config-legacy.toml
printf '[nvidia-container-runtime]\nmode = "legacy"\nruntimes = ["%s"]\n' "$C/runc" >"$NVIDIA_CTK_CONFIG_FILE_PATH"
run_container "shim legacy all" shim "$ENV_ALL"
check_row "3 shim legacy mode" "ok smi cuda ldc node0 uvm"
unset NVIDIA_CTK_CONFIG_FILE_PATH
# 3/4. the shim in cdi mode with the spec nvct's own `cdi generate` wrote, and in jit-cdi mode
mkdir -p "$W/cdi"
if "$NVCT" ctk cdi generate --nvidia-cdi-hook-path="$W/bin/nvidia-cdi-hook" --output="$W/cdi/nvidia.yaml" >"$W/gen.log" 2>&1 &&
        "$NVCT" ctk cdi validate "$W/cdi/nvidia.yaml" >>"$W/gen.log" 2>&1; then
        row "4 nvct cdi generate + validate" PASS "$(grep -c 'name:' "$W/cdi/nvidia.yaml") devices, $(grep -m1 cdiVersion "$W/cdi/nvidia.yaml")"
else
        row "4 nvct cdi generate + validate" FAIL "$(tail -2 "$W/gen.log" | tr '\n' ' ')"
fi
cp "$W/cdi/nvidia.yaml" "$OUT/nvct-cdi-spec.yaml" 2>/dev/null
"$NVCT" cli list >"$OUT/nvct-list.txt" 2>&1
for mode in cdi jit-cdi; do
        export NVIDIA_CTK_CONFIG_FILE_PATH=$W/config-$mode.toml
        printf '[nvidia-container-runtime]\nmode = "%s"\nruntimes = ["%s"]\n[nvidia-container-runtime.modes.cdi]\nspec-dirs = ["%s"]\n' \
                "$mode" "$C/runc" "$W/cdi" >"$NVIDIA_CTK_CONFIG_FILE_PATH"
        dev=0; [ "$mode" = cdi ] && dev=nvidia.com/gpu=0
        run_container "shim $mode" shim ",\"NVIDIA_VISIBLE_DEVICES=$dev\",\"NVIDIA_DRIVER_CAPABILITIES=compute,utility\""
        check_row "3 shim $mode mode (NVIDIA_VISIBLE_DEVICES=$dev)" "ok smi cuda ldc node0 uvm"
done
unset NVIDIA_CTK_CONFIG_FILE_PATH

# 5. NVIDIA_VISIBLE_DEVICES
for v in all 0 "$UUID0"; do
        run_container "hook NVIDIA_VISIBLE_DEVICES=$v" hook ",\"NVIDIA_VISIBLE_DEVICES=$v\",\"NVIDIA_DRIVER_CAPABILITIES=compute,utility\""
        check_row "5 NVIDIA_VISIBLE_DEVICES=$v" "ok smi cuda ldc node0"
done
run_container "hook none" hook ',"NVIDIA_VISIBLE_DEVICES=none","NVIDIA_DRIVER_CAPABILITIES=compute,utility"'
check_row "5 NVIDIA_VISIBLE_DEVICES=none" "ok nonode0 ldc nocuda"
run_container "hook void" hook ',"NVIDIA_VISIBLE_DEVICES=void"'
check_row "5 NVIDIA_VISIBLE_DEVICES=void" "ok nothing"
# 6. capability sets
run_container "hook utility" hook ',"NVIDIA_VISIBLE_DEVICES=all","NVIDIA_DRIVER_CAPABILITIES=utility"'
check_row "6 capabilities utility" "ok smi ldcml node0 nouvm nolibcuda"
run_container "hook graphics,display" hook ',"NVIDIA_VISIBLE_DEVICES=all","NVIDIA_DRIVER_CAPABILITIES=graphics,display"'
check_row "6 capabilities graphics,display" "ok node0 glx nolibcuda"
# 7. requirements
run_container "hook cuda>=12.0" hook "$ENV_ALL"',"NVIDIA_REQUIRE_CUDA=cuda>=12.0"'
check_row "7 NVIDIA_REQUIRE_CUDA=cuda>=12.0 passes" "ok smi cuda"
run_container "hook cuda>=99.0" hook "$ENV_ALL"',"NVIDIA_REQUIRE_CUDA=cuda>=99.0"'
check_row "7 NVIDIA_REQUIRE_CUDA=cuda>=99.0 refused" "fail req"

# ---------------------------------------------------------------- parity with NVIDIA's recorded outputs
REF=$C/reference
if [ -d "$REF" ]; then
        sed -n '/^### \$ nvidia-container-cli list$/,/^\[rc=/p' "$REF/nvidia-container-cli-1.17.0-outputs.txt" |
                grep '^/' | sort >"$W/nv-list"
        grep '^/' "$OUT/nvct-list.txt" | sort >"$W/nvct-list"
        comm -23 "$W/nv-list" "$W/nvct-list" >"$OUT/parity-list-only-nvidia.txt"
        comm -13 "$W/nv-list" "$W/nvct-list" >"$OUT/parity-list-only-nvct.txt"
        log "== parity, list: $(wc -l <"$W/nv-list") NVIDIA, $(wc -l <"$W/nvct-list") nvct, only NVIDIA: $(tr '\n' ' ' <"$OUT/parity-list-only-nvidia.txt"), only nvct: $(tr '\n' ' ' <"$OUT/parity-list-only-nvct.txt")"
        # the CDI specs as sets of "hostPath -> containerPath" and device node paths
        # one line per list item: "mount HOST -> CONTAINER" or "node PATH" (hostPath of a node is where it comes from)
        spec_set() {
                awk 'function flush() { if (cp != "") print "mount " hp " -> " cp; else if (np ~ /^\/dev\//) print "node " np; cp = hp = np = "" }
                     /^ *- / { flush(); sub(/- /, "  ") }
                     { k = $1; v = $2 }
                     k == "containerPath:" { cp = v } k == "hostPath:" { hp = v } k == "path:" { np = v }
                     END { flush() }' "$1" | sort -u
        }
        spec_set "$REF/nvidia-ctk-1.13.1-cdi-generate.yaml" >"$W/nv-spec"
        spec_set "$W/cdi/nvidia.yaml" >"$W/nvct-spec"
        comm -23 "$W/nv-spec" "$W/nvct-spec" >"$OUT/parity-spec-only-nvidia.txt"
        comm -13 "$W/nv-spec" "$W/nvct-spec" >"$OUT/parity-spec-only-nvct.txt"
        log "== parity, CDI spec: $(wc -l <"$W/nv-spec") NVIDIA entries, $(wc -l <"$W/nvct-spec") nvct; only NVIDIA:"
        sed 's/^/   /' "$OUT/parity-spec-only-nvidia.txt" | tee -a "$RESULTS"
        log "   only nvct:"; sed 's/^/   /' "$OUT/parity-spec-only-nvct.txt" | tee -a "$RESULTS"
fi

# ---------------------------------------------------------------- timings (medians, alternating A/B/C)
median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "-"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
bench_bundle() { # bench_bundle DIR ENV HOOKS: /bin/true container
        bundle "$1" "$2" "$3"
        sed -i 's|"args":\["/bin/sh","/check.sh"\]|"args":["/bin/true"]|' "$1/config.json"
}
printf '[nvidia-container-cli]\ndebug = "%s"\n' "$W/hook-debug.log" >"$W/config-hookdebug.toml"
bench_bundle "$W/bb" "" ""
bench_bundle "$W/bh" "$ENV_ALL" "\"prestart\":[{\"path\":\"$W/bin/nvidia-container-runtime-hook\",\"args\":[\"nvidia-container-runtime-hook\",\"-config\",\"$W/config-hookdebug.toml\",\"prestart\"]}]"
bench_bundle "$W/bs" "$ENV_ALL" ""
bench_bundle "$W/bc" ',"NVIDIA_VISIBLE_DEVICES=nvidia.com/gpu=0","NVIDIA_DRIVER_CAPABILITIES=compute,utility"' ""
cp "$W/bc/config.json" "$W/bc/config.orig"
export NVIDIA_CTK_CONFIG_FILE_PATH=$W/config-legacy.toml
cp "$W/bs/config.json" "$W/bs/config.orig"
: >"$W/t.base"; : >"$W/t.hook"; : >"$W/t.shim"; : >"$W/c.base"; : >"$W/c.hook"; : >"$W/c.shim"; : >"$W/t.cdi"; : >"$W/c.cdi"
N=${NVCT_GPU_BENCH_RUNS:-30}
VARIANTS=(base hook shim cdi)
for i in $(seq 1 "$N"); do
        # interleaved, and each round starts with a different variant so no one always runs first
        for k in 0 1 2 3; do
                v=${VARIANTS[$(( (i + k) % 4 ))]}
                export NVIDIA_CTK_CONFIG_FILE_PATH=$W/config-legacy.toml
                case $v in base) b=$W/bb; rt="$RUNC" ;; hook) b=$W/bh; rt="$RUNC" ;;
                shim) b=$W/bs; rt="nvidia-container-runtime --root $W/runc-state"; cp "$b/config.orig" "$b/config.json" ;;
                cdi) b=$W/bc; rt="nvidia-container-runtime --root $W/runc-state"; cp "$b/config.orig" "$b/config.json"
                     export NVIDIA_CTK_CONFIG_FILE_PATH=$W/config-cdi.toml ;; esac
                t0=$(now_us)
                (cd "$b" && $rt create "bench-$v" >"$W/bench.err" 2>&1)
                crc=$?
                t1=$(now_us)
                if [ $crc -ne 0 ]; then
                        echo "$v: $(head -c 300 "$W/bench.err")" >>"$W/bench.failures"
                        $RUNC delete -f "bench-$v" >/dev/null 2>&1
                        continue
                fi
                (cd "$b" && $rt start "bench-$v" >/dev/null 2>&1)
                $RUNC delete -f "bench-$v" >/dev/null 2>&1
                t2=$(now_us)
                echo $(( (t1 - t0) )) >>"$W/c.$v"
                echo $(( (t2 - t0) )) >>"$W/t.$v"
        done
done
unset NVIDIA_CTK_CONFIG_FILE_PATH
ms() { awk '{printf "%.1f", $1/1000}'; }
if [ -s "$W/bench.failures" ]; then
        log "== bench: $(wc -l <"$W/bench.failures") failed creates (excluded from the medians):"
        sort "$W/bench.failures" | uniq -c | head -5 | tee -a "$RESULTS"
fi
CB=$(median <"$W/c.base"); CH=$(median <"$W/c.hook"); CS=$(median <"$W/c.shim")
TB=$(median <"$W/t.base"); TH=$(median <"$W/t.hook"); TS=$(median <"$W/t.shim")
CC=$(median <"$W/c.cdi"); TC=$(median <"$W/t.cdi")
quartile() { sort -n | awk -v q="$1" '{a[NR]=$1} END {i=int((NR-1)*q)+1; print (NR ? a[i] : 0)}'; }
NOISE=$(( $(quartile 0.75 <"$W/c.base") - $(quartile 0.25 <"$W/c.base") ))
HOOK_MS=$(sed -n 's/.*hook: total \([0-9.]*\) ms/\1/p' "$W/hook-debug.log" | median)
HOOK_PHASES=$(grep -m1 'hook: parse' "$W/hook-debug.log" | sed 's/.*\] //')
time_cmd() { local s=(); for i in $(seq 1 20); do t0=$(now_us); "$@" >/dev/null 2>&1; t1=$(now_us); s+=($((t1 - t0))); done; printf '%s\n' "${s[@]}" | median; }
T_INFO=$(time_cmd "$NVCT" cli info); T_LIST=$(time_cmd "$NVCT" cli list); T_SMI=$(time_cmd nvidia-smi -L)
T_GEN=$(time_cmd "$NVCT" ctk cdi generate --output "$W/gen.yaml")
{
        echo
        echo "== start cost (median of $N, µs → ms): runc create | create+start+delete"
        printf '%-28s %10s %14s\n' "runc alone" "$(echo "$CB" | ms)" "$(echo "$TB" | ms)"
        printf '%-28s %10s %14s   added to create: %s ms\n' "runc + nvct hook" "$(echo "$CH" | ms)" "$(echo "$TH" | ms)" "$(echo $((${CH%.*} - ${CB%.*})) | ms)"
        printf '%-28s %10s %14s   added to create+start+delete: %s ms\n' "nvct shim (legacy) + runc" "$(echo "$CS" | ms)" "$(echo "$TS" | ms)" "$(echo $((${TS%.*} - ${TB%.*})) | ms)"
        printf '%-28s %10s %14s   added to create+start+delete: %s ms\n' "nvct shim (cdi) + runc" "$(echo "$CC" | ms)" "$(echo "$TC" | ms)" "$(echo $((${TC%.*} - ${TB%.*})) | ms)"
        echo "noise: runc alone's create spans $(echo "$NOISE" | ms) ms between its quartiles; differences of medians below that are noise"
        echo "== the hook's own time inside runc create (its debug log, median of $N): $HOOK_MS ms; one run: $HOOK_PHASES"
        awk -v h="$HOOK_MS" 'BEGIN { if (h > 0) printf "ratio: NVIDIA'"'"'s hook adds 65.7 ms to create on the H100; nvct'"'"'s hook process takes %.2f ms, %.0fx less\n", h, 65.7 / h }'
        echo "== tools (median of 20, ms): info $(echo "$T_INFO" | ms), list $(echo "$T_LIST" | ms), cdi generate $(echo "$T_GEN" | ms), nvidia-smi -L $(echo "$T_SMI" | ms)"
} | tee -a "$RESULTS" >"$W/timings"
ROWS+=("")

# ---------------------------------------------------------------- summary
{
        echo
        echo "================ nvct real-GPU summary ($(echo "$HOST_SMI" | head -1 | cut -d'(' -f1), driver $DRV)"
        printf '%s\n' "${ROWS[@]}"
        cat "$W/timings"
        echo "$PASS passed, $FAIL failed"
} | tee "$OUT/gpu-summary.txt"
[ "$FAIL" -eq 0 ]
