/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Discovery: a typed description of the host driver. Nothing here knows about containers.
 * Every lookup happens below the roots given in NvctRoots, so tests run against a simulated driver tree.
 */

typedef struct NvctRoots {
        const char *driver_root; /* libraries, binaries, firmware, ld.so.cache, configs; "/" on a normal host */
        const char *dev_root;    /* the directory holding dev/ (device nodes); usually the same as driver_root */
        const char *proc_root;   /* the procfs holding driver/nvidia and devices; "/proc" on a normal host */
        const char *sys_root;    /* sysfs; "/sys" on a normal host */
        const char *ldcache;     /* ld.so.cache, resolved inside driver_root; "/etc/ld.so.cache" by default */
        const char *ipc_root;    /* where run/nvidia-persistenced etc. live; defaults to driver_root */
} NvctRoots;

#define NVCT_ROOTS_DEFAULT                                                                                             \
        { .driver_root = "/", .dev_root = "/", .proc_root = "/proc", .sys_root = "/sys",                               \
          .ldcache = "/etc/ld.so.cache", .ipc_root = "/" }

typedef struct NvctDevNode {
        char *path;      /* path inside a container, e.g. "/dev/nvidia0" */
        char *host_path; /* absolute host path, below dev_root */
        unsigned major;
        unsigned minor;
        mode_t mode;     /* permission bits of the host node */
        uid_t uid;
        gid_t gid;
        bool present;    /* the node exists on the host with the expected type and number */
} NvctDevNode;

typedef struct NvctMigDevice {
        unsigned index;      /* enumeration index within the parent: the "GPU:MIG" selector */
        unsigned gi;         /* GPU instance id */
        unsigned ci;         /* compute instance id */
        char uuid[96];       /* "MIG-…" */
        /* nvidia-caps minors of the gi and ci access capabilities, from /proc/driver/nvidia-caps/mig-minors */
        int gi_cap_minor;    /* -1 when unknown */
        int ci_cap_minor;
        /* /proc/driver/nvidia/capabilities/gpu<minor>/mig/gi<G>/access and …/ci<C>/access (container paths) */
        char *gi_access;
        char *ci_access;
} NvctMigDevice;

typedef struct NvctGpu {
        unsigned index;          /* enumeration index (NVML order, or bus-id order without NVML) */
        unsigned minor;          /* /dev/nvidia<minor> */
        char uuid[96];           /* "GPU-…" */
        char busid[32];          /* "00000000:00:06.0", 8-hex-digit domain */
        char model[128];
        char brand[32];          /* "Nvidia", "Tesla", …; empty without NVML */
        char arch[16];           /* compute capability "9.0"; empty without NVML */
        unsigned long long memory_total; /* bytes; 0 without NVML */
        bool mig_capable;
        bool mig_enabled;
        NvctMigDevice *migs;
        size_t n_migs;
        char *proc_dir;          /* "/proc/driver/nvidia/gpus/<bus>" as the host's procfs names it */
        NvctDevNode node;        /* /dev/nvidia<minor> */
        NvctDevNode drm_card;    /* /dev/dri/cardN, present=false if none */
        NvctDevNode drm_render;  /* /dev/dri/renderDN */
} NvctGpu;

typedef enum NvctFileKind {
        NVCT_FILE_LIB,        /* a driver library (64-bit) */
        NVCT_FILE_LIB32,      /* a 32-bit driver library (compat32) */
        NVCT_FILE_BIN,        /* a driver binary */
        NVCT_FILE_FIRMWARE,   /* GSP firmware */
        NVCT_FILE_IPC,        /* a socket or the MPS pipe directory */
        NVCT_FILE_CONFIG,     /* graphics config files (vulkan icd, glvnd, egl platforms, xorg, nvoptix.bin) */
        NVCT_FILE_XORG,       /* X.Org driver modules */
} NvctFileKind;

typedef enum NvctIpcKind {
        NVCT_IPC_NONE = 0,
        NVCT_IPC_PERSISTENCED,
        NVCT_IPC_FABRICMANAGER,
        NVCT_IPC_MPS,
} NvctIpcKind;

typedef struct NvctFile {
        NvctFileKind kind;
        unsigned caps;          /* NVCT_CAP_* bits any of which selects this file */
        char *path;             /* the path as listed (driver-root relative, absolute form), e.g.
                                   "/usr/local/nvidia/lib64/libcuda.so.580.159.04" */
        char *host_path;        /* absolute path on this host of the real file (driver_root joined, resolved) */
        char *container_path;   /* fixed container destination (firmware, configs, IPC, xorg); NULL for libs and
                                   bins, whose directory the plan picks from the image layout */
        char *soname;           /* libraries: DT_SONAME, e.g. "libcuda.so.1"; NULL if none */
        NvctIpcKind ipc;
} NvctFile;

