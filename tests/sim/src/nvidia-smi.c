/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small nvidia-smi for the simulated driver. It loads libnvidia-ml.so.1 by soname, through the dynamic loader,
 * so it proves that the loader of the process (a container's ld.so.cache, LD_LIBRARY_PATH) finds the library.
 * Everything it prints comes from NVML. Supported: -L, --version, --query-gpu=… --format=csv[,noheader][,nounits],
 * and a short summary without arguments.
 */

#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nvml-abi.h"

static struct {
        nvmlInit_v2_fn init;
        nvmlShutdown_fn shutdown;
        nvmlErrorString_fn error_string;
        nvmlSystemGetDriverVersion_fn driver_version;
        nvmlSystemGetCudaDriverVersion_fn cuda_version;
        nvmlDeviceGetCount_v2_fn count;
        nvmlDeviceGetHandleByIndex_v2_fn by_index;
        nvmlDeviceGetName_fn name;
        nvmlDeviceGetUUID_fn uuid;
        nvmlDeviceGetPciInfo_v3_fn pci;
        nvmlDeviceGetMemoryInfo_fn memory;
        nvmlDeviceGetMigMode_fn mig_mode;
        nvmlDeviceGetMaxMigDeviceCount_fn max_mig;
        nvmlDeviceGetMigDeviceHandleByIndex_fn mig_by_index;
        nvmlDeviceGetCudaComputeCapability_fn cc;
} nvml;

static void *sym(void *lib, const char *name) {
        void *p = dlsym(lib, name);

        if (!p) {
                fprintf(stderr, "Failed to initialize NVML: Function Not Found (%s)\n", name);
                exit(13);
        }
        return p;
}

static void nvml_load(void) {
        void *lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);

        if (!lib) {
                printf("NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please make sure that the "
                       "NVIDIA Display Driver is properly installed and present in your system.\n"
                       "Please also try adding directory that contains libnvidia-ml.so to your system PATH.\n");
                exit(12);
        }
        nvml.init = (nvmlInit_v2_fn) sym(lib, "nvmlInit_v2");
        nvml.shutdown = (nvmlShutdown_fn) sym(lib, "nvmlShutdown");
        nvml.error_string = (nvmlErrorString_fn) sym(lib, "nvmlErrorString");
        nvml.driver_version = (nvmlSystemGetDriverVersion_fn) sym(lib, "nvmlSystemGetDriverVersion");
        nvml.cuda_version = (nvmlSystemGetCudaDriverVersion_fn) sym(lib, "nvmlSystemGetCudaDriverVersion");
        nvml.count = (nvmlDeviceGetCount_v2_fn) sym(lib, "nvmlDeviceGetCount_v2");
        nvml.by_index = (nvmlDeviceGetHandleByIndex_v2_fn) sym(lib, "nvmlDeviceGetHandleByIndex_v2");
        nvml.name = (nvmlDeviceGetName_fn) sym(lib, "nvmlDeviceGetName");
        nvml.uuid = (nvmlDeviceGetUUID_fn) sym(lib, "nvmlDeviceGetUUID");
        nvml.pci = (nvmlDeviceGetPciInfo_v3_fn) sym(lib, "nvmlDeviceGetPciInfo_v3");
        nvml.memory = (nvmlDeviceGetMemoryInfo_fn) sym(lib, "nvmlDeviceGetMemoryInfo");
        nvml.mig_mode = (nvmlDeviceGetMigMode_fn) sym(lib, "nvmlDeviceGetMigMode");
        nvml.max_mig = (nvmlDeviceGetMaxMigDeviceCount_fn) sym(lib, "nvmlDeviceGetMaxMigDeviceCount");
        nvml.mig_by_index = (nvmlDeviceGetMigDeviceHandleByIndex_fn) sym(lib, "nvmlDeviceGetMigDeviceHandleByIndex");
        nvml.cc = (nvmlDeviceGetCudaComputeCapability_fn) sym(lib, "nvmlDeviceGetCudaComputeCapability");
}

static void check(nvmlReturn_t r, const char *what) {
        if (r != NVML_SUCCESS) {
                printf("Failed to %s: %s\n", what, nvml.error_string(r));
                exit(r > 255 ? 255 : r);
        }
}

