/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "cdi-spec.h"
#include "driver.h"
#include "error.h"

/*
 * plan → CDI spec, as `nvidia-ctk cdi generate` lays it out. The file set comes from nvct_plan_compute with
 * NVCT_LAYOUT_HOST_PATHS, so a CDI container gets exactly what the hook would inject: common edits hold the
 * control nodes, every driver file, the env and the hooks; each device holds its own nodes.
 */

typedef enum NvctCdiNaming {
        NVCT_CDI_NAME_INDEX = 1 << 0,      /* "0", MIG "0:1" */
        NVCT_CDI_NAME_UUID = 1 << 1,       /* "GPU-…", "MIG-…" */
        NVCT_CDI_NAME_TYPE_INDEX = 1 << 2, /* "gpu0", "mig0:1" */
} NvctCdiNaming;

typedef enum NvctCdiHookId {
        NVCT_CDI_HOOK_CREATE_SYMLINKS = 1 << 0,
        NVCT_CDI_HOOK_ENABLE_CUDA_COMPAT = 1 << 1,
        NVCT_CDI_HOOK_UPDATE_LDCACHE = 1 << 2,
        NVCT_CDI_HOOK_DISABLE_DEVICE_NODE_MODIFICATION = 1 << 3,
        NVCT_CDI_HOOK_UPDATE_APPLICATION_PROFILE = 1 << 4,
        NVCT_CDI_HOOK_ALL = (1 << 5) - 1,
} NvctCdiHookId;

/* The hooks on by default: all but update-application-profile. */
#define NVCT_CDI_HOOKS_DEFAULT (NVCT_CDI_HOOK_ALL & ~NVCT_CDI_HOOK_UPDATE_APPLICATION_PROFILE)

typedef enum NvctCdiMode {
        NVCT_CDI_MODE_NVML,        /* per-GPU and per-MIG devices (auto and nvml) */
        NVCT_CDI_MODE_MANAGEMENT,  /* every node under /dev/nvidia*, one "all" device */
} NvctCdiMode;

typedef struct NvctCdiGenerateOptions {
        const NvctRoots *roots;     /* as discovered (host paths below the roots) */
        NvctCdiMode mode;
        const char *vendor;         /* NULL: nvidia.com */
        const char *class_;         /* NULL: gpu */
        unsigned naming;            /* NvctCdiNaming; 0: index|uuid */
        bool no_all_device;
        char *const *device_ids;    /* NULL or {"all"}: every device; {"none"}: none (and no "all") */
        const char *hook_path;      /* absolute path of nvidia-cdi-hook (or nvidia-ctk) */
        const char *ldconfig_path;  /* NULL: the hook's default */
        unsigned hooks;             /* NvctCdiHookId set; 0 = NVCT_CDI_HOOKS_DEFAULT */
        unsigned caps;              /* NvctCaps; 0 = every capability but compat32 */
        bool additional_gids;       /* add a node's gid when the node is not world-accessible */
} NvctCdiGenerateOptions;

/* "create-symlinks" → NVCT_CDI_HOOK_CREATE_SYMLINKS, "all" → NVCT_CDI_HOOK_ALL; 0 if unknown. */
unsigned nvct_cdi_hook_from_name(const char *name);
/* "index" → NVCT_CDI_NAME_INDEX …; 0 if unknown. */
unsigned nvct_cdi_naming_from_name(const char *name);

/*
 * Discovery as generate needs it: procfs, /dev and the driver's files; NVML only when procfs cannot name a
 * device (MIG UUIDs with uuid naming, or need_nvml).
 */
int nvct_cdi_discover(const NvctRoots *roots, unsigned naming, bool need_nvml, NvctDriver **ret, NvctError *err);

/* Build the spec. Its cdiVersion is the minimum its content needs. */
int nvct_cdi_generate(const NvctDriver *drv, const NvctCdiGenerateOptions *opts, NvctCdiSpec **ret,
                      NvctError *err);

/*
 * The driver version a spec was generated for: the enable-cuda-compat hook's --host-driver-version, else the
 * version suffix of a mounted libcuda.so.V / libnvidia-ml.so.V. NULL when the spec does not say (caller frees).
 */
char *nvct_cdi_spec_driver_version(const NvctCdiSpec *s);
