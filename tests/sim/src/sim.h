/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * The simulated driver's view of the machine. mksim.sh generates one `sim_config` (sim-config.c) per driver
 * root and compiles it into the fake NVML and the fake libcuda, so both behave the same inside a container,
 * where no file of the simulator exists.
 */

#include <stdbool.h>

#define SIM_MAX_GPUS 8
#define SIM_MAX_MIGS 7

/* Faults baked in with `mksim.sh --nvml-error NAME`; see tests/sim/README.md. */
enum {
        SIM_ERR_INIT = 1 << 0,            /* nvmlInit*: NVML_ERROR_DRIVER_NOT_LOADED */
        SIM_ERR_INIT_PERMISSION = 1 << 1, /* nvmlInit*: NVML_ERROR_NO_PERMISSION */
        SIM_ERR_INIT_MISMATCH = 1 << 2,   /* nvmlInit*: NVML_ERROR_LIB_RM_VERSION_MISMATCH */
        SIM_ERR_INIT_HANG = 1 << 3,       /* nvmlInit* never returns */
        SIM_ERR_INIT_CRASH = 1 << 4,      /* nvmlInit* dies of SIGSEGV */
        SIM_ERR_COUNT = 1 << 5,           /* nvmlDeviceGetCount*: NVML_ERROR_UNKNOWN */
        SIM_ERR_GPU_LOST = 1 << 6,        /* every per-device query: NVML_ERROR_GPU_IS_LOST */
        SIM_ERR_UUID = 1 << 7,            /* nvmlDeviceGetUUID: NVML_ERROR_UNKNOWN */
        SIM_ERR_MIG = 1 << 8,             /* nvmlDeviceGetMigDeviceHandleByIndex: NVML_ERROR_UNKNOWN */
        SIM_ERR_CUDA_VERSION = 1 << 9,    /* nvmlSystemGetCudaDriverVersion*: NVML_ERROR_UNKNOWN */
        SIM_ERR_DRIVER_VERSION = 1 << 10, /* nvmlSystemGetDriverVersion: NVML_ERROR_UNKNOWN */
        SIM_ERR_SHUTDOWN_HANG = 1 << 11,  /* nvmlShutdown never returns */
};

typedef struct SimMig {
        const char *uuid;    /* "MIG-…" */
        const char *profile; /* "1g.10gb" */
        unsigned gi;         /* GPU instance id */
        unsigned ci;         /* compute instance id */
        unsigned gi_cap;     /* nvidia-caps minor of gpu<minor>/gi<gi>/access */
        unsigned ci_cap;     /* nvidia-caps minor of gpu<minor>/gi<gi>/ci<ci>/access */
        unsigned long long memory;
} SimMig;

typedef struct SimGpu {
        const char *name;
        const char *uuid;    /* "GPU-…" */
        const char *busid;   /* NVML form, "00000000:18:00.0" */
        unsigned domain, bus, device, function;
        unsigned minor;
        int brand;
        int cc_major, cc_minor;
        unsigned long long memory;
        unsigned pci_device_id, pci_subsystem_id;
        bool mig_capable;
        bool mig_enabled;
        unsigned n_migs;
        SimMig migs[SIM_MAX_MIGS];
} SimGpu;

typedef struct SimConfig {
        const char *root;           /* the absolute driver root the simulator was written to */
        const char *driver_version; /* "580.159.04" */
        const char *nvml_version;   /* "13.580.159.04" */
        int cuda_version;           /* 13000 for 13.0 */
        unsigned errors;            /* SIM_ERR_* */
        unsigned n_gpus;
        SimGpu gpus[SIM_MAX_GPUS];
} SimConfig;

extern const SimConfig sim_config;

/* What the calling process can reach now: the devices whose nodes it may open. */
typedef struct SimView {
        bool ctl;                       /* /dev/nvidiactl can be opened */
        unsigned n_gpus;                /* visible GPUs, in enumeration order */
        unsigned gpu[SIM_MAX_GPUS];     /* index into sim_config.gpus */
        unsigned n_migs[SIM_MAX_GPUS];  /* visible MIG devices of each visible GPU */
        unsigned mig[SIM_MAX_GPUS][SIM_MAX_MIGS]; /* index into sim_config.gpus[].migs */
} SimView;

void sim_view_probe(SimView *v);
