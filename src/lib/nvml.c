/* SPDX-License-Identifier: Apache-2.0 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "nvml-abi.h"
#include "nvml.h"
#include "rootfs.h"

#define NVML_SONAME "libnvidia-ml.so.1"
#define NVML_ANSWER_MAGIC UINT64_C(0x31764c4d564e564e) /* "NVNVMLv1" */

/*
 * The helper's answer. Fixed-size and flat so that one read fills it and the parent can validate every count
 * and terminate every string without parsing; the helper ran third-party code, so nothing in it is trusted.
 */
typedef enum NvmlStatus {
        NVML_ANSWER_OK,
        NVML_ANSWER_SYSTEM, /* a sandbox step failed; code is an errno, where names the step */
        NVML_ANSWER_LOAD,   /* dlopen or a required dlsym failed; text has the loader's message */
        NVML_ANSWER_NVML,   /* an NVML call failed; code is the nvmlReturn_t, text its nvmlErrorString */
        NVML_ANSWER_LIMIT,  /* more GPUs or MIG devices than an answer holds */
} NvmlStatus;

typedef struct NvmlAnswerMig {
        uint32_t gi, ci;
        char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
} NvmlAnswerMig;

typedef struct NvmlAnswerGpu {
        int32_t minor;              /* -1: not supported */
        int32_t brand;              /* -1: not supported */
        int32_t cc_major, cc_minor; /* -1: not supported */
        uint32_t mig_capable, mig_enabled, n_migs, reserved;
        uint64_t memory_total;      /* 0: not supported */
        char busid[NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE];
        char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
        char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
        NvmlAnswerMig migs[NVCT_NVML_MAX_MIGS];
} NvmlAnswerGpu;

typedef struct NvmlAnswer {
        uint64_t magic;
        uint32_t size;
        int32_t status;       /* NvmlStatus */
        int32_t code;
        int32_t cuda_version; /* -1: not supported */
        uint32_t n_gpus;
        uint32_t reserved;
        char where[128];
        char text[256];
        char driver_version[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
        NvmlAnswerGpu gpus[NVCT_NVML_MAX_GPUS];
} NvmlAnswer;

/* Shared with the helper: the call it is in, so a timeout can say where NVML hung. */
typedef struct NvmlProgress {
        char call[64];
        int32_t gpu;
} NvmlProgress;

static const char *const nvml_brands[NVML_BRAND_COUNT] = {
        [NVML_BRAND_UNKNOWN] = "Unknown",
        [NVML_BRAND_QUADRO] = "Quadro",
        [NVML_BRAND_TESLA] = "Tesla",
        [NVML_BRAND_NVS] = "NVS",
        [NVML_BRAND_GRID] = "GRID",
        [NVML_BRAND_GEFORCE] = "GeForce",
        [NVML_BRAND_TITAN] = "TITAN",
        [NVML_BRAND_NVIDIA_VAPPS] = "VApps",
        [NVML_BRAND_NVIDIA_VPC] = "VPC",
        [NVML_BRAND_NVIDIA_VCS] = "VCS",
        [NVML_BRAND_NVIDIA_VWS] = "VWS",
        [NVML_BRAND_NVIDIA_CLOUD_GAMING] = "CloudGaming",
        [NVML_BRAND_QUADRO_RTX] = "QuadroRTX",
        [NVML_BRAND_NVIDIA_RTX] = "NvidiaRTX",
        [NVML_BRAND_NVIDIA] = "Nvidia",
        [NVML_BRAND_GEFORCE_RTX] = "GeForceRTX",
        [NVML_BRAND_TITAN_RTX] = "TitanRTX",
};

const char *nvct_nvml_brand_name(int brand) {
        if (brand < 0 || brand >= NVML_BRAND_COUNT)
                return "Unknown";
        return nvml_brands[brand];
}

void nvct_cuda_version_format(int v, char *buf, size_t size) {
        if (size == 0)
                return;
        if (v <= 0) {
                buf[0] = '\0';
                return;
        }
        snprintf(buf, size, "%d.%d", v / 1000, v % 1000 / 10);
}

_printf_(2, 3) static void nvml_log(const NvctDiscoverOptions *opts, const char *fmt, ...) {
        if (!opts || !opts->log)
                return;
        char line[512];
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        opts->log(opts->log_userdata, "%s", line);
}

/* ---- Locating the library ---------------------------------------------------------------------------------- */

static const char *const nvml_std_dirs[] = {
        "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/local/nvidia/lib64", "/lib64",
        "/lib/x86_64-linux-gnu",     "/usr/lib",   "/lib",
};

/* Open dir/NVML_SONAME inside the driver root through the resolver, so absolute symlinks stay in the root. */
static int nvml_open_in_root(int root_fd, const char *dir, char **ret_path) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, NVML_SONAME) < 0)
                return -ENOMEM;
        NvctError ignored = NVCT_ERROR_INIT;
        _cleanup_close_ int fd = rootfs_open(root_fd, p, O_PATH, 0, &ignored);
        if (fd < 0)
                return fd;
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -ENOENT;
        char host[4096];
        int r = fd_get_path(fd, host, sizeof host);
        if (r < 0)
                return r;
        *ret_path = strdup(host);
        if (!*ret_path)
                return -ENOMEM;
        return TAKE_FD(fd);
}

static bool nvml_is_listed_lib(const NvctFile *f) {
        if (f->kind != NVCT_FILE_LIB || !f->host_path)
                return false;
        const char *name = f->path ? f->path : f->host_path;
        const char *base = strrchr(name, '/');
        return strneq(base ? base + 1 : name, "libnvidia-ml.so.", strlen("libnvidia-ml.so."));
}

int nvct_nvml_open_library(const NvctRoots *roots, const NvctDriver *drv, char **ret_path, NvctError *err) {
        _cleanup_free_ char *path = NULL;
        int fd = -EBADF;

        for (size_t i = 0; i < drv->n_files && fd < 0; i++) {
                const NvctFile *f = &drv->files[i];
                if (!nvml_is_listed_lib(f))
                        continue;
                fd = open(f->host_path, O_PATH | O_CLOEXEC);
                if (fd >= 0 && !(path = strdup(f->host_path))) {
                        close(fd);
                        return nvct_error_set(err, ENOMEM, "locate NVML");
                }
        }

        const char *root = roots && roots->driver_root ? roots->driver_root : "/";
        if (fd < 0) {
                _cleanup_close_ int root_fd = -EBADF;
                int r = rootfs_open_root(root, &root_fd, err);
                if (r < 0)
                        return nvct_error_prefix(err, r, "locate NVML");
                for (char **d = drv->lib_dirs; d && *d && fd < 0; d++)
                        fd = nvml_open_in_root(root_fd, *d, &path);
                for (size_t i = 0; i < ELEMENTSOF(nvml_std_dirs) && fd < 0; i++)
                        fd = nvml_open_in_root(root_fd, nvml_std_dirs[i], &path);
                if (fd == -ENOMEM)
                        return nvct_error_set(err, ENOMEM, "locate NVML");
        }
        if (fd < 0)
                return nvct_error_setx(err, ENOENT,
                                       "%s not found in the driver's files, its library directories or the "
                                       "standard library directories below %s",
                                       NVML_SONAME, root);
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return fd;
}

