/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "plan.h"

/*
 * Apply a plan to a live container: the prestart hook and `nvidia-container-cli configure`.
 * The container process is pinned with a pidfd before its mount namespace is entered; every path inside the
 * rootfs goes through the fd-based resolver and every mount is made by fd. A failure undoes what was done: the
 * rootfs is left with no mount, no created file and no created link.
 */
typedef struct NvctInjectTarget {
        pid_t pid;              /* container init, as seen on the host */
        const char *rootfs;     /* rootfs path inside the container's mount namespace (from the runtime) */
        bool no_devbind;        /* make nodes with mknod instead of binding the host's */
        bool no_cgroups;        /* leave device cgroup rules to the runtime */
        uid_t uid;              /* owner of the container (for created directories); (uid_t)-1 = keep */
        gid_t gid;
        const char *ldconfig;   /* host ldconfig to run sandboxed, or NULL for none */
        bool no_pivot;
        unsigned ldconfig_timeout_ms;
        void (*log)(void *userdata, const char *fmt, ...) _printf_(2, 3);
        void *log_userdata;
} NvctInjectTarget;

/* Phase timings in microseconds, for `--debug` and the benchmarks. */
typedef struct NvctInjectStats {
        long long enter_us;
        long long mounts_us;
        long long nodes_us;
        long long symlinks_us;
        long long cgroups_us;
        long long ldconfig_us;
        unsigned n_mounts;
        unsigned n_nodes;
        unsigned n_symlinks;
} NvctInjectStats;

int nvct_inject(const NvctPlan *plan, const NvctInjectTarget *target, NvctInjectStats *stats, NvctError *err);

/*
 * Pin pid and open its mount namespace. Returns the pidfd (or a /proc/PID dir fd where pidfd_open is missing) and
 * stores the namespace fd in *ret_mntns_fd. Fails with ESRCH when the process is gone.
 */
int nvct_container_pin(pid_t pid, int *ret_mntns_fd, NvctError *err);
/* ESRCH when the pinned process has exited. */
int nvct_container_alive(int pin_fd, pid_t pid, NvctError *err);
