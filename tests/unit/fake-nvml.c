/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A scriptable stand-in for libnvidia-ml.so.1, used only by test-nvml. The helper that loads it has an empty
 * environment, so the script is a file next to the library: <dir of the loaded file>/fake-nvml.conf.
 *
 *   driver VER | cuda N | init RC          system answers; nvmlInit_v2's return code
 *   gpu MINOR BUSID BRAND CC MEM_MIB MIG UUID NAME...   MIG: 1 on, 0 off, -1 not supported; BRAND -1 unsupported
 *   mig GPU GI CI UUID                     a MIG device of GPU (enumeration index)
 *   hang FN | crash FN | exit FN           sleep forever / SIGSEGV / _exit(3) on entering FN
 *   close FN                               close every fd above stderr, then sleep forever
 *   fail FN RC                             FN returns RC
 *   probe                                  GPU 0's name reports the helper's sandbox state
 *   overflow                               string answers fill the whole buffer without a terminator
 *
 * Built twice: with FAKE_NVML_MINIMAL only the symbols nvct requires are exported.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "nvml-abi.h"

#define EXPORT __attribute__((visibility("default")))

typedef struct FakeMig {
        int kind; /* 1: MIG device */
        unsigned gi, ci;
        char uuid[96];
} FakeMig;

typedef struct FakeGpu {
        int kind; /* 0: GPU */
        unsigned minor;
        char busid[32], uuid[96], name[96];
        int brand, cc_major, cc_minor, mig;
        unsigned long long mem;
        FakeMig migs[12];
        unsigned n_migs;
} FakeGpu;

static struct {
        bool loaded, probe, overflow;
        int init_rc, fail_rc, cuda;
        char hang[64], crash[64], exit_in[64], close_in[64], fail[64], driver[80];
        FakeGpu gpus[8];
        unsigned n_gpus;
} fake;

static void fake_parse(char *line) {
        int n = 0;
        if (sscanf(line, "driver %79s", fake.driver) == 1 || sscanf(line, "cuda %d", &fake.cuda) == 1 ||
            sscanf(line, "init %d", &fake.init_rc) == 1 || sscanf(line, "hang %63s", fake.hang) == 1 ||
            sscanf(line, "crash %63s", fake.crash) == 1 || sscanf(line, "exit %63s", fake.exit_in) == 1 ||
            sscanf(line, "close %63s", fake.close_in) == 1 ||
            sscanf(line, "fail %63s %d", fake.fail, &fake.fail_rc) == 2)
                return;
        if (strncmp(line, "probe", 5) == 0)
                fake.probe = true;
        else if (strncmp(line, "overflow", 8) == 0)
                fake.overflow = true;
        else if (strncmp(line, "gpu ", 4) == 0 && fake.n_gpus < 8) {
                FakeGpu *g = &fake.gpus[fake.n_gpus];
                char cc[16] = "";
                unsigned long long mib = 0;
                if (sscanf(line, "gpu %u %31s %d %15s %llu %d %95s %n", &g->minor, g->busid, &g->brand, cc, &mib,
                           &g->mig, g->uuid, &n) < 7)
                        return;
                if (sscanf(cc, "%d.%d", &g->cc_major, &g->cc_minor) != 2)
                        g->cc_major = g->cc_minor = -1;
                g->mem = mib << 20;
                if (n > 0)
                        sscanf(line + n, "%95[^\n]", g->name);
                fake.n_gpus++;
        } else {
                unsigned gpu = 0, gi = 0, ci = 0;
                char uuid[96] = "";
                if (sscanf(line, "mig %u %u %u %95s", &gpu, &gi, &ci, uuid) == 4 && gpu < fake.n_gpus &&
                    fake.gpus[gpu].n_migs < 12) {
                        FakeMig *m = &fake.gpus[gpu].migs[fake.gpus[gpu].n_migs++];
                        *m = (FakeMig) { .kind = 1, .gi = gi, .ci = ci };
                        snprintf(m->uuid, sizeof m->uuid, "%s", uuid);
                }
        }
}

