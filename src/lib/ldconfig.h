/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Rebuild a container's /etc/ld.so.cache with the host's ldconfig, in a sandbox.
 *
 * Nothing from the image is executed: the host binary (which must be a static ELF, so no interpreter from the
 * image is loaded either) is copied into a sealed memfd and run with execveat(AT_EMPTY_PATH). The child gets new
 * pid, ipc, net, uts and mount namespaces, pivots into the rootfs, covers /proc, /sys and /dev with empty
 * read-only tmpfs (so a cache symlink into /proc/1/root leads nowhere), runs under rlimits as the container
 * owner with an empty bounding set (CAP_DAC_OVERRIDE alone when the owner is root), no_new_privs, a seccomp
 * allow-list and an empty environment.
 */

#define NVCT_LDCONFIG_TIMEOUT_MS_DEFAULT 30000u

typedef struct NvctLdconfigRun {
        int mntns_fd;              /* the container's mount namespace (pinned by the caller), or -1: the current one */
        const char *rootfs;        /* the rootfs path as seen in that namespace (trusted: from the runtime) */
        const char *ldconfig_path; /* absolute HOST path of ldconfig, without the '@' (see nvct_ldconfig_resolve_host) */
        char **dirs;               /* absolute library directories inside the container, NULL-terminated (may be NULL) */
        uid_t uid;                 /* the container owner */
        gid_t gid;
        bool no_pivot;             /* MS_MOVE + chroot instead of pivot_root (rootfs on ramfs) */
        int log_fd;                /* the child's stdout and stderr, or -1 for /dev/null */
        unsigned timeout_ms;       /* 0: NVCT_LDCONFIG_TIMEOUT_MS_DEFAULT */
} NvctLdconfigRun;

/*
 * Run the sandboxed ldconfig and wait for it. Fails with "ldconfig exited with status N", "ldconfig killed by
 * signal N", ETIMEDOUT after killing it, or the sandbox step that failed.
 */
int nvct_ldconfig_run(const NvctLdconfigRun *run, NvctError *err);

/*
 * Turn the configured ldconfig ("@/sbin/ldconfig": a host path; anything else: a path inside the container) into
 * the host path to run. For a host path, "<path>.real" is preferred when it exists, so a distribution's shell
 * wrapper is skipped. Returns 0 with *ret set to the host path. A container path is refused with EPERM unless
 * allow_from_container; then *ret is that path and 1 is returned, and the caller must not run it with privilege.
 */
int nvct_ldconfig_resolve_host(const char *configured, bool allow_from_container, char **ret, NvctError *err);

/* Internal to the sandbox: the seccomp allow-list as a classic BPF program (struct sock_filter[]), malloc'ed. */
int nvct_ldconfig_seccomp_build(void **ret, size_t *ret_size, NvctError *err);
