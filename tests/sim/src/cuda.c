/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake libcuda.so.1: enough of the CUDA driver API to prove that a process found the injected library and
 * the device nodes. It enumerates what NVML would: whole GPUs, or the visible MIG devices of a GPU in MIG mode.
 */

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define SIM_EXPORT __attribute__((visibility("default")))

typedef int CUresult;
typedef int CUdevice;

enum {
        CUDA_SUCCESS = 0,
        CUDA_ERROR_INVALID_VALUE = 1,
        CUDA_ERROR_NOT_INITIALIZED = 3,
        CUDA_ERROR_NO_DEVICE = 100,
        CUDA_ERROR_INVALID_DEVICE = 101,
};

typedef struct CudaDevice {
        const SimGpu *gpu;
        const SimMig *mig;
} CudaDevice;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static CUresult init_result = CUDA_ERROR_NOT_INITIALIZED;
static CudaDevice devices[SIM_MAX_GPUS * SIM_MAX_MIGS];
static int n_devices;

SIM_EXPORT CUresult cuDriverGetVersion(int *version) {
        if (!version)
                return CUDA_ERROR_INVALID_VALUE;
        *version = sim_config.cuda_version;
        return CUDA_SUCCESS;
}

static CUresult cuda_probe(void) {
        SimView v;

        sim_view_probe(&v);
        if (!v.ctl)
                return CUDA_ERROR_NO_DEVICE;
        n_devices = 0;
        for (unsigned k = 0; k < v.n_gpus; k++) {
                const SimGpu *g = &sim_config.gpus[v.gpu[k]];

                if (!g->mig_enabled)
                        devices[n_devices++] = (CudaDevice) { .gpu = g };
                else
                        for (unsigned m = 0; m < v.n_migs[k]; m++)
                                devices[n_devices++] = (CudaDevice) { .gpu = g, .mig = &g->migs[v.mig[k][m]] };
        }
        return n_devices > 0 ? CUDA_SUCCESS : CUDA_ERROR_NO_DEVICE;
}

/* Like the real driver, the first cuInit decides for the life of the process. */
SIM_EXPORT CUresult cuInit(unsigned int flags) {
        CUresult r;

        if (flags != 0)
                return CUDA_ERROR_INVALID_VALUE;
        pthread_mutex_lock(&lock);
        if (init_result == CUDA_ERROR_NOT_INITIALIZED)
                init_result = cuda_probe();
        r = init_result;
        pthread_mutex_unlock(&lock);
        return r;
}

static CUresult cuda_ready(void) {
        CUresult r;

        pthread_mutex_lock(&lock);
        r = init_result;
        pthread_mutex_unlock(&lock);
        return r;
}

SIM_EXPORT CUresult cuDeviceGetCount(int *count) {
        CUresult r = cuda_ready();

        if (r != CUDA_SUCCESS)
                return r;
        if (!count)
                return CUDA_ERROR_INVALID_VALUE;
        *count = n_devices;
        return CUDA_SUCCESS;
}

SIM_EXPORT CUresult cuDeviceGet(CUdevice *dev, int ordinal) {
        CUresult r = cuda_ready();

        if (r != CUDA_SUCCESS)
                return r;
        if (!dev)
                return CUDA_ERROR_INVALID_VALUE;
        if (ordinal < 0 || ordinal >= n_devices)
                return CUDA_ERROR_INVALID_DEVICE;
        *dev = ordinal;
        return CUDA_SUCCESS;
}

SIM_EXPORT CUresult cuDeviceGetName(char *name, int len, CUdevice dev) {
        CUresult r = cuda_ready();

        if (r != CUDA_SUCCESS)
                return r;
        if (!name || len <= 0)
                return CUDA_ERROR_INVALID_VALUE;
        if (dev < 0 || dev >= n_devices)
                return CUDA_ERROR_INVALID_DEVICE;
        if (devices[dev].mig)
                snprintf(name, (size_t) len, "%s MIG %s", devices[dev].gpu->name, devices[dev].mig->profile);
        else
                snprintf(name, (size_t) len, "%s", devices[dev].gpu->name);
        return CUDA_SUCCESS;
}

SIM_EXPORT CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev) {
        CUresult r = cuda_ready();

        if (r != CUDA_SUCCESS)
                return r;
        if (!bytes)
                return CUDA_ERROR_INVALID_VALUE;
        if (dev < 0 || dev >= n_devices)
                return CUDA_ERROR_INVALID_DEVICE;
        *bytes = (size_t) (devices[dev].mig ? devices[dev].mig->memory : devices[dev].gpu->memory);
        return CUDA_SUCCESS;
}

static const struct {
        CUresult code;
        const char *name;
        const char *text;
} cuda_errors[] = {
        { CUDA_SUCCESS, "CUDA_SUCCESS", "no error" },
        { CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument" },
        { CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error" },
        { CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected" },
        { CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal" },
};

SIM_EXPORT CUresult cuGetErrorName(CUresult error, const char **str) {
        if (!str)
                return CUDA_ERROR_INVALID_VALUE;
        for (size_t i = 0; i < sizeof cuda_errors / sizeof cuda_errors[0]; i++)
                if (cuda_errors[i].code == error) {
                        *str = cuda_errors[i].name;
                        return CUDA_SUCCESS;
                }
        *str = NULL;
        return CUDA_ERROR_INVALID_VALUE;
}

SIM_EXPORT CUresult cuGetErrorString(CUresult error, const char **str) {
        if (!str)
                return CUDA_ERROR_INVALID_VALUE;
        for (size_t i = 0; i < sizeof cuda_errors / sizeof cuda_errors[0]; i++)
                if (cuda_errors[i].code == error) {
                        *str = cuda_errors[i].text;
                        return CUDA_SUCCESS;
                }
        *str = NULL;
        return CUDA_ERROR_INVALID_VALUE;
}