static void fake_load(void) {
        if (fake.loaded)
                return;
        fake.loaded = true;

        Dl_info info;
        char lib[PATH_MAX] = "", conf[PATH_MAX + 32];
        if (dladdr((void *) fake_load, &info) == 0 || !info.dli_fname)
                return;
        ssize_t k = readlink(info.dli_fname, lib, sizeof lib - 1);
        if (k > 0)
                lib[k] = '\0';
        else
                snprintf(lib, sizeof lib, "%s", info.dli_fname);
        char *slash = strrchr(lib, '/');
        if (slash)
                *slash = '\0';
        snprintf(conf, sizeof conf, "%s/fake-nvml.conf", lib);

        FILE *f = fopen(conf, "re");
        if (!f)
                return;
        char line[512];
        while (fgets(line, sizeof line, f))
                fake_parse(line);
        fclose(f);
}

static int fake_enter(const char *fn) {
        fake_load();
        if (strcmp(fake.hang, fn) == 0)
                for (;;)
                        pause();
        if (strcmp(fake.crash, fn) == 0)
                raise(SIGSEGV);
        if (strcmp(fake.exit_in, fn) == 0)
                _exit(3);
        if (strcmp(fake.close_in, fn) == 0) {
                for (int fd = 3; fd < 1024; fd++)
                        close(fd);
                for (;;)
                        pause();
        }
        if (strcmp(fake.fail, fn) == 0)
                return fake.fail_rc;
        return NVML_SUCCESS;
}

#define ENTER(fn)                                                                                                      \
        do {                                                                                                           \
                int _rc = fake_enter(fn);                                                                              \
                if (_rc != NVML_SUCCESS)                                                                               \
                        return _rc;                                                                                    \
        } while (0)

static nvmlReturn_t fake_string(const char *s, char *buf, unsigned len) {
        if (fake.overflow) {
                memset(buf, 'X', len);
                return NVML_SUCCESS;
        }
        if (strlen(s) >= len)
                return NVML_ERROR_INSUFFICIENT_SIZE;
        strcpy(buf, s);
        return NVML_SUCCESS;
}

static FakeGpu *fake_gpu(nvmlDevice_t dev) {
        FakeGpu *g = (FakeGpu *) dev;
        return g && g->kind == 0 ? g : NULL;
}

static FakeMig *fake_mig(nvmlDevice_t dev) {
        FakeMig *m = (FakeMig *) dev;
        return m && m->kind == 1 ? m : NULL;
}

#define FAKE_GPU(g, dev)                                                                                               \
        FakeGpu *g = fake_gpu(dev);                                                                                    \
        if (!g)                                                                                                        \
        return NVML_ERROR_INVALID_ARGUMENT
#define FAKE_MIG(m, dev)                                                                                               \
        FakeMig *m = fake_mig(dev);                                                                                    \
        if (!m)                                                                                                        \
        return NVML_ERROR_INVALID_ARGUMENT

EXPORT nvmlReturn_t nvmlInit_v2(void) {
        ENTER("nvmlInit_v2");
        return fake.init_rc;
}

EXPORT nvmlReturn_t nvmlShutdown(void) {
        ENTER("nvmlShutdown");
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned *count) {
        ENTER("nvmlDeviceGetCount_v2");
        *count = fake.n_gpus;
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t *dev) {
        ENTER("nvmlDeviceGetHandleByIndex_v2");
        if (i >= fake.n_gpus)
                return NVML_ERROR_INVALID_ARGUMENT;
        *dev = (nvmlDevice_t) &fake.gpus[i];
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t dev, char *buf, unsigned len) {
        ENTER("nvmlDeviceGetUUID");
        FakeGpu *g = fake_gpu(dev);
        FakeMig *m = fake_mig(dev);
        if (!g && !m)
                return NVML_ERROR_INVALID_ARGUMENT;
        return fake_string(g ? g->uuid : m->uuid, buf, len);
}

#ifndef FAKE_NVML_MINIMAL
EXPORT const char *nvmlErrorString(nvmlReturn_t rc) {
        switch (rc) {
        case NVML_SUCCESS: return "Success";
        case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
        case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
        case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
        case NVML_ERROR_NO_PERMISSION: return "Insufficient Permissions";
        case NVML_ERROR_NOT_FOUND: return "Not Found";
        case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
        case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
        default: return "Unknown Error";
        }
}

EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned len) {
        ENTER("nvmlSystemGetDriverVersion");
        return fake_string(fake.driver, buf, len);
}

EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v) {
        ENTER("nvmlSystemGetCudaDriverVersion");
        *v = fake.cuda;
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t dev, unsigned *minor) {
        ENTER("nvmlDeviceGetMinorNumber");
        FAKE_GPU(g, dev);
        *minor = g->minor;
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t dev, nvmlPciInfo_t *pci) {
        ENTER("nvmlDeviceGetPciInfo_v3");
        FAKE_GPU(g, dev);
        memset(pci, 0, sizeof *pci);
        snprintf(pci->busId, sizeof pci->busId, "%s", g->busid);
        return NVML_SUCCESS;
}

static void fake_probe(char *buf, size_t len) {
        struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct caps[2] = { 0 };
        unsigned long long eff = 0, prm = 0;
        if (syscall(SYS_capget, &h, caps) == 0) {
                eff = caps[0].effective | (unsigned long long) caps[1].effective << 32;
                prm = caps[0].permitted | (unsigned long long) caps[1].permitted << 32;
        }
        int pdeath = 0, env = 0, fds = 0;
        (void) prctl(PR_GET_PDEATHSIG, &pdeath, 0, 0, 0);
        for (char **e = environ; e && *e; e++)
                env++;
        DIR *d = opendir("/proc/self/fd");
        for (struct dirent *de; d && (de = readdir(d));)
                if (de->d_name[0] != '.' && atoi(de->d_name) > 2 && atoi(de->d_name) != dirfd(d))
                        fds++;
        if (d)
                closedir(d);
        struct stat out, null;
        bool out_null = fstat(STDOUT_FILENO, &out) == 0 && stat("/dev/null", &null) == 0 &&
                        out.st_rdev == null.st_rdev;
        snprintf(buf, len, "uid=%u gid=%u ng=%d nnp=%d cap=%llx/%llx pd=%d env=%d fds=%d out=%s", getuid(),
                 getgid(), getgroups(0, NULL), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), eff, prm, pdeath, env, fds,
                 out_null ? "null" : "other");
}

EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t dev, char *buf, unsigned len) {
        ENTER("nvmlDeviceGetName");
        FAKE_GPU(g, dev);
        if (fake.probe && g == &fake.gpus[0]) {
                fake_probe(buf, len);
                return NVML_SUCCESS;
        }
        return fake_string(g->name, buf, len);
}

EXPORT nvmlReturn_t nvmlDeviceGetBrand(nvmlDevice_t dev, int *brand) {
        ENTER("nvmlDeviceGetBrand");
        FAKE_GPU(g, dev);
        if (g->brand < 0)
                return NVML_ERROR_NOT_SUPPORTED;
        *brand = g->brand;
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t dev, int *major, int *minor) {
        ENTER("nvmlDeviceGetCudaComputeCapability");
        FAKE_GPU(g, dev);
        if (g->cc_major < 0)
                return NVML_ERROR_NOT_SUPPORTED;
        *major = g->cc_major;
        *minor = g->cc_minor;
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t dev, nvmlMemory_t *mem) {
        ENTER("nvmlDeviceGetMemoryInfo");
        FAKE_GPU(g, dev);
        *mem = (nvmlMemory_t) { .total = g->mem, .free = g->mem };
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t dev, unsigned *current, unsigned *pending) {
        ENTER("nvmlDeviceGetMigMode");
        FAKE_GPU(g, dev);
        if (g->mig < 0)
                return NVML_ERROR_NOT_SUPPORTED;
        *current = *pending = (unsigned) g->mig;
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t dev, unsigned *count) {
        ENTER("nvmlDeviceGetMaxMigDeviceCount");
        (void) dev;
        *count = 12;
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t dev, unsigned i, nvmlDevice_t *mig) {
        ENTER("nvmlDeviceGetMigDeviceHandleByIndex");
        FAKE_GPU(g, dev);
        if (i >= g->n_migs)
                return NVML_ERROR_NOT_FOUND;
        *mig = (nvmlDevice_t) &g->migs[i];
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t dev, unsigned *id) {
        ENTER("nvmlDeviceGetGpuInstanceId");
        FAKE_MIG(m, dev);
        *id = m->gi;
        return NVML_SUCCESS;
}

EXPORT nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t dev, unsigned *id) {
        ENTER("nvmlDeviceGetComputeInstanceId");
        FAKE_MIG(m, dev);
        *id = m->ci;
        return NVML_SUCCESS;
}
#endif
