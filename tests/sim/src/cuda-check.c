/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvct-sim-cuda-check: loads libcuda.so.1 by soname, the way a CUDA program does, and reports what it sees.
 * Prints "CUDA OK: N devices" (and with -v one line per device) and exits 0, or prints the failure and exits 1
 * (CUDA error) or 2 (libcuda.so.1 not found).
 */

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef int (*cu_init_fn)(unsigned int);
typedef int (*cu_count_fn)(int *);
typedef int (*cu_get_fn)(int *, int);
typedef int (*cu_name_fn)(char *, int, int);
typedef int (*cu_version_fn)(int *);
typedef int (*cu_errname_fn)(int, const char **);

static const char *error_name(void *lib, int r) {
        cu_errname_fn f = (cu_errname_fn) dlsym(lib, "cuGetErrorName");
        const char *s = NULL;

        if (f && f(r, &s) == 0 && s)
                return s;
        return "CUDA_ERROR_UNKNOWN";
}

int main(int argc, char **argv) {
        int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
        void *lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
        cu_init_fn init;
        cu_count_fn count;
        cu_version_fn version;
        int n = 0, v = 0, r;

        if (!lib) {
                printf("CUDA error: cannot load libcuda.so.1: %s\n", dlerror());
                return 2;
        }
        init = (cu_init_fn) dlsym(lib, "cuInit");
        count = (cu_count_fn) dlsym(lib, "cuDeviceGetCount");
        version = (cu_version_fn) dlsym(lib, "cuDriverGetVersion");
        if (!init || !count || !version) {
                printf("CUDA error: libcuda.so.1 lacks cuInit, cuDeviceGetCount or cuDriverGetVersion\n");
                return 1;
        }
        r = init(0);
        if (r != 0) {
                printf("CUDA error: cuInit: %s (%d)\n", error_name(lib, r), r);
                return 1;
        }
        r = count(&n);
        if (r != 0) {
                printf("CUDA error: cuDeviceGetCount: %s (%d)\n", error_name(lib, r), r);
                return 1;
        }
        version(&v);
        printf("CUDA OK: %d devices\n", n);
        if (verbose) {
                cu_get_fn get = (cu_get_fn) dlsym(lib, "cuDeviceGet");
                cu_name_fn name = (cu_name_fn) dlsym(lib, "cuDeviceGetName");

                printf("CUDA driver version: %d.%d\n", v / 1000, v % 1000 / 10);
                for (int i = 0; get && name && i < n; i++) {
                        char buf[256];
                        int dev;

                        if (get(&dev, i) == 0 && name(buf, sizeof buf, dev) == 0)
                                printf("Device %d: %s\n", i, buf);
                }
        }
        return 0;
}