typedef struct NvctMigMinor {
        /* One line of /proc/driver/nvidia-caps/mig-minors: "gpu0/gi1/ci0/access 12", "config 1", "monitor 2". */
        int gpu;        /* -1 for the global config/monitor entries */
        int gi;         /* -1 for a gpu-level entry */
        int ci;         /* -1 for a gi-level entry */
        char name[16];  /* "access", "config", "monitor" */
        unsigned minor;
} NvctMigMinor;

typedef struct NvctDriver {
        char version[64];          /* NVRM version, "580.159.04" */
        char cuda_version[16];     /* "13.0"; empty when unknown (no NVML) */
        bool nvml_used;            /* brand/arch/cuda/memory are filled */

        NvctGpu *gpus;
        size_t n_gpus;

        /* Control nodes in this fixed order: nvidiactl, nvidia-uvm, nvidia-uvm-tools, nvidia-modeset. */
        NvctDevNode ctl[4];
        NvctDevNode *imex_channels; /* /dev/nvidia-caps-imex-channels/channelN present on the host */
        size_t n_imex_channels;
        NvctDevNode *cap_nodes;     /* /dev/nvidia-caps/nvidia-capN present on the host (MIG and config/monitor) */
        size_t n_cap_nodes;

        /* Majors from /proc/devices; 0 when the driver has none. */
        unsigned major_nvidia;     /* "nvidia-frontend" or "nvidia" (195) */
        unsigned major_uvm;        /* "nvidia-uvm" */
        unsigned major_caps;       /* "nvidia-caps" */
        unsigned major_imex;       /* "nvidia-caps-imex-channels" */

        NvctMigMinor *mig_minors;
        size_t n_mig_minors;

        NvctFile *files;           /* in NVIDIA's list order: binaries, libraries, lib32, ipc, firmware, configs */
        size_t n_files;
        char **lib_dirs;           /* the directories holding the driver's 64-bit libraries (driver-root paths) */

        char *proc_params;         /* text of /proc/driver/nvidia/params, NULL if absent */
        char *proc_version;        /* text of /proc/driver/nvidia/version */
        char *proc_registry;       /* text of /proc/driver/nvidia/registry, NULL if absent */
} NvctDriver;

typedef enum NvctDiscoverFlags {
        NVCT_DISCOVER_NVML = 1 << 0,     /* load NVML for brand, arch, CUDA version, memory, MIG */
        NVCT_DISCOVER_FILES = 1 << 1,    /* libraries, binaries, firmware, IPC, configs */
        NVCT_DISCOVER_COMPAT32 = 1 << 2, /* also 32-bit libraries */
        NVCT_DISCOVER_NO_NVML_FALLBACK = 1 << 3, /* fail rather than fall back to procfs when NVML fails */
        /* read /proc/driver/nvidia-caps/mig-minors (thousands of lines) even when no GPU has MIG instances:
         * needed for --mig-config/--mig-monitor=all */
        NVCT_DISCOVER_MIG_MINORS = 1 << 4,
} NvctDiscoverFlags;

typedef struct NvctDiscoverOptions {
        unsigned flags;
        unsigned nvml_timeout_ms;  /* 0: default (10 s) */
        uid_t nvml_uid;            /* identity of the NVML helper; (uid_t)-1 keeps ours */
        gid_t nvml_gid;
        /* Optional debug sink: one line per decision. */
        void (*log)(void *userdata, const char *fmt, ...) _printf_(2, 3);
        void *log_userdata;
} NvctDiscoverOptions;

int nvct_driver_discover(const NvctRoots *roots, const NvctDiscoverOptions *opts, NvctDriver **ret, NvctError *err);
NvctDriver *nvct_driver_free(NvctDriver *d);
static inline void nvct_driver_freep(NvctDriver **d) {
        nvct_driver_free(*d);
}
#define _cleanup_driver_ _cleanup_(nvct_driver_freep)

/* Control node indexes into NvctDriver.ctl. */
enum { NVCT_CTL_NVIDIACTL, NVCT_CTL_UVM, NVCT_CTL_UVM_TOOLS, NVCT_CTL_MODESET, NVCT_CTL_COUNT };
