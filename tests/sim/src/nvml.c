/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A fake libnvidia-ml.so.1: the NVML C ABI over the compiled-in sim_config. Return codes, argument checks and
 * the init reference count follow the real library, so code tested against it behaves the same on a GPU host.
 */

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nvml-abi.h"
#include "sim.h"

#define SIM_EXPORT __attribute__((visibility("default")))

struct nvmlDevice_st {
        unsigned view;  /* index into view.gpu */
        int mig;        /* index into view.mig[view], -1 for the GPU itself */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned init_count;
static SimView view;
static struct nvmlDevice_st handles[SIM_MAX_GPUS][1 + SIM_MAX_MIGS];

static const struct {
        int code;
        const char *text;
} error_strings[] = {
        { 0, "Success" },
        { 1, "Uninitialized" },
        { 2, "Invalid Argument" },
        { 3, "Not Supported" },
        { 4, "Insufficient Permissions" },
        { 5, "Already Initialized" },
        { 6, "Not Found" },
        { 7, "Insufficient Size" },
        { 8, "Insufficient External Power" },
        { 9, "Driver Not Loaded" },
        { 10, "Timeout" },
        { 11, "Interrupt Request Issue" },
        { 12, "NVML Shared Library Not Found" },
        { 13, "Function Not Found" },
        { 14, "Corrupted infoROM" },
        { 15, "GPU is lost" },
        { 16, "GPU requires restart" },
        { 17, "Operating System Not Supported" },
        { 18, "RM has detected an NVML/RM version mismatch." },
        { 19, "In use by another client" },
        { 20, "Insufficient Memory" },
        { 21, "No data" },
        { 22, "The requested vgpu operation is not available on target device, because ECC is enabled" },
        { 23, "Insufficient resources for request" },
        { 24, "Frequency not supported" },
        { 25, "Argument version mismatch" },
        { 26, "Deprecated" },
        { 27, "Not ready" },
        { 28, "GPU not found" },
        { 29, "Invalid state" },
};

SIM_EXPORT const char *nvmlErrorString(nvmlReturn_t r) {
        for (size_t i = 0; i < sizeof error_strings / sizeof error_strings[0]; i++)
                if (error_strings[i].code == r)
                        return error_strings[i].text;
        return "Unknown Error";
}

static nvmlReturn_t sim_init(void) {
        unsigned e = sim_config.errors;

        if (e & SIM_ERR_INIT_HANG)
                for (;;)
                        pause();
        if (e & SIM_ERR_INIT_CRASH)
                raise(SIGSEGV);
        if (e & SIM_ERR_INIT)
                return NVML_ERROR_DRIVER_NOT_LOADED;
        if (e & SIM_ERR_INIT_PERMISSION)
                return NVML_ERROR_NO_PERMISSION;
        if (e & SIM_ERR_INIT_MISMATCH)
                return NVML_ERROR_LIB_RM_VERSION_MISMATCH;

        pthread_mutex_lock(&lock);
        if (init_count == 0) {
                sim_view_probe(&view);
                if (!view.ctl) {
                        pthread_mutex_unlock(&lock);
                        return NVML_ERROR_DRIVER_NOT_LOADED;
                }
                for (unsigned k = 0; k < SIM_MAX_GPUS; k++)
                        for (unsigned m = 0; m <= SIM_MAX_MIGS; m++)
                                handles[k][m] = (struct nvmlDevice_st) { .view = k, .mig = (int) m - 1 };
        }
        init_count++;
        pthread_mutex_unlock(&lock);
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlInit_v2(void) {
        return sim_init();
}

SIM_EXPORT nvmlReturn_t nvmlInit(void) {
        return sim_init();
}

SIM_EXPORT nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
        (void) flags;
        return sim_init();
}

SIM_EXPORT nvmlReturn_t nvmlShutdown(void) {
        nvmlReturn_t r = NVML_SUCCESS;

        if (sim_config.errors & SIM_ERR_SHUTDOWN_HANG)
                for (;;)
                        pause();
        pthread_mutex_lock(&lock);
        if (init_count == 0)
                r = NVML_ERROR_UNINITIALIZED;
        else
                init_count--;
        pthread_mutex_unlock(&lock);
        return r;
}

static bool sim_ready(void) {
        bool ready;

        pthread_mutex_lock(&lock);
        ready = init_count > 0;
        pthread_mutex_unlock(&lock);
        return ready;
}

static nvmlReturn_t copy_string(char *buf, unsigned int len, const char *s) {
        if (!buf)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (strlen(s) + 1 > len)
                return NVML_ERROR_INSUFFICIENT_SIZE;
        memcpy(buf, s, strlen(s) + 1);
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
        if (!sim_ready())
                return NVML_ERROR_UNINITIALIZED;
        if (sim_config.errors & SIM_ERR_DRIVER_VERSION)
                return NVML_ERROR_UNKNOWN;
        return copy_string(version, length, sim_config.driver_version);
}

SIM_EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
        return copy_string(version, length, sim_config.nvml_version);
}

