/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "caps.h"
#include "configure.h"
#include "image.h"
#include "kmods.h"
#include "nvml.h"
#include "require.h"
#include "rootfs.h"
#include "select.h"
#include "strv.h"

static long long now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int nvct_configure_check_requires(const NvctDriver *drv, const bool *gpus, char *const *requires, NvctError *err) {
        _cleanup_free_ NvctRequireFacts *facts = NULL;
        size_t n = 0;

        if (!requires || !*requires)
                return 0;
        facts = calloc(drv->n_gpus + 1, sizeof(*facts));
        if (!facts)
                return nvct_error_set(err, ENOMEM, "requirements");
        for (size_t i = 0; i < drv->n_gpus; i++) {
                if (!gpus || !gpus[i])
                        continue;
                facts[n++] = (NvctRequireFacts) {
                        .cuda = drv->cuda_version,
                        .driver = drv->version,
                        .arch = drv->gpus[i].arch[0] ? drv->gpus[i].arch : NULL,
                        .brand = drv->gpus[i].brand[0] ? drv->gpus[i].brand : NULL,
                };
        }
        if (n == 0)
                facts[0] = (NvctRequireFacts) { .cuda = drv->cuda_version, .driver = drv->version };
        return nvct_require_check(requires, facts, n, err);
}

/* Which driver facts do the requirements need? Only those cost NVML. */
static unsigned requires_need(char *const *requires) {
        unsigned need = 0;
        for (char *const *r = requires; r && *r; r++) {
                _cleanup_free_ char *low = strdup(*r);
                if (!low)
                        return 3;
                for (char *c = low; *c; c++)
                        *c = (char) tolower((unsigned char) *c);
                if (strstr(low, "cuda"))
                        need |= 1;
                if (strstr(low, "arch") || strstr(low, "brand"))
                        need |= 2;
        }
        return need;
}

/* The plan takes flag arrays; the selection gives bitsets. */
typedef struct Selected {
        bool *gpus;
        bool **migs;
        size_t n_gpus;
} Selected;

static void selected_done(Selected *s) {
        for (size_t i = 0; s->migs && i < s->n_gpus; i++)
                free(s->migs[i]);
        free(s->migs);
        free(s->gpus);
        *s = (Selected) { 0 };
}

static int select_devices(const NvctDriver *drv, const char *list, Selected *ret, NvctError *err) {
        _cleanup_selection_ NvctSelection *sel = NULL;
        int r = nvct_select_devices(drv, list ? list : "", &sel, err);
        if (r < 0) /* libnvidia-container's wording: "device error: 7: unknown device" */
                return nvct_error_prefix(err, r, "device error");
        Selected s = { .n_gpus = drv->n_gpus };
        s.gpus = calloc(drv->n_gpus + 1, sizeof(bool));
        s.migs = calloc(drv->n_gpus + 1, sizeof(bool *));
        if (!s.gpus || !s.migs) {
                selected_done(&s);
                return nvct_error_set(err, ENOMEM, "device selection");
        }
        for (size_t i = 0; i < drv->n_gpus; i++) {
                s.gpus[i] = nvct_selection_has_gpu(sel, i);
                if (drv->gpus[i].n_migs == 0)
                        continue;
                s.migs[i] = calloc(drv->gpus[i].n_migs, sizeof(bool));
                if (!s.migs[i]) {
                        selected_done(&s);
                        return nvct_error_set(err, ENOMEM, "device selection");
                }
                for (size_t j = 0; j < drv->gpus[i].n_migs; j++)
                        s.migs[i][j] = nvct_selection_has_mig(sel, i, j);
        }
        *ret = s;
        return 0;
}

static int validate_args(const NvctConfigureArgs *a, NvctError *err) {
        if (!a->rootfs || a->rootfs[0] != '/' || streq(a->rootfs, "/"))
                return nvct_error_setx(err, EINVAL, "invalid rootfs directory: %s", a->rootfs ? a->rootfs : "(none)");
        if (a->mig_config && *a->mig_config && strcasecmp(a->mig_config, "all") != 0)
                return nvct_error_setx(err, EINVAL, "mig error: %s: only \"all\" is supported", a->mig_config);
        if (a->mig_monitor && *a->mig_monitor && strcasecmp(a->mig_monitor, "all") != 0)
                return nvct_error_setx(err, EINVAL, "mig error: %s: only \"all\" is supported", a->mig_monitor);
        for (char *const *r = a->requires; r && *r; r++) {
                int k = nvct_require_validate(*r, err);
                if (k < 0)
                        return k;
        }
        return 0;
}

