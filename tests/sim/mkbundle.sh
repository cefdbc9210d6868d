#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# mkbundle.sh BUNDLE ROOTFS [CMD...]: an OCI bundle (config.json like `runc spec` writes, adjusted with jq) that
# runs CMD (default /bin/true) in ROOTFS: absolute root.path, writable root, no terminal, no network namespace.
# Prints the absolute bundle path.
set -euo pipefail

die() { echo "mkbundle: $*" >&2; exit 1; }
[ $# -ge 2 ] || die "usage: mkbundle.sh BUNDLE ROOTFS [CMD...]"
BUNDLE=$1 ROOTFS=$2
shift 2
[ $# -gt 0 ] || set -- /bin/true
[ -d "$ROOTFS" ] || die "$ROOTFS is not a directory"
command -v jq >/dev/null || die "jq not found"
mkdir -p "$BUNDLE"
BUNDLE=$(cd "$BUNDLE" && pwd -P)
ROOTFS=$(cd "$ROOTFS" && pwd -P)

# "--" keeps jq from taking "-c" and friends in the command for its own options.
CMD=$(jq -nc '$ARGS.positional' --args -- "$@")
jq -n --arg root "$ROOTFS" --argjson cmd "$CMD" '{
  ociVersion: "1.0.2-dev",
  process: {
    terminal: false,
    user: { uid: 0, gid: 0 },
    args: $cmd,
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    cwd: "/",
    capabilities: (["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"] as $c |
      { bounding: $c, effective: $c, permitted: $c, ambient: $c }),
    rlimits: [{ type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 }],
    noNewPrivileges: true
  },
  root: { path: $root, readonly: false },
  hostname: "runc",
  mounts: [
    { destination: "/proc", type: "proc", source: "proc" },
    { destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"] },
    { destination: "/dev/pts", type: "devpts", source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"] },
    { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: ["nosuid", "noexec", "nodev", "relatime", "ro"] }
  ],
  linux: {
    resources: { devices: [{ allow: false, access: "rwm" }] },
    namespaces: [{ type: "pid" }, { type: "ipc" }, { type: "uts" }, { type: "mount" }, { type: "cgroup" }],
    maskedPaths: ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}' >"$BUNDLE/config.json"
echo "$BUNDLE"
