/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "driver.h"
#include "error.h"

/*
 * The plan: a pure description of the edits that give a container its GPUs. It is computed once from a request
 * and a discovery, then applied three ways: to a live container (inject), to an OCI config.json (oci) or written
 * as a CDI spec (cdi). Its model is CDI's containerEdits plus what CDI has no field for (symlinks, ld.so.conf
 * directories, the /proc/driver/nvidia view), which in CDI travel as hook invocations.
 */

typedef enum NvctMountFlags {
        NVCT_MNT_RO = 1 << 0,
        NVCT_MNT_NOSUID = 1 << 1,
        NVCT_MNT_NODEV = 1 << 2,
        NVCT_MNT_NOEXEC = 1 << 3,
} NvctMountFlags;

typedef enum NvctMountKind {
        NVCT_MOUNT_FILE,   /* bind a regular file onto a file */
        NVCT_MOUNT_DIR,    /* bind a directory (MPS pipe dir, capabilities dir, gpus/<bus>) */
        NVCT_MOUNT_SOCKET, /* bind a unix socket */
} NvctMountKind;

typedef struct NvctPlanMount {
        NvctMountKind kind;
        char *host_path;      /* absolute host path of the source (already resolved inside the driver root) */
        char *container_path; /* absolute path inside the container */
        unsigned flags;       /* NvctMountFlags */
} NvctPlanMount;

typedef struct NvctPlanDevice {
        char *host_path;      /* host node to bind (devbind) or to stat */
        char *container_path; /* "/dev/nvidia0" */
        char type;            /* 'c' */
        unsigned major;
        unsigned minor;
        mode_t mode;          /* permission bits for a created node */
        uid_t uid;
        gid_t gid;
        char access[4];       /* cgroup access, "rw" (legacy) or "rwm" (CDI) */
} NvctPlanDevice;

typedef struct NvctPlanSymlink {
        char *link_path;      /* absolute path inside the container */
        char *target;         /* link content, usually a relative basename */
} NvctPlanSymlink;

/* A file of the /proc/driver/nvidia view: copied into a fresh read-only tmpfs, never bind-mounted. */
typedef struct NvctPlanProcFile {
        char *name;           /* "params", "version", "registry" */
        char *content;
        size_t len;
} NvctPlanProcFile;

typedef enum NvctPlanLayout {
        /* Libraries and binaries go into the image's own directories (nvidia-container-cli, the hook). */
        NVCT_LAYOUT_IMAGE_DIRS,
        /* Everything at its host path, plus an ld.so.conf directory (CDI specs, as nvidia-ctk generates). */
        NVCT_LAYOUT_HOST_PATHS,
} NvctPlanLayout;

typedef struct NvctPlan {
        NvctPlanMount *mounts;       /* in apply order */
        size_t n_mounts;
        NvctPlanDevice *devices;     /* control nodes first, then per-GPU, MIG caps, IMEX */
        size_t n_devices;
        NvctPlanSymlink *symlinks;
        size_t n_symlinks;
        char **ldconfig_dirs;        /* container directories to hand to ldconfig (NULL-terminated, may be NULL) */
        char **env;                  /* KEY=VALUE to set in the container (CDI env) */

        bool proc_driver_view;       /* mount a tmpfs at /proc/driver/nvidia holding proc_files */
        NvctPlanProcFile *proc_files;
        size_t n_proc_files;

        char *libs_dir;              /* container library directory chosen (image layout) */
        char *libs32_dir;
        char *bins_dir;
        char *compat_dir;            /* CUDA forward-compat dir to put first in ld.so.conf.d, or NULL */
        char *driver_version;        /* for hooks (enable-cuda-compat --host-driver-version) and specs */
        bool run_ldconfig;           /* libraries were injected and the cache must be refreshed */
} NvctPlan;

NvctPlan *nvct_plan_new(void);
NvctPlan *nvct_plan_free(NvctPlan *p);
static inline void nvct_plan_freep(NvctPlan **p) {
        nvct_plan_free(*p);
}
#define _cleanup_plan_ _cleanup_(nvct_plan_freep)

/* Builders, used by plan.c and by tests. Each copies its strings; they return 0 or -ENOMEM. */
int nvct_plan_add_mount(NvctPlan *p, NvctMountKind kind, const char *host, const char *container, unsigned flags);
int nvct_plan_add_device(NvctPlan *p, const NvctPlanDevice *d);
int nvct_plan_add_symlink(NvctPlan *p, const char *link_path, const char *target);
int nvct_plan_add_proc_file(NvctPlan *p, const char *name, const char *content, size_t len);

/* What the plan is computed from. Only the driver and the selection are required; NULL dirs get defaults. */
typedef struct NvctPlanInput {
        const NvctDriver *driver;
        const NvctRoots *roots;        /* to name host sources below proc_root; NULL = defaults */
        const bool *gpus;              /* driver->n_gpus flags: GPU selected (a MIG device's parent included) */
        const bool *const *migs;       /* per GPU, driver->gpus[i].n_migs flags; NULL = no MIG device selected */
        unsigned caps;                 /* NvctCaps */
        NvctPlanLayout layout;
        const char *libs_dir;          /* IMAGE_DIRS: container library dir, default /usr/lib/x86_64-linux-gnu */
        const char *libs32_dir;        /* default /usr/lib/i386-linux-gnu */
        const char *bins_dir;          /* default /usr/bin */
        bool mig_config_all;           /* --mig-config=all */
        bool mig_monitor_all;          /* --mig-monitor=all */
        const unsigned *imex_channels;
        size_t n_imex_channels;
        bool no_persistenced;
        bool no_fabricmanager;
        bool no_gsp_firmware;
        const char *compat_dir;        /* container CUDA forward-compat dir to prefer, or NULL */
        const char *device_access;     /* cgroup access for nodes: "rw" (legacy, default) or "rwm" (CDI) */
} NvctPlanInput;

/*
 * Compute the edits. Pure: no I/O, so it is tested with tables. Optional host files the driver lacks are simply
 * not in the plan (discovery only lists what exists).
 */
int nvct_plan_compute(const NvctPlanInput *in, NvctPlan **ret, NvctError *err);

/* "ModifyDeviceFiles: 1" → "ModifyDeviceFiles: 0" in a copy of /proc/driver/nvidia/params. Caller frees. */
char *nvct_params_disable_modify(const char *params);