static int discover_for(const NvctConfigureArgs *a, NvctDriver **ret, NvctError *err) {
        unsigned need = requires_need(a->requires);
        NvctDiscoverOptions opts = {
                .flags = NVCT_DISCOVER_FILES | ((a->caps & NVCT_CAP_COMPAT32) ? NVCT_DISCOVER_COMPAT32 : 0) |
                         ((need & 2) ? NVCT_DISCOVER_NVML : 0) |
                         ((a->mig_config && *a->mig_config) || (a->mig_monitor && *a->mig_monitor) ?
                                  NVCT_DISCOVER_MIG_MINORS :
                                  0),
                .nvml_timeout_ms = a->nvml_timeout_ms,
                .nvml_uid = a->nvml_uid,
                .nvml_gid = a->nvml_gid,
                .log = a->log,
                .log_userdata = a->log_userdata,
        };
        _cleanup_driver_ NvctDriver *drv = NULL;
        int r = nvct_driver_discover(&a->roots, &opts, &drv, err);
        if (r < 0)
                return r;
        if ((need & 1) && !drv->cuda_version[0]) {
                /* the CUDA version is the one requirement fact procfs lacks: cached per driver */
                r = a->cuda_cache_dir ? nvct_cuda_version_cached(&a->roots, &opts, drv, a->cuda_cache_dir, err) :
                                        nvct_nvml_fill(&a->roots, &opts, drv, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(drv);
        return 0;
}

static int inspect_image(const NvctConfigureArgs *a, const NvctDriver *drv, NvctImageFacts *facts, NvctError *err) {
        _cleanup_close_ int root_fd = -EBADF;
        int r = rootfs_open_root(a->rootfs, &root_fd, err);
        if (r < 0)
                return r;
        return nvct_image_inspect(root_fd, drv->version, a->cuda_compat && (a->caps & NVCT_CAP_COMPUTE), facts, err);
}

int nvct_configure(const NvctConfigureArgs *a, NvctConfigureStats *stats, NvctError *err) {
        _cleanup_driver_ NvctDriver *drv = NULL;
        _cleanup_plan_ NvctPlan *plan = NULL;
        _cleanup_free_ unsigned *imex = NULL;
        Selected sel = { 0 };
        NvctImageFacts facts;
        size_t n_imex = 0;
        int r;

        long long t0 = now_us();
        r = validate_args(a, err);
        if (r < 0)
                return r;
        r = nvct_parse_imex_channels(a->imex_channels, &imex, &n_imex, err);
        if (r < 0)
                return r;
        if (a->load_kmods) {
                NvctKmodOptions kopts = {
                        .create_imex_channels = !a->no_create_imex_channels,
                        .imex_channels = imex,
                        .n_imex_channels = n_imex,
                        .log = a->log,
                        .log_userdata = a->log_userdata,
                };
                nvct_kmods_load(&a->roots, &kopts);
        }
        r = discover_for(a, &drv, err);
        if (r < 0)
                return r;
        r = select_devices(drv, a->devices, &sel, err);
        if (r >= 0)
                r = nvct_configure_check_requires(drv, sel.gpus, a->requires, err);
        if (r >= 0)
                r = inspect_image(a, drv, &facts, err);
        long long t1 = now_us();
        if (r >= 0) {
                NvctPlanInput in = {
                        .driver = drv,
                        .roots = &a->roots,
                        .gpus = sel.gpus,
                        .migs = (const bool *const *) sel.migs,
                        .caps = a->caps,
                        .layout = NVCT_LAYOUT_IMAGE_DIRS,
                        .libs_dir = facts.libs_dir,
                        .libs32_dir = facts.libs32_dir,
                        .bins_dir = facts.bins_dir,
                        .mig_config_all = a->mig_config && *a->mig_config,
                        .mig_monitor_all = a->mig_monitor && *a->mig_monitor,
                        .imex_channels = imex,
                        .n_imex_channels = n_imex,
                        .no_persistenced = a->no_persistenced,
                        .no_fabricmanager = a->no_fabricmanager,
                        .no_gsp_firmware = a->no_gsp_firmware,
                        .compat_dir = facts.compat_dir[0] ? facts.compat_dir : NULL,
                };
                r = nvct_plan_compute(&in, &plan, err);
        }
        selected_done(&sel);
        if (r < 0)
                return r;
        long long t2 = now_us();
        /* the container's owner, as NVIDIA takes it: the owner of /proc/PID */
        char procpath[32];
        struct stat st = { .st_uid = 0, .st_gid = 0 };
        snprintf(procpath, sizeof(procpath), "/proc/%d", (int) a->pid);
        (void) stat(procpath, &st);
        NvctInjectTarget target = {
                .pid = a->pid,
                .rootfs = a->rootfs,
                .no_devbind = a->no_devbind,
                .no_cgroups = a->no_cgroups,
                .uid = st.st_uid,
                .gid = st.st_gid,
                .ldconfig = a->ldconfig,
                .no_pivot = a->no_pivot,
                .log = a->log,
                .log_userdata = a->log_userdata,
        };
        NvctInjectStats istats = { 0 };
        r = nvct_inject(plan, &target, &istats, err);
        if (stats)
                *stats = (NvctConfigureStats) { .discover_us = t1 - t0, .plan_us = t2 - t1, .inject = istats };
        return r;
}