/* ---- The helper (child side) ------------------------------------------------------------------------------- */

typedef struct NvmlSyms {
        nvmlInit_v2_fn nvmlInit_v2;
        nvmlShutdown_fn nvmlShutdown;
        nvmlErrorString_fn nvmlErrorString;
        nvmlSystemGetDriverVersion_fn nvmlSystemGetDriverVersion;
        nvmlSystemGetCudaDriverVersion_fn nvmlSystemGetCudaDriverVersion;
        nvmlDeviceGetCount_v2_fn nvmlDeviceGetCount_v2;
        nvmlDeviceGetHandleByIndex_v2_fn nvmlDeviceGetHandleByIndex_v2;
        nvmlDeviceGetMinorNumber_fn nvmlDeviceGetMinorNumber;
        nvmlDeviceGetPciInfo_v3_fn nvmlDeviceGetPciInfo_v3;
        nvmlDeviceGetUUID_fn nvmlDeviceGetUUID;
        nvmlDeviceGetName_fn nvmlDeviceGetName;
        nvmlDeviceGetBrand_fn nvmlDeviceGetBrand;
        nvmlDeviceGetCudaComputeCapability_fn nvmlDeviceGetCudaComputeCapability;
        nvmlDeviceGetMemoryInfo_fn nvmlDeviceGetMemoryInfo;
        nvmlDeviceGetMigMode_fn nvmlDeviceGetMigMode;
        nvmlDeviceGetMaxMigDeviceCount_fn nvmlDeviceGetMaxMigDeviceCount;
        nvmlDeviceGetMigDeviceHandleByIndex_fn nvmlDeviceGetMigDeviceHandleByIndex;
        nvmlDeviceGetGpuInstanceId_fn nvmlDeviceGetGpuInstanceId;
        nvmlDeviceGetComputeInstanceId_fn nvmlDeviceGetComputeInstanceId;
} NvmlSyms;

#define NVML_SYM(name, required) { #name, offsetof(NvmlSyms, name), required }
static const struct {
        const char *name;
        size_t offset;
        bool required;
} nvml_symbols[] = {
        NVML_SYM(nvmlInit_v2, true),
        NVML_SYM(nvmlShutdown, true),
        NVML_SYM(nvmlErrorString, false),
        NVML_SYM(nvmlSystemGetDriverVersion, false),
        NVML_SYM(nvmlSystemGetCudaDriverVersion, false),
        NVML_SYM(nvmlDeviceGetCount_v2, true),
        NVML_SYM(nvmlDeviceGetHandleByIndex_v2, true),
        NVML_SYM(nvmlDeviceGetMinorNumber, false),
        NVML_SYM(nvmlDeviceGetPciInfo_v3, false),
        NVML_SYM(nvmlDeviceGetUUID, true),
        NVML_SYM(nvmlDeviceGetName, false),
        NVML_SYM(nvmlDeviceGetBrand, false),
        NVML_SYM(nvmlDeviceGetCudaComputeCapability, false),
        NVML_SYM(nvmlDeviceGetMemoryInfo, false),
        NVML_SYM(nvmlDeviceGetMigMode, false),
        NVML_SYM(nvmlDeviceGetMaxMigDeviceCount, false),
        NVML_SYM(nvmlDeviceGetMigDeviceHandleByIndex, false),
        NVML_SYM(nvmlDeviceGetGpuInstanceId, false),
        NVML_SYM(nvmlDeviceGetComputeInstanceId, false),
};

typedef struct NvmlChild {
        NvmlSyms s;
        NvmlAnswer *a;
        NvmlProgress *progress;
} NvmlChild;