static unsigned nvml_start(void) {
        unsigned n = 0;
        nvmlReturn_t r = nvml.init();

        if (r != NVML_SUCCESS) {
                printf("Failed to initialize NVML: %s\n", nvml.error_string(r));
                exit(r > 255 ? 255 : r);
        }
        check(nvml.count(&n), "get the device count");
        return n;
}

static bool mig_enabled(nvmlDevice_t d) {
        unsigned cur = 0, pending = 0;

        return nvml.mig_mode(d, &cur, &pending) == NVML_SUCCESS && cur == NVML_DEVICE_MIG_ENABLE;
}

static int list_gpus(void) {
        unsigned n = nvml_start();

        if (n == 0) {
                printf("No devices were found\n");
                return 6;
        }
        for (unsigned i = 0; i < n; i++) {
                nvmlDevice_t d;
                char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE], uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
                unsigned max = 0;

                check(nvml.by_index(i, &d), "get a device handle");
                check(nvml.name(d, name, sizeof name), "get the device name");
                check(nvml.uuid(d, uuid, sizeof uuid), "get the device UUID");
                printf("GPU %u: %s (UUID: %s)\n", i, name, uuid);
                if (!mig_enabled(d) || nvml.max_mig(d, &max) != NVML_SUCCESS)
                        continue;
                for (unsigned j = 0; j < max; j++) {
                        nvmlDevice_t m;
                        const char *profile;

                        if (nvml.mig_by_index(d, j, &m) != NVML_SUCCESS)
                                continue;
                        check(nvml.name(m, name, sizeof name), "get the MIG device name");
                        check(nvml.uuid(m, uuid, sizeof uuid), "get the MIG device UUID");
                        profile = strstr(name, " MIG ");
                        printf("  MIG %-11s Device %2u: (UUID: %s)\n", profile ? profile + 5 : name, j, uuid);
                }
        }
        nvml.shutdown();
        return 0;
}

static void cuda_string(char *buf, size_t size) {
        int v = 0;

        if (nvml.cuda_version(&v) == NVML_SUCCESS)
                snprintf(buf, size, "%d.%d", v / 1000, v % 1000 / 10);
        else
                snprintf(buf, size, "N/A");
}

