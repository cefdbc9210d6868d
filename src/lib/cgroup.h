/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Device access for a container's cgroup.
 *
 * The cgroup is found from the container process (/proc/PID/cgroup) and the host's mount table, and opened as an
 * fd beneath the cgroup mount (never by following a path the container could have swapped). On a v1 host the
 * rules are written to devices.allow. On v2 the device policy is the set of BPF_CGROUP_DEVICE programs attached to
 * the cgroup: each one is replaced, atomically, by a copy that first allows the requested devices and then runs
 * the original instructions. On a hybrid host (v1 devices controller plus a cgroup2 mount) both are updated, since
 * the kernel consults both.
 */

/* A major or minor number that matches every device ("*" in devices.allow). */
#define NVCT_CGROUP_ANY ((unsigned) -1)

typedef struct NvctCgroupRule {
        char type;      /* 'c' (char), 'b' (block) or 'a' (all) */
        unsigned major; /* or NVCT_CGROUP_ANY */
        unsigned minor; /* or NVCT_CGROUP_ANY */
        char access[4]; /* any of "rwm", e.g. "rw" */
} NvctCgroupRule;

typedef enum NvctCgroupVersion {
        NVCT_CGROUP_V1 = 1 << 0, /* a v1 hierarchy with the devices controller */
        NVCT_CGROUP_V2 = 1 << 1, /* the unified hierarchy (device policy through eBPF) */
} NvctCgroupVersion;

typedef struct NvctCgroup NvctCgroup;

/*
 * Locate and open the cgroup(s) of the process whose /proc/PID directory is open at proc_pid_fd (the caller
 * pinned it, so a recycled pid cannot redirect us). Mounts are taken from the host's /proc/self/mountinfo.
 * Fails with ENOENT when the cgroup directory is gone, and with ENODEV when no device cgroup is found.
 */
int nvct_cgroup_open(int proc_pid_fd, NvctCgroup **ret, NvctError *err);
/* Same, for a pid: opens /proc/PID first. */
int nvct_cgroup_open_pid(pid_t pid, NvctCgroup **ret, NvctError *err);
NvctCgroup *nvct_cgroup_free(NvctCgroup *cg);
static inline void nvct_cgroup_freep(NvctCgroup **cg) {
        nvct_cgroup_free(*cg);
}
#define _cleanup_cgroup_ _cleanup_(nvct_cgroup_freep)

/* NvctCgroupVersion bits: which hierarchies were found. */
unsigned nvct_cgroup_versions(const NvctCgroup *cg);
/* Host path of the opened cgroup directory for one version, or NULL. For messages only. */
const char *nvct_cgroup_path(const NvctCgroup *cg, NvctCgroupVersion v);

/* Parse "c 195:0 rw", "c 195:* rwm", "a". */
int nvct_cgroup_rule_parse(const char *s, NvctCgroupRule *ret, NvctError *err);
/* Format a rule as devices.allow wants it. buf should hold at least 64 bytes. */
int nvct_cgroup_rule_format(const NvctCgroupRule *rule, char *buf, size_t size);

/*
 * Allow the devices in rules, keeping every existing restriction. All rules are applied in one pass: on v2 one
 * program load and one atomic attach-replace per attached program, whatever the number of rules.
 * Returns the number of v1 rules written plus v2 programs replaced; 0 means nothing restricts devices in this
 * cgroup (no devices controller and no device program attached), which the caller may want to log.
 */
int nvct_cgroup_allow_devices(NvctCgroup *cg, const NvctCgroupRule *rules, size_t n, NvctError *err);