/* A missing optional symbol reads as the call being unsupported, which every caller already handles. */
#define NVML_CALL(c, fn, gpu, ...)                                                                                     \
        (nvml_child_enter((c), #fn, (gpu)), (c)->s.fn ? (c)->s.fn(__VA_ARGS__) : NVML_ERROR_NOT_SUPPORTED)

static void nvml_child_enter(NvmlChild *c, const char *call, int gpu) {
        snprintf(c->progress->call, sizeof c->progress->call, "%s", call);
        c->progress->gpu = gpu;
}

static bool nvml_unsupported(nvmlReturn_t rc) {
        return rc == NVML_ERROR_NOT_SUPPORTED || rc == NVML_ERROR_FUNCTION_NOT_FOUND;
}

static int nvml_child_system(NvmlChild *c, int error, const char *where) {
        c->a->status = NVML_ANSWER_SYSTEM;
        c->a->code = error;
        snprintf(c->a->where, sizeof c->a->where, "%s", where);
        return -1;
}

static int nvml_child_nvml(NvmlChild *c, nvmlReturn_t rc, const char *fn, int gpu) {
        const char *text = NULL;
        c->a->status = NVML_ANSWER_NVML;
        c->a->code = rc;
        if (gpu >= 0)
                snprintf(c->a->where, sizeof c->a->where, "%s failed for GPU %d", fn, gpu);
        else
                snprintf(c->a->where, sizeof c->a->where, "%s failed", fn);
        if (c->s.nvmlErrorString) {
                nvml_child_enter(c, "nvmlErrorString", gpu);
                text = c->s.nvmlErrorString(rc);
        }
        if (text)
                snprintf(c->a->text, sizeof c->a->text, "%s", text);
        else
                snprintf(c->a->text, sizeof c->a->text, "NVML error %d", rc);
        return -1;
}

/* NVML fills fixed buffers; one that is not terminated must not run into the next field. */
#define NVML_TERMINATE(buf) ((buf)[sizeof(buf) - 1] = '\0')

static int nvml_child_migs(NvmlChild *c, int i, nvmlDevice_t dev, NvmlAnswerGpu *g) {
        unsigned max = 0;
        nvmlReturn_t rc = NVML_CALL(c, nvmlDeviceGetMaxMigDeviceCount, i, dev, &max);
        if (rc != NVML_SUCCESS)
                return nvml_child_nvml(c, rc, "nvmlDeviceGetMaxMigDeviceCount", i);

        for (unsigned m = 0; m < max; m++) {
                nvmlDevice_t mig = NULL;
                rc = NVML_CALL(c, nvmlDeviceGetMigDeviceHandleByIndex, i, dev, m, &mig);
                if (rc == NVML_ERROR_NOT_FOUND)
                        break;
                if (rc != NVML_SUCCESS)
                        return nvml_child_nvml(c, rc, "nvmlDeviceGetMigDeviceHandleByIndex", i);
                if (g->n_migs >= NVCT_NVML_MAX_MIGS) {
                        c->a->status = NVML_ANSWER_LIMIT;
                        snprintf(c->a->where, sizeof c->a->where, "GPU %d has more than %d MIG devices", i,
                                 NVCT_NVML_MAX_MIGS);
                        return -1;
                }
                NvmlAnswerMig *am = &g->migs[g->n_migs];
                rc = NVML_CALL(c, nvmlDeviceGetGpuInstanceId, i, mig, &am->gi);
                if (rc != NVML_SUCCESS)
                        return nvml_child_nvml(c, rc, "nvmlDeviceGetGpuInstanceId", i);
                rc = NVML_CALL(c, nvmlDeviceGetComputeInstanceId, i, mig, &am->ci);
                if (rc != NVML_SUCCESS)
                        return nvml_child_nvml(c, rc, "nvmlDeviceGetComputeInstanceId", i);
                rc = NVML_CALL(c, nvmlDeviceGetUUID, i, mig, am->uuid, sizeof am->uuid);
                if (rc != NVML_SUCCESS)
                        return nvml_child_nvml(c, rc, "nvmlDeviceGetUUID", i);
                NVML_TERMINATE(am->uuid);
                g->n_migs++;
        }
        return 0;
}

/* Optional attributes: unsupported leaves the "unknown" value, any other failure is reported. */
#define NVML_OPTIONAL(c, rc, fn, i)                                                                                    \
        do {                                                                                                           \
                if ((rc) != NVML_SUCCESS && !nvml_unsupported(rc))                                                     \
                        return nvml_child_nvml((c), (rc), #fn, (i));                                                   \
        } while (0)

static int nvml_child_gpu(NvmlChild *c, int i, NvmlAnswerGpu *g) {
        nvmlDevice_t dev = NULL;
        nvmlReturn_t rc = NVML_CALL(c, nvmlDeviceGetHandleByIndex_v2, i, (unsigned) i, &dev);
        if (rc != NVML_SUCCESS)
                return nvml_child_nvml(c, rc, "nvmlDeviceGetHandleByIndex_v2", i);

        unsigned minor = 0;
        rc = NVML_CALL(c, nvmlDeviceGetMinorNumber, i, dev, &minor);
        NVML_OPTIONAL(c, rc, nvmlDeviceGetMinorNumber, i);
        g->minor = rc == NVML_SUCCESS && minor <= INT32_MAX ? (int32_t) minor : -1;

        nvmlPciInfo_t pci = { 0 };
        rc = NVML_CALL(c, nvmlDeviceGetPciInfo_v3, i, dev, &pci);
        NVML_OPTIONAL(c, rc, nvmlDeviceGetPciInfo_v3, i);
        if (rc == NVML_SUCCESS) {
                NVML_TERMINATE(pci.busId);
                snprintf(g->busid, sizeof g->busid, "%s", pci.busId);
        }

        rc = NVML_CALL(c, nvmlDeviceGetUUID, i, dev, g->uuid, sizeof g->uuid);
        if (rc != NVML_SUCCESS)
                return nvml_child_nvml(c, rc, "nvmlDeviceGetUUID", i);
        NVML_TERMINATE(g->uuid);

        rc = NVML_CALL(c, nvmlDeviceGetName, i, dev, g->name, sizeof g->name);
        NVML_OPTIONAL(c, rc, nvmlDeviceGetName, i);
        NVML_TERMINATE(g->name);

        int brand = -1;
        rc = NVML_CALL(c, nvmlDeviceGetBrand, i, dev, &brand);
        NVML_OPTIONAL(c, rc, nvmlDeviceGetBrand, i);
        g->brand = rc == NVML_SUCCESS ? brand : -1;

        int major = -1, minor_cc = -1;
        rc = NVML_CALL(c, nvmlDeviceGetCudaComputeCapability, i, dev, &major, &minor_cc);
        NVML_OPTIONAL(c, rc, nvmlDeviceGetCudaComputeCapability, i);
        g->cc_major = rc == NVML_SUCCESS ? major : -1;
        g->cc_minor = rc == NVML_SUCCESS ? minor_cc : -1;

        nvmlMemory_t mem = { 0 };
        rc = NVML_CALL(c, nvmlDeviceGetMemoryInfo, i, dev, &mem);
        NVML_OPTIONAL(c, rc, nvmlDeviceGetMemoryInfo, i);
        g->memory_total = rc == NVML_SUCCESS ? mem.total : 0;

        unsigned current = 0, pending = 0;
        rc = NVML_CALL(c, nvmlDeviceGetMigMode, i, dev, &current, &pending);
        NVML_OPTIONAL(c, rc, nvmlDeviceGetMigMode, i);
        g->mig_capable = rc == NVML_SUCCESS;
        g->mig_enabled = rc == NVML_SUCCESS && current == NVML_DEVICE_MIG_ENABLE;
        if (g->mig_enabled)
                return nvml_child_migs(c, i, dev, g);
        return 0;
}

static int nvml_child_query(NvmlChild *c) {
        NvmlAnswer *a = c->a;
        nvmlReturn_t rc = NVML_CALL(c, nvmlInit_v2, -1);
        if (rc != NVML_SUCCESS)
                return nvml_child_nvml(c, rc, "nvmlInit_v2", -1);

        int r = -1;
        rc = NVML_CALL(c, nvmlSystemGetDriverVersion, -1, a->driver_version, sizeof a->driver_version);
        if (rc != NVML_SUCCESS && !nvml_unsupported(rc)) {
                nvml_child_nvml(c, rc, "nvmlSystemGetDriverVersion", -1);
                goto out;
        }
        NVML_TERMINATE(a->driver_version);

        int cuda = -1;
        rc = NVML_CALL(c, nvmlSystemGetCudaDriverVersion, -1, &cuda);
        if (rc != NVML_SUCCESS && !nvml_unsupported(rc)) {
                nvml_child_nvml(c, rc, "nvmlSystemGetCudaDriverVersion", -1);
                goto out;
        }
        a->cuda_version = rc == NVML_SUCCESS ? cuda : -1;

        unsigned count = 0;
        rc = NVML_CALL(c, nvmlDeviceGetCount_v2, -1, &count);
        if (rc != NVML_SUCCESS) {
                nvml_child_nvml(c, rc, "nvmlDeviceGetCount_v2", -1);
                goto out;
        }
        if (count > NVCT_NVML_MAX_GPUS) {
                a->status = NVML_ANSWER_LIMIT;
                snprintf(a->where, sizeof a->where, "NVML reports %u GPUs, more than the %d supported", count,
                         NVCT_NVML_MAX_GPUS);
                goto out;
        }
        for (unsigned i = 0; i < count; i++) {
                if (nvml_child_gpu(c, (int) i, &a->gpus[i]) < 0)
                        goto out;
                a->n_gpus = i + 1;
        }
        r = 0;
out:
        (void) NVML_CALL(c, nvmlShutdown, -1);
        return r;
}

/*
 * Everything but stdio, the answer pipe and the library fd is closed. stdin and stdout go to /dev/null (NVML's
 * chatter must not reach our output), and so does stderr when our caller had it closed: otherwise the next file
 * NVML opens would become its stderr.
 */
static int nvml_child_fds(int *const *keep, size_t n_keep) {
        for (size_t i = 0; i < n_keep; i++)
                if (*keep[i] >= 0 && *keep[i] <= STDERR_FILENO) {
                        int fd = fcntl(*keep[i], F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
                        if (fd < 0)
                                return -errno;
                        (void) close(*keep[i]);
                        *keep[i] = fd;
                }

        /* close everything from 3 up except the kept fds, in the gaps between them */
        unsigned kept[4], n = 0;
        for (size_t i = 0; i < n_keep && n < ELEMENTSOF(kept); i++)
                if (*keep[i] >= 0)
                        kept[n++] = (unsigned) *keep[i];
        for (unsigned i = 1; i < n; i++)
                for (unsigned j = i; j > 0 && kept[j - 1] > kept[j]; j--) {
                        unsigned t = kept[j];
                        kept[j] = kept[j - 1];
                        kept[j - 1] = t;
                }
        unsigned from = 3;
        for (unsigned i = 0; i <= n; i++) {
                unsigned to = i < n ? kept[i] - 1 : ~0U;
                if (from <= to && close_range(from, to, 0) < 0) {
                        if (errno != ENOSYS)
                                return -errno;
                        unsigned end = MIN(to, 65535U);
                        for (unsigned fd = from; fd <= end; fd++)
                                (void) close((int) fd);
                }
                if (i < n)
                        from = kept[i] + 1;
        }

        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0)
                return -errno;
        int r = 0;
        if ((null_fd != STDIN_FILENO && dup2(null_fd, STDIN_FILENO) < 0) ||
            (null_fd != STDOUT_FILENO && dup2(null_fd, STDOUT_FILENO) < 0) ||
            (fcntl(STDERR_FILENO, F_GETFD) < 0 && dup2(null_fd, STDERR_FILENO) < 0))
                r = -errno;
        if (null_fd > STDERR_FILENO)
                (void) close(null_fd);
        return r;
}

typedef struct NvmlHelperArgs {
        int lib_fd;
        const char *lib_path;
        int answer_fd;
        int progress_fd;  /* memfd behind the progress page, passed on to an exec'd helper */
        int exe_fd;       /* the dynamic helper to exec (static builds), or -1 to query in-process */
        pid_t parent;
        uid_t uid;
        gid_t gid;
} NvmlHelperArgs;

/* Our caller's handlers and mask are not NVML's: a crash must kill the helper, not run the caller's code. */
static int nvml_child_signals(void) {
        struct sigaction sa = { .sa_handler = SIG_DFL };
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        return sigprocmask(SIG_SETMASK, &none, NULL) < 0 ? -errno : 0;
}

static int nvml_child_sandbox(NvmlChild *c, NvmlHelperArgs *args) {
        (void) prctl(PR_SET_NAME, "nvct:[nvml]", 0, 0, 0);
        int r = nvml_child_signals();
        if (r < 0)
                return nvml_child_system(c, -r, "reset signal handling");
        int *keep[] = { &args->answer_fd, &args->lib_fd, &args->progress_fd, &args->exe_fd };
        /* in-process, the progress page is already mapped and its memfd can go */
        r = nvml_child_fds(keep, args->exe_fd >= 0 ? 4 : 2);
        if (r < 0)
                return nvml_child_system(c, -r, "close inherited file descriptors");
        /* We exec nothing, but NVML reads its own variables; it gets none of ours. */
        if (clearenv() != 0)
                return nvml_child_system(c, ENOMEM, "clearenv");

        if (args->gid != (gid_t) -1) {
                if (setgroups(0, NULL) < 0)
                        return nvml_child_system(c, errno, "setgroups");
                if (setresgid(args->gid, args->gid, args->gid) < 0)
                        return nvml_child_system(c, errno, "setresgid");
        }
        if (args->uid != (uid_t) -1 && setresuid(args->uid, args->uid, args->uid) < 0)
                return nvml_child_system(c, errno, "setresuid");

        /* A credential change clears the parent-death signal, so it is set only now; then close the race
         * with a parent that died before it was armed. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                return nvml_child_system(c, errno, "prctl(PR_SET_PDEATHSIG)");
        if (getppid() != args->parent)
                _exit(EXIT_FAILURE);
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return nvml_child_system(c, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return nvml_child_system(c, errno, "clear ambient capabilities");
        cap_t none = cap_init();
        if (!none)
                return nvml_child_system(c, errno, "cap_init");
        r = cap_set_proc(none);
        int saved = errno;
        cap_free(none);
        if (r < 0)
                return nvml_child_system(c, saved, "drop capabilities");
        return 0;
}

static int nvml_child_load(NvmlChild *c, const NvmlHelperArgs *args) {
        char by_fd[64];
        snprintf(by_fd, sizeof by_fd, "/proc/self/fd/%d", args->lib_fd);
        /* Loading through the fd pins the file the parent checked; the path is the fallback without /proc. */
        const char *name = access(by_fd, F_OK) == 0 || !args->lib_path ? by_fd : args->lib_path;

        nvml_child_enter(c, "dlopen", -1);
        void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
                const char *e = dlerror();
                c->a->status = NVML_ANSWER_LOAD;
                snprintf(c->a->text, sizeof c->a->text, "%s", e ? e : "dlopen failed");
                return -1;
        }
        for (size_t i = 0; i < ELEMENTSOF(nvml_symbols); i++) {
                (void) dlerror();
                void *p = dlsym(h, nvml_symbols[i].name);
                if (!p && nvml_symbols[i].required) {
                        c->a->status = NVML_ANSWER_LOAD;
                        snprintf(c->a->text, sizeof c->a->text, "required symbol %s not found",
                                 nvml_symbols[i].name);
                        return -1;
                }
                memcpy((char *) &c->s + nvml_symbols[i].offset, &p, sizeof p);
        }
        return 0;
}

static int nvml_write_all(int fd, const void *data, size_t len) {
        const char *p = data;
        while (len > 0) {
                ssize_t k = write(fd, p, len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                len -= (size_t) k;
        }
        return 0;
}

/*
 * A static nvct cannot dlopen a library built against another glibc, so it runs NVML in a small dynamic helper:
 * the sandboxed child execs it with an empty environment (nothing like LD_PRELOAD can reach the loader) and the
 * same three fds. The helper answers exactly as the in-process path would.
 */
static const char *nvml_helper_path;

void nvct_nvml_use_helper(const char *path) {
        nvml_helper_path = path;
}

static void nvml_child_exec(NvmlChild *c, NvmlHelperArgs *args) {
        char lib[16], answer[16], progress[16];
        snprintf(lib, sizeof lib, "%d", args->lib_fd);
        snprintf(answer, sizeof answer, "%d", args->answer_fd);
        snprintf(progress, sizeof progress, "%d", args->progress_fd);
        char *argv[] = { (char *) "nvct-nvml", lib, answer, progress, NULL };
        char *envp[] = { NULL };
        /* the three fds must survive the exec */
        int fds[] = { args->lib_fd, args->answer_fd, args->progress_fd };
        for (size_t i = 0; i < ELEMENTSOF(fds); i++)
                (void) fcntl(fds[i], F_SETFD, 0);
        nvml_child_enter(c, "exec of the NVML helper", -1);
        syscall(SYS_execveat, args->exe_fd, "", argv, envp, AT_EMPTY_PATH);
        nvml_child_system(c, errno, "exec the NVML helper");
}

int nvct_nvml_helper_main(int argc, char **argv) {
        int lib_fd, answer_fd, progress_fd;
        if (argc != 4 || sscanf(argv[1], "%d", &lib_fd) != 1 || sscanf(argv[2], "%d", &answer_fd) != 1 ||
            sscanf(argv[3], "%d", &progress_fd) != 1) {
                fprintf(stderr, "nvct-nvml: internal helper of nvct, not for direct use\n");
                return 2;
        }
        NvmlProgress *progress = mmap(NULL, sizeof *progress, PROT_READ | PROT_WRITE, MAP_SHARED, progress_fd, 0);
        NvmlAnswer *a = calloc(1, sizeof *a);
        if (progress == MAP_FAILED || !a) {
                free(a);
                return 1;
        }
        a->magic = NVML_ANSWER_MAGIC;
        a->size = sizeof *a;
        a->cuda_version = -1;
        NvmlChild c = { .a = a, .progress = progress };
        NvmlHelperArgs args = { .lib_fd = lib_fd, .answer_fd = answer_fd, .progress_fd = progress_fd, .exe_fd = -1 };
        if (nvml_child_load(&c, &args) >= 0)
                (void) nvml_child_query(&c);
        nvml_child_enter(&c, "writing the answer", -1);
        _exit(nvml_write_all(answer_fd, a, sizeof *a) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

_Noreturn static void nvml_child_main(NvmlHelperArgs *args, NvmlProgress *progress) {
        NvmlAnswer *a = calloc(1, sizeof *a);
        if (!a)
                _exit(EXIT_FAILURE);
        a->magic = NVML_ANSWER_MAGIC;
        a->size = sizeof *a;
        a->cuda_version = -1;

        NvmlChild c = { .a = a, .progress = progress };
        if (nvml_child_sandbox(&c, args) >= 0) {
                if (args->exe_fd >= 0)
                        nvml_child_exec(&c, args);
                else if (nvml_child_load(&c, args) >= 0)
                        (void) nvml_child_query(&c);
        }
        nvml_child_enter(&c, "writing the answer", -1);
        _exit(nvml_write_all(args->answer_fd, a, sizeof *a) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
}

/* ---- The helper (parent side) ------------------------------------------------------------------------------ */

static int64_t nvml_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read up to size bytes before the deadline. Returns the byte count (short on EOF) or -ETIMEDOUT/-errno. */
static ssize_t nvml_read_answer(int fd, unsigned timeout_ms, void *buf, size_t size) {
        int64_t deadline = nvml_now_ms() + timeout_ms;
        size_t got = 0;
        while (got < size) {
                int64_t left = deadline - nvml_now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int n = poll(&p, 1, (int) MIN(left, (int64_t) INT32_MAX));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        continue;
                ssize_t k = read(fd, (char *) buf + got, size - got);
                if (k < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        return (ssize_t) got;
}

static int nvml_reap(pid_t pid, int *ret_status) {
        for (;;) {
                if (waitpid(pid, ret_status, 0) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

/* Strings from the helper are shown to users: terminated, and no control characters. */
static void nvml_sanitize(char *s, size_t size) {
        s[size - 1] = '\0';
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        *s = '?';
}
#define NVML_SANITIZE(buf) nvml_sanitize((buf), sizeof(buf))

static int nvml_validate(NvmlAnswer *a, NvctError *err) {
        if (a->magic != NVML_ANSWER_MAGIC || a->size != sizeof *a)
                return nvct_error_setx(err, EPROTO, "NVML helper sent a malformed answer");
        if (a->n_gpus > NVCT_NVML_MAX_GPUS)
                return nvct_error_setx(err, EPROTO, "NVML helper sent %" PRIu32 " GPUs (limit %d)", a->n_gpus,
                                       NVCT_NVML_MAX_GPUS);
        NVML_SANITIZE(a->where);
        NVML_SANITIZE(a->text);
        NVML_SANITIZE(a->driver_version);
        for (uint32_t i = 0; i < a->n_gpus; i++) {
                NvmlAnswerGpu *g = &a->gpus[i];
                if (g->n_migs > NVCT_NVML_MAX_MIGS)
                        return nvct_error_setx(err, EPROTO, "NVML helper sent %" PRIu32 " MIG devices for GPU %u",
                                               g->n_migs, (unsigned) i);
                NVML_SANITIZE(g->busid);
                NVML_SANITIZE(g->uuid);
                NVML_SANITIZE(g->name);
                for (uint32_t m = 0; m < g->n_migs; m++)
                        NVML_SANITIZE(g->migs[m].uuid);
        }
        return 0;
}

static int nvml_errno_of(int rc) {
        switch (rc) {
        case NVML_ERROR_DRIVER_NOT_LOADED:
        case NVML_ERROR_LIBRARY_NOT_FOUND:
                return ENODEV;
        case NVML_ERROR_NO_PERMISSION:
                return EACCES;
        case NVML_ERROR_TIMEOUT:
                return ETIMEDOUT;
        case NVML_ERROR_MEMORY:
                return ENOMEM;
        case NVML_ERROR_NOT_SUPPORTED:
                return EOPNOTSUPP;
        default:
                return EIO;
        }
}

static int nvml_answer_error(const NvmlAnswer *a, const char *lib_path, NvctError *err) {
        switch (a->status) {
        case NVML_ANSWER_OK:
                return 0;
        case NVML_ANSWER_SYSTEM:
                return nvct_error_set(err, a->code > 0 ? a->code : EIO, "NVML helper: %s", a->where);
        case NVML_ANSWER_LOAD:
                return nvct_error_setx(err, ELIBBAD, "cannot load NVML from %s: %s", lib_path, a->text);
        case NVML_ANSWER_NVML:
                return nvct_error_setx(err, nvml_errno_of(a->code), "%s: %s", a->where, a->text);
        case NVML_ANSWER_LIMIT:
                return nvct_error_setx(err, E2BIG, "%s", a->where);
        default:
                return nvct_error_setx(err, EPROTO, "NVML helper sent an unknown status %" PRId32, a->status);
        }
}

static int nvml_helper_failed(int r, int status, bool killed, const NvmlProgress *progress, unsigned timeout_ms,
                              NvctError *err) {
        char call[sizeof progress->call], where[sizeof call + 32];
        memcpy(call, progress->call, sizeof call);
        NVML_SANITIZE(call);
        if (progress->gpu >= 0)
                snprintf(where, sizeof where, "%s for GPU %d", call[0] ? call : "startup", (int) progress->gpu);
        else
                snprintf(where, sizeof where, "%s", call[0] ? call : "startup");

        if (r == -ETIMEDOUT)
                return nvct_error_setx(err, ETIMEDOUT, "NVML did not answer within %u ms (hung in %s?)", timeout_ms,
                                       where);
        if (r < 0)
                return nvct_error_set(err, -r, "read the NVML helper's answer");
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && killed)
                return nvct_error_setx(err, ECHILD, "NVML helper closed its answer pipe without answering (in %s)",
                                       where);
        if (WIFSIGNALED(status)) {
                int sig = WTERMSIG(status);
                const char *abbrev = sigabbrev_np(sig);
                return nvct_error_setx(err, ECHILD, "NVML helper was killed by signal %d (SIG%s) in %s", sig,
                                       abbrev ? abbrev : "?", where);
        }
        if (WIFEXITED(status))
                return nvct_error_setx(err, ECHILD, "NVML helper exited with status %d without answering (in %s)",
                                       WEXITSTATUS(status), where);
        return nvct_error_setx(err, ECHILD, "NVML helper ended without answering (in %s)", where);
}

static void nvml_progress_unmap(NvmlProgress **p) {
        if (*p && *p != MAP_FAILED)
                (void) munmap(*p, sizeof **p);
}

static int nvml_run_helper(int lib_fd, const char *lib_path, const NvctDiscoverOptions *opts, NvmlAnswer *a,
                           NvctError *err) {
        unsigned timeout_ms = opts && opts->nvml_timeout_ms ? opts->nvml_timeout_ms : NVCT_NVML_DEFAULT_TIMEOUT_MS;
        _cleanup_close_ int progress_fd = memfd_create("nvct-nvml-progress", MFD_CLOEXEC);
        _cleanup_close_ int exe_fd = -EBADF;
        if (progress_fd < 0 || ftruncate(progress_fd, sizeof(NvmlProgress)) < 0)
                return nvct_error_set(err, errno, "create the NVML helper's progress page");
        _cleanup_(nvml_progress_unmap) NvmlProgress *progress =
                mmap(NULL, sizeof *progress, PROT_READ | PROT_WRITE, MAP_SHARED, progress_fd, 0);
        if (progress == MAP_FAILED)
                return nvct_error_set(err, errno, "map the NVML helper's progress page");
        if (nvml_helper_path) {
                exe_fd = open(nvml_helper_path, O_PATH | O_CLOEXEC);
                if (exe_fd < 0)
                        return nvct_error_set(err, errno, "open the NVML helper %s", nvml_helper_path);
        }
        progress->gpu = -1;

        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return nvct_error_set(err, errno, "create the NVML helper's pipe");
        _cleanup_close_ int rfd = p[0], wfd = p[1];

        NvmlHelperArgs args = {
                .lib_fd = lib_fd,
                .lib_path = lib_path,
                .answer_fd = wfd,
                .progress_fd = progress_fd,
                .exe_fd = exe_fd,
                .parent = getpid(),
                .uid = opts ? opts->nvml_uid : (uid_t) -1,
                .gid = opts ? opts->nvml_gid : (gid_t) -1,
        };
        pid_t pid = fork();
        if (pid < 0)
                return nvct_error_set(err, errno, "fork the NVML helper");
        if (pid == 0)
                nvml_child_main(&args, progress);
        (void) close(TAKE_FD(wfd));

        int64_t start = nvml_now_ms();
        ssize_t got = nvml_read_answer(rfd, timeout_ms, a, sizeof *a);
        /* Without a whole answer the helper is of no further use, and it may still be running (NVML closed
         * our pipe, or it hung): kill it so the reap cannot block. A helper that already exited keeps its status. */
        bool killed = got < 0 || (size_t) got < sizeof *a;
        if (killed)
                (void) kill(pid, SIGKILL);
        int status = 0, rr = nvml_reap(pid, &status);
        nvml_log(opts, "NVML helper %d finished in %" PRId64 " ms", (int) pid, nvml_now_ms() - start);
        if (got < 0 || (size_t) got < sizeof *a) {
                if (got >= 0 && rr < 0)
                        return nvct_error_set(err, -rr, "reap the NVML helper");
                return nvml_helper_failed(got < 0 ? (int) got : 0, status, killed, progress, timeout_ms, err);
        }
        int r = nvml_validate(a, err);
        if (r < 0)
                return r;
        return nvml_answer_error(a, lib_path, err);
}

/* ---- Merging the answer into the driver ------------------------------------------------------------------- */

typedef struct NvmlBus {
        unsigned domain, bus, dev, fn;
} NvmlBus;

static bool nvml_parse_bus(const char *s, NvmlBus *ret) {
        int n = -1;
        if (!s || sscanf(s, "%x:%x:%x.%x%n", &ret->domain, &ret->bus, &ret->dev, &ret->fn, &n) != 4)
                return false;
        return n > 0 && s[n] == '\0';
}

static bool nvml_same_bus(const char *a, const char *b) {
        NvmlBus x, y;
        if (!nvml_parse_bus(a, &x) || !nvml_parse_bus(b, &y))
                return false;
        return x.domain == y.domain && x.bus == y.bus && x.dev == y.dev && x.fn == y.fn;
}

/* Only the first n (procfs) entries are candidates; appended ones came from NVML itself. */
static NvctGpu *nvml_match(NvctDriver *drv, size_t n, const NvmlAnswerGpu *g, const bool *taken) {
        for (size_t i = 0; i < n; i++)
                if (!taken[i] && g->busid[0] && nvml_same_bus(drv->gpus[i].busid, g->busid))
                        return &drv->gpus[i];
        for (size_t i = 0; i < n; i++)
                if (!taken[i] && g->uuid[0] && strcasecmp(drv->gpus[i].uuid, g->uuid) == 0)
                        return &drv->gpus[i];
        for (size_t i = 0; i < n; i++)
                if (!taken[i] && g->minor >= 0 && !drv->gpus[i].busid[0] && !drv->gpus[i].uuid[0] &&
                    drv->gpus[i].minor == (unsigned) g->minor)
                        return &drv->gpus[i];
        return NULL;
}

static int nvml_cap_minor(const NvctDriver *drv, unsigned gpu, int gi, int ci) {
        for (size_t i = 0; i < drv->n_mig_minors; i++) {
                const NvctMigMinor *m = &drv->mig_minors[i];
                if (m->gpu == (int) gpu && m->gi == gi && m->ci == ci && streq(m->name, "access"))
                        return (int) m->minor;
        }
        return -1;
}

static void nvml_free_migs(NvctGpu *gpu) {
        for (size_t i = 0; i < gpu->n_migs; i++) {
                free(gpu->migs[i].gi_access);
                free(gpu->migs[i].ci_access);
        }
        free(gpu->migs);
        gpu->migs = NULL;
        gpu->n_migs = 0;
}

static int nvml_merge_migs(const NvctDriver *drv, NvctGpu *gpu, const NvmlAnswerGpu *g) {
        nvml_free_migs(gpu);
        if (g->n_migs == 0)
                return 0;
        NvctMigDevice *migs = calloc(g->n_migs, sizeof *migs);
        if (!migs)
                return -ENOMEM;
        gpu->migs = migs;
        for (uint32_t m = 0; m < g->n_migs; m++) {
                NvctMigDevice *d = &migs[m];
                const NvmlAnswerMig *am = &g->migs[m];
                d->index = m;
                d->gi = am->gi;
                d->ci = am->ci;
                snprintf(d->uuid, sizeof d->uuid, "%s", am->uuid);
                d->gi_cap_minor = nvml_cap_minor(drv, gpu->minor, (int) am->gi, -1);
                d->ci_cap_minor = nvml_cap_minor(drv, gpu->minor, (int) am->gi, (int) am->ci);
                gpu->n_migs = m + 1;
                if (asprintf(&d->gi_access, "/proc/driver/nvidia/capabilities/gpu%u/mig/gi%u/access", gpu->minor,
                             am->gi) < 0) {
                        d->gi_access = NULL;
                        return -ENOMEM;
                }
                if (asprintf(&d->ci_access, "/proc/driver/nvidia/capabilities/gpu%u/mig/gi%u/ci%u/access",
                             gpu->minor, am->gi, am->ci) < 0) {
                        d->ci_access = NULL;
                        return -ENOMEM;
                }
        }
        return 0;
}

static void nvml_fill_node(const NvctRoots *roots, const NvctDriver *drv, NvctGpu *gpu) {
        const char *dev_root = roots && roots->dev_root ? roots->dev_root : "/";
        NvctDevNode *n = &gpu->node;
        struct stat st;

        n->major = drv->major_nvidia ? drv->major_nvidia : 195;
        n->minor = gpu->minor;
        if (asprintf(&n->path, "/dev/nvidia%u", gpu->minor) < 0) {
                n->path = NULL;
                return;
        }
        if (asprintf(&n->host_path, "%s%s", streq(dev_root, "/") ? "" : dev_root, n->path) < 0) {
                n->host_path = NULL;
                return;
        }
        if (stat(n->host_path, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == n->major &&
            minor(st.st_rdev) == n->minor) {
                n->present = true;
                n->mode = st.st_mode & 07777;
                n->uid = st.st_uid;
                n->gid = st.st_gid;
        }
}

/* A GPU NVML sees that procfs did not list (a driver without per-GPU procfs, or a filtered view of it). */
static NvctGpu *nvml_append(const NvctRoots *roots, NvctDriver *drv, const NvmlAnswerGpu *g) {
        NvctGpu *n = realloc(drv->gpus, (drv->n_gpus + 1) * sizeof *n);
        if (!n)
                return NULL;
        drv->gpus = n;
        NvctGpu *gpu = &n[drv->n_gpus++];
        *gpu = (NvctGpu) { .minor = g->minor >= 0 ? (unsigned) g->minor : 0 };
        NvmlBus b;
        if (nvml_parse_bus(g->busid, &b))
                snprintf(gpu->busid, sizeof gpu->busid, "%08x:%02x:%02x.%x", b.domain, b.bus, b.dev, b.fn);
        snprintf(gpu->uuid, sizeof gpu->uuid, "%s", g->uuid);
        nvml_fill_node(roots, drv, gpu);
        return gpu;
}

static int nvml_merge_gpu(const NvctDriver *drv, NvctGpu *gpu, const NvmlAnswerGpu *g, unsigned index) {
        gpu->index = index;
        if (!gpu->model[0])
                snprintf(gpu->model, sizeof gpu->model, "%s", g->name);
        if (!gpu->uuid[0])
                snprintf(gpu->uuid, sizeof gpu->uuid, "%s", g->uuid);
        if (g->brand >= 0)
                snprintf(gpu->brand, sizeof gpu->brand, "%s", nvct_nvml_brand_name(g->brand));
        if (g->cc_major >= 0 && g->cc_minor >= 0)
                snprintf(gpu->arch, sizeof gpu->arch, "%d.%d", (int) g->cc_major, (int) g->cc_minor);
        gpu->memory_total = g->memory_total;
        gpu->mig_capable = g->mig_capable;
        gpu->mig_enabled = g->mig_enabled;
        return nvml_merge_migs(drv, gpu, g);
}

static int nvml_cmp_index(const void *a, const void *b) {
        const NvctGpu *x = a, *y = b;
        return x->index < y->index ? -1 : x->index > y->index;
}

static int nvml_merge(const NvctRoots *roots, const NvctDiscoverOptions *opts, const NvmlAnswer *a,
                      NvctDriver *drv, NvctError *err) {
        size_t n_proc = drv->n_gpus;
        /* Per procfs GPU: already claimed by an NVML device. Appends only grow the array past n_proc. */
        _cleanup_free_ bool *taken = calloc(n_proc + 1, sizeof *taken);
        if (!taken)
                return nvct_error_set(err, ENOMEM, "merge the NVML answer");

        for (uint32_t i = 0; i < a->n_gpus; i++) {
                const NvmlAnswerGpu *g = &a->gpus[i];
                NvctGpu *gpu = nvml_match(drv, n_proc, g, taken);
                if (gpu)
                        taken[gpu - drv->gpus] = true;
                else {
                        nvml_log(opts, "NVML GPU %u (%s, %s) is not in procfs; adding it", (unsigned) i, g->uuid,
                                 g->busid);
                        gpu = nvml_append(roots, drv, g);
                        if (!gpu)
                                return nvct_error_set(err, ENOMEM, "merge the NVML answer");
                }
                if (nvml_merge_gpu(drv, gpu, g, i) < 0)
                        return nvct_error_set(err, ENOMEM, "merge the NVML answer");
        }
        /* GPUs NVML did not report keep their relative order after the ones it did. */
        unsigned next = a->n_gpus;
        for (size_t i = 0; i < n_proc; i++)
                if (!taken[i]) {
                        nvml_log(opts, "GPU %s (minor %u) is in procfs but not reported by NVML",
                                 drv->gpus[i].busid, drv->gpus[i].minor);
                        drv->gpus[i].index = next++;
                }
        if (drv->n_gpus > 1)
                qsort(drv->gpus, drv->n_gpus, sizeof *drv->gpus, nvml_cmp_index);

        if (!drv->version[0])
                snprintf(drv->version, sizeof drv->version, "%s", a->driver_version);
        else if (a->driver_version[0] && !streq(drv->version, a->driver_version))
                nvml_log(opts, "NVML reports driver %s, procfs %s", a->driver_version, drv->version);
        nvct_cuda_version_format(a->cuda_version, drv->cuda_version, sizeof drv->cuda_version);
        drv->nvml_used = true;
        return 0;
}

static int nvml_fill_fd(const NvctRoots *roots, const NvctDiscoverOptions *opts, NvctDriver *drv, int lib_fd,
                        const char *lib_path, NvctError *err) {
        _cleanup_free_ NvmlAnswer *a = calloc(1, sizeof *a);
        if (!a)
                return nvct_error_set(err, ENOMEM, "run NVML");
        nvml_log(opts, "loading NVML from %s in a helper", lib_path);
        int r = nvml_run_helper(lib_fd, lib_path, opts, a, err);
        if (r < 0)
                return r;
        return nvml_merge(roots, opts, a, drv, err);
}

int nvct_nvml_fill(const NvctRoots *roots, const NvctDiscoverOptions *opts, NvctDriver *drv, NvctError *err) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = nvct_nvml_open_library(roots, drv, &path, err);
        if (fd < 0)
                return fd;
        return nvml_fill_fd(roots, opts, drv, fd, path, err);
}

/* ---- The CUDA version cache -------------------------------------------------------------------------------- */

#define CUDA_CACHE_FILE "cuda-version"
#define CUDA_CACHE_MAX 4096

static bool cuda_cache_word_ok(const char *s, size_t max) {
        size_t n = strnlen(s, max + 1);
        if (n == 0 || n > max)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= 0x20 || (unsigned char) *s >= 0x7f)
                        return false;
        return true;
}

/* Everything the CUDA version depends on; a change in any of it is a miss. */
static int cuda_cache_key(const NvctRoots *roots, const NvctDriver *drv, int lib_fd, char **ret) {
        const char *proc = roots && roots->proc_root ? roots->proc_root : "/proc";
        _cleanup_free_ char *boot_path = NULL, *boot = NULL;
        struct stat st;

        if (!cuda_cache_word_ok(drv->version, sizeof drv->version - 1))
                return -ENODATA;
        if (fstat(lib_fd, &st) < 0)
                return -errno;
        if (asprintf(&boot_path, "%s/sys/kernel/random/boot_id", proc) < 0)
                return -ENOMEM;
        NvctError ignored = NVCT_ERROR_INIT;
        int r = read_file_at(AT_FDCWD, boot_path, 128, &boot, NULL, &ignored);
        if (r < 0)
                return r;
        boot[strcspn(boot, "\n")] = '\0';
        if (!cuda_cache_word_ok(boot, 64))
                return -ENODATA;
        if (asprintf(ret, "nvct-cuda-version 1\ndriver %s\nlib %llx %llu %lld %lld.%09ld\nboot %s\n", drv->version,
                     (unsigned long long) st.st_dev, (unsigned long long) st.st_ino, (long long) st.st_size,
                     (long long) st.st_mtim.tv_sec, st.st_mtim.tv_nsec, boot) < 0)
                return -ENOMEM;
        return 0;
}

/* Only a directory or file of our own that nobody else can write is trusted. */
static bool cuda_cache_trusted(int fd, bool dir) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return false;
        if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                return false;
        return st.st_uid == geteuid() && (st.st_mode & 022) == 0;
}

static int cuda_cache_open_dir(const char *dir, bool create) {
        bool made = false;
        if (create) {
                if (mkdir(dir, 0755) == 0)
                        made = true;
                else if (errno != EEXIST)
                        return -errno;
        }
        _cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        /* The umask may have narrowed it; readers running as other users need to traverse it. */
        if (made && fchmod(fd, 0755) < 0)
                return -errno;
        if (!cuda_cache_trusted(fd, true))
                return -EPERM;
        return TAKE_FD(fd);
}

/* Returns 1 and the version on a hit, 0 on a miss (absent, foreign, corrupt or stale). */
static int cuda_cache_lookup(int dir_fd, const char *key, char *ret, size_t size) {
        _cleanup_close_ int fd = openat(dir_fd, CUDA_CACHE_FILE,
                                        O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || !cuda_cache_trusted(fd, false))
                return 0;
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        NvctError ignored = NVCT_ERROR_INIT;
        if (read_fd(fd, CUDA_CACHE_FILE, CUDA_CACHE_MAX, &text, &len, &ignored) < 0 || strlen(text) != len)
                return 0;
        size_t klen = strlen(key);
        if (len <= klen || !strneq(text, key, klen))
                return 0;
        unsigned major = 0, minor = 0;
        int n = -1;
        if (sscanf(text + klen, "cuda %3u.%3u\n%n", &major, &minor, &n) != 2 || n < 0 || text[klen + n] != '\0' ||
            text[klen + n - 1] != '\n' || major == 0)
                return 0;
        snprintf(ret, size, "%u.%u", major, minor);
        return 1;
}

static int cuda_cache_store(int dir_fd, const char *key, const char *version) {
        _cleanup_free_ char *text = NULL;
        if (asprintf(&text, "%scuda %s\n", key, version) < 0)
                return -ENOMEM;
        char tmp[64];
        snprintf(tmp, sizeof tmp, ".%s.%d", CUDA_CACHE_FILE, (int) getpid());
        int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
        _cleanup_close_ int fd = openat(dir_fd, tmp, flags, 0644);
        if (fd < 0 && errno == EEXIST) {
                /* Left behind by a dead process that had our pid. */
                (void) unlinkat(dir_fd, tmp, 0);
                fd = openat(dir_fd, tmp, flags, 0644);
        }
        if (fd < 0)
                return -errno;
        int r = nvml_write_all(fd, text, strlen(text));
        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r >= 0 && renameat(dir_fd, tmp, dir_fd, CUDA_CACHE_FILE) < 0)
                r = -errno;
        if (r < 0)
                (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

int nvct_cuda_version_cached(const NvctRoots *roots, const NvctDiscoverOptions *opts, NvctDriver *drv,
                             const char *cache_dir, NvctError *err) {
        const char *dir = cache_dir ? cache_dir : NVCT_CUDA_CACHE_DIR;
        _cleanup_free_ char *path = NULL, *key = NULL;
        _cleanup_close_ int fd = nvct_nvml_open_library(roots, drv, &path, err);
        if (fd < 0)
                return fd;

        int r = cuda_cache_key(roots, drv, fd, &key);
        if (r < 0)
                nvml_log(opts, "CUDA version cache unusable: %s", strerror(-r));
        else if (key) {
                _cleanup_close_ int dir_fd = cuda_cache_open_dir(dir, false);
                char version[sizeof drv->cuda_version];
                if (dir_fd >= 0 && cuda_cache_lookup(dir_fd, key, version, sizeof version) > 0) {
                        nvml_log(opts, "CUDA version %s from %s/%s", version, dir, CUDA_CACHE_FILE);
                        memcpy(drv->cuda_version, version, sizeof version);
                        return 1;
                }
        }

        r = nvml_fill_fd(roots, opts, drv, fd, path, err);
        if (r < 0 || !key || !drv->cuda_version[0])
                return r < 0 ? r : 0;

        _cleanup_close_ int dir_fd = cuda_cache_open_dir(dir, true);
        r = dir_fd < 0 ? dir_fd : cuda_cache_store(dir_fd, key, drv->cuda_version);
        if (r < 0)
                nvml_log(opts, "cannot write the CUDA version cache in %s: %s", dir, strerror(-r));
        return 0;
}