static int version(void) {
        char drv[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE], cuda[16], nv[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
        char *dot;

        nvml_start();
        check(nvml.driver_version(drv, sizeof drv), "get the driver version");
        cuda_string(cuda, sizeof cuda);
        snprintf(nv, sizeof nv, "%s", drv);
        dot = strrchr(nv, '.');
        if (dot)
                *dot = '\0';
        printf("NVIDIA-SMI version  : %s\nNVML version        : %s\nDRIVER version      : %s\n"
               "CUDA Version        : %s\n",
               drv, nv, drv, cuda);
        nvml.shutdown();
        return 0;
}

/* One --query-gpu field of one device, and its csv header with units. */
static bool query_field(nvmlDevice_t d, unsigned index, const char *field, bool units, char *out, size_t size,
                        const char **header) {
        char buf[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
        nvmlPciInfo_t pci;
        nvmlMemory_t mem;
        int maj, min;

        *header = field;
        if (strcmp(field, "index") == 0)
                snprintf(out, size, "%u", index);
        else if (strcmp(field, "name") == 0 || strcmp(field, "gpu_name") == 0)
                snprintf(out, size, "%s", nvml.name(d, buf, sizeof buf) == NVML_SUCCESS ? buf : "[N/A]");
        else if (strcmp(field, "uuid") == 0 || strcmp(field, "gpu_uuid") == 0)
                snprintf(out, size, "%s", nvml.uuid(d, buf, sizeof buf) == NVML_SUCCESS ? buf : "[N/A]");
        else if (strcmp(field, "pci.bus_id") == 0 || strcmp(field, "gpu_bus_id") == 0)
                snprintf(out, size, "%s", nvml.pci(d, &pci) == NVML_SUCCESS ? pci.busId : "[N/A]");
        else if (strcmp(field, "driver_version") == 0)
                snprintf(out, size, "%s", nvml.driver_version(buf, sizeof buf) == NVML_SUCCESS ? buf : "[N/A]");
        else if (strcmp(field, "memory.total") == 0) {
                *header = "memory.total [MiB]";
                if (nvml.memory(d, &mem) == NVML_SUCCESS)
                        snprintf(out, size, "%llu%s", mem.total >> 20, units ? " MiB" : "");
                else
                        snprintf(out, size, "[N/A]");
        } else if (strcmp(field, "mig.mode.current") == 0) {
                unsigned cur, pending;

                if (nvml.mig_mode(d, &cur, &pending) == NVML_SUCCESS)
                        snprintf(out, size, "%s", cur ? "Enabled" : "Disabled");
                else
                        snprintf(out, size, "[N/A]");
        } else if (strcmp(field, "compute_cap") == 0) {
                if (nvml.cc(d, &maj, &min) == NVML_SUCCESS)
                        snprintf(out, size, "%d.%d", maj, min);
                else
                        snprintf(out, size, "[N/A]");
        } else
                return false;
        return true;
}

static int query(const char *fields, const char *format) {
        bool header = !strstr(format, "noheader"), units = !strstr(format, "nounits");
        char *list = strdup(fields), *save = NULL;
        char *names[32];
        unsigned n_names = 0, n;

        if (!list)
                return 1;
        for (char *f = strtok_r(list, ",", &save); f && n_names < 32; f = strtok_r(NULL, ",", &save))
                names[n_names++] = f + strspn(f, " ");
        n = nvml_start();
        for (unsigned i = 0; i < n || (header && i == 0 && n == 0); i++) {
                nvmlDevice_t d = NULL;
                char line[4096] = "", head[4096] = "";

                if (i < n)
                        check(nvml.by_index(i, &d), "get a device handle");
                for (unsigned f = 0; f < n_names; f++) {
                        char value[256];
                        const char *h;

                        if (!query_field(d, i, names[f], units, value, sizeof value, &h)) {
                                printf("Field \"%s\" is not a valid field to query.\n\n", names[f]);
                                free(list);
                                return 2;
                        }
                        snprintf(head + strlen(head), sizeof head - strlen(head), "%s%s", f ? ", " : "", h);
                        snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", f ? ", " : "", value);
                }
                if (header && i == 0)
                        printf("%s\n", head);
                if (i < n)
                        printf("%s\n", line);
        }
        free(list);
        nvml.shutdown();
        return 0;
}

static int summary(void) {
        char drv[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE], cuda[16];
        unsigned n = nvml_start();

        check(nvml.driver_version(drv, sizeof drv), "get the driver version");
        cuda_string(cuda, sizeof cuda);
        printf("NVIDIA-SMI %s    Driver Version: %s    CUDA Version: %s\n", drv, drv, cuda);
        for (unsigned i = 0; i < n; i++) {
                nvmlDevice_t d;
                char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
                nvmlPciInfo_t pci;
                nvmlMemory_t mem;

                check(nvml.by_index(i, &d), "get a device handle");
                check(nvml.name(d, name, sizeof name), "get the device name");
                check(nvml.pci(d, &pci), "get the PCI info");
                check(nvml.memory(d, &mem), "get the memory info");
                printf("%3u  %-28s  %s  %llu MiB / %llu MiB  MIG %s\n", i, name, pci.busId, mem.used >> 20,
                       mem.total >> 20, mig_enabled(d) ? "Enabled" : "Disabled");
        }
        if (n == 0)
                printf("No devices were found\n");
        nvml.shutdown();
        return n == 0 ? 6 : 0;
}

int main(int argc, char **argv) {
        const char *fields = NULL, *format = "csv";

        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];

                if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
                        printf("usage: nvidia-smi [-L | --version | --query-gpu=FIELDS --format=csv[,noheader]"
                               "[,nounits]]\n(simulated driver)\n");
                        return 0;
                }
                if (strncmp(a, "--query-gpu=", 12) == 0)
                        fields = a + 12;
                else if (strncmp(a, "--format=", 9) == 0)
                        format = a + 9;
                else if (strcmp(a, "-L") == 0 || strcmp(a, "--list-gpus") == 0) {
                        nvml_load();
                        return list_gpus();
                } else if (strcmp(a, "--version") == 0) {
                        nvml_load();
                        return version();
                } else {
                        printf("Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n\n");
                        return 2;
                }
        }
        nvml_load();
        if (fields)
                return query(fields, format);
        return summary();
}