/* Like the real library, the CUDA version is answered without nvmlInit. */
SIM_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v) {
        if (!v)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (sim_config.errors & SIM_ERR_CUDA_VERSION)
                return NVML_ERROR_UNKNOWN;
        *v = sim_config.cuda_version;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *v) {
        return nvmlSystemGetCudaDriverVersion(v);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
        if (!sim_ready())
                return NVML_ERROR_UNINITIALIZED;
        if (!count)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (sim_config.errors & SIM_ERR_COUNT)
                return NVML_ERROR_UNKNOWN;
        *count = view.n_gpus;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetCount(unsigned int *count) {
        return nvmlDeviceGetCount_v2(count);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
        if (!sim_ready())
                return NVML_ERROR_UNINITIALIZED;
        if (!device || index >= view.n_gpus)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (sim_config.errors & SIM_ERR_GPU_LOST)
                return NVML_ERROR_GPU_IS_LOST;
        *device = &handles[index][0];
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index, nvmlDevice_t *device) {
        return nvmlDeviceGetHandleByIndex_v2(index, device);
}

/* The handle as a (GPU, MIG) pair, or an error for anything that is not one of ours. */
static nvmlReturn_t resolve(nvmlDevice_t d, const SimGpu **gpu, const SimMig **mig) {
        uintptr_t base = (uintptr_t) &handles[0][0], p = (uintptr_t) d;

        if (!sim_ready())
                return NVML_ERROR_UNINITIALIZED;
        if (!d || p < base || p >= base + sizeof handles || (p - base) % sizeof handles[0][0] != 0)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (d->view >= view.n_gpus || (d->mig >= 0 && (unsigned) d->mig >= view.n_migs[d->view]))
                return NVML_ERROR_INVALID_ARGUMENT;
        if (sim_config.errors & SIM_ERR_GPU_LOST)
                return NVML_ERROR_GPU_IS_LOST;
        *gpu = &sim_config.gpus[view.gpu[d->view]];
        *mig = d->mig < 0 ? NULL : &(*gpu)->migs[view.mig[d->view][d->mig]];
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid, nvmlDevice_t *device) {
        if (!sim_ready())
                return NVML_ERROR_UNINITIALIZED;
        if (!uuid || !device)
                return NVML_ERROR_INVALID_ARGUMENT;
        for (unsigned k = 0; k < view.n_gpus; k++) {
                const SimGpu *g = &sim_config.gpus[view.gpu[k]];

                if (strcmp(g->uuid, uuid) == 0) {
                        *device = &handles[k][0];
                        return NVML_SUCCESS;
                }
                for (unsigned m = 0; m < view.n_migs[k]; m++)
                        if (strcmp(g->migs[view.mig[k][m]].uuid, uuid) == 0) {
                                *device = &handles[k][1 + m];
                                return NVML_SUCCESS;
                        }
        }
        return NVML_ERROR_NOT_FOUND;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *busid, nvmlDevice_t *device) {
        unsigned dom = 0, bus, dev, fn;
        char tail;

        if (!sim_ready())
                return NVML_ERROR_UNINITIALIZED;
        if (!busid || !device)
                return NVML_ERROR_INVALID_ARGUMENT;
        /* Accepted like NVML: "domain:bus:device.function" with any domain width, or "bus:device.function". */
        if (sscanf(busid, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
                dom = 0;
                if (sscanf(busid, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
                        return NVML_ERROR_INVALID_ARGUMENT;
        }
        for (unsigned k = 0; k < view.n_gpus; k++) {
                const SimGpu *g = &sim_config.gpus[view.gpu[k]];

                if (g->domain == dom && g->bus == bus && g->device == dev && g->function == fn) {
                        *device = &handles[k][0];
                        return NVML_SUCCESS;
                }
        }
        return NVML_ERROR_NOT_FOUND;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetHandleByPciBusId(const char *busid, nvmlDevice_t *device) {
        return nvmlDeviceGetHandleByPciBusId_v2(busid, device);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t d, unsigned int *index) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!index)
                return NVML_ERROR_INVALID_ARGUMENT;
        *index = d->view;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t d, unsigned int *minor) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!minor)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (m)
                return NVML_ERROR_NOT_SUPPORTED;
        *minor = g->minor;
        return NVML_SUCCESS;
}

static void fill_pci(const SimGpu *g, nvmlPciInfo_t *pci) {
        memset(pci, 0, sizeof *pci);
        snprintf(pci->busIdLegacy, sizeof pci->busIdLegacy, "%04X:%02X:%02X.%X", g->domain, g->bus, g->device,
                 g->function);
        snprintf(pci->busId, sizeof pci->busId, "%s", g->busid);
        pci->domain = g->domain;
        pci->bus = g->bus;
        pci->device = g->device;
        pci->pciDeviceId = g->pci_device_id;
        pci->pciSubSystemId = g->pci_subsystem_id;
}

/* A MIG device reports its parent's PCI location. */
SIM_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t d, nvmlPciInfo_t *pci) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!pci)
                return NVML_ERROR_INVALID_ARGUMENT;
        fill_pci(g, pci);
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t d, nvmlPciInfo_t *pci) {
        return nvmlDeviceGetPciInfo_v3(d, pci);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int length) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (sim_config.errors & SIM_ERR_UUID)
                return NVML_ERROR_UNKNOWN;
        return copy_string(uuid, length, m ? m->uuid : g->uuid);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int length) {
        const SimGpu *g;
        const SimMig *m;
        char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (m)
                snprintf(buf, sizeof buf, "%s MIG %s", g->name, m->profile);
        else
                snprintf(buf, sizeof buf, "%s", g->name);
        return copy_string(name, length, buf);
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetBrand(nvmlDevice_t d, int *brand) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!brand)
                return NVML_ERROR_INVALID_ARGUMENT;
        *brand = g->brand;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t d, int *major, int *minor) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!major || !minor)
                return NVML_ERROR_INVALID_ARGUMENT;
        *major = g->cc_major;
        *minor = g->cc_minor;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *mem) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);
        unsigned long long total;

        if (r != NVML_SUCCESS)
                return r;
        if (!mem)
                return NVML_ERROR_INVALID_ARGUMENT;
        total = m ? m->memory : g->memory;
        /* What the driver reserves for itself on an idle H100: about 0.5 GiB, less on a MIG slice. */
        mem->total = total;
        mem->used = m ? 13ULL << 20 : 537ULL << 20;
        mem->free = total - mem->used;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned int *current, unsigned int *pending) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!current || !pending)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (m || !g->mig_capable)
                return NVML_ERROR_NOT_SUPPORTED;
        *current = *pending = g->mig_enabled ? NVML_DEVICE_MIG_ENABLE : 0;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t d, unsigned int *count) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!count)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (m)
                return NVML_ERROR_NOT_SUPPORTED;
        *count = g->mig_capable ? SIM_MAX_MIGS : 0;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t d, unsigned int index, nvmlDevice_t *mig) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!mig || m)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (!g->mig_capable)
                return NVML_ERROR_NOT_SUPPORTED;
        if (index >= SIM_MAX_MIGS)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (sim_config.errors & SIM_ERR_MIG)
                return NVML_ERROR_UNKNOWN;
        if (!g->mig_enabled || index >= view.n_migs[d->view])
                return NVML_ERROR_NOT_FOUND;
        *mig = &handles[d->view][1 + index];
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceIsMigDeviceHandle(nvmlDevice_t d, unsigned int *is_mig) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!is_mig)
                return NVML_ERROR_INVALID_ARGUMENT;
        *is_mig = m != NULL;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetDeviceHandleFromMigDeviceHandle(nvmlDevice_t d, nvmlDevice_t *parent) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!parent || !m)
                return NVML_ERROR_INVALID_ARGUMENT;
        *parent = &handles[d->view][0];
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t d, unsigned int *id) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!id)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (!m)
                return NVML_ERROR_NOT_SUPPORTED;
        *id = m->gi;
        return NVML_SUCCESS;
}

SIM_EXPORT nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t d, unsigned int *id) {
        const SimGpu *g;
        const SimMig *m;
        nvmlReturn_t r = resolve(d, &g, &m);

        if (r != NVML_SUCCESS)
                return r;
        if (!id)
                return NVML_ERROR_INVALID_ARGUMENT;
        if (!m)
                return NVML_ERROR_NOT_SUPPORTED;
        *id = m->ci;
        return NVML_SUCCESS;
}
