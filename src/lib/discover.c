/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover-devices.h"
#include "discover-files.h"
#include "discover-procfs.h"
#include "driver.h"
#include "nvml.h"
#include "strv.h"

#define LOG(opts, ...)                                                                                                 \
        do {                                                                                                           \
                if ((opts) && (opts)->log)                                                                             \
                        (opts)->log((opts)->log_userdata, __VA_ARGS__);                                                \
        } while (0)

void nvct_roots_fill_defaults(const NvctRoots *in, NvctRoots *out) {
        *out = (NvctRoots) NVCT_ROOTS_DEFAULT;
        if (!in)
                return;
        if (in->driver_root)
                out->driver_root = in->driver_root;
        /* dev and ipc roots follow the driver root unless given: a containerised driver brings its own /dev. */
        out->dev_root = in->dev_root ? in->dev_root : out->driver_root;
        out->ipc_root = in->ipc_root ? in->ipc_root : out->driver_root;
        if (in->proc_root)
                out->proc_root = in->proc_root;
        if (in->sys_root)
                out->sys_root = in->sys_root;
        if (in->ldcache)
                out->ldcache = in->ldcache;
}

/* Optional procfs text: absent is fine, anything else unreadable is an error. */
static int read_optional(const char *proc_root, const char *rel, size_t max, char **ret, NvctError *err) {
        NvctError ierr = NVCT_ERROR_INIT;
        int r = nvct_procfs_read(proc_root, rel, max, ret, &ierr);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0 && err)
                *err = ierr;
        return r;
}

static int read_procfs(const NvctRoots *roots, const NvctDiscoverOptions *opts, NvctDriver *drv,
                       NvctProcMajors *majors, NvctError *err) {
        int r;

        r = nvct_procfs_read_version(roots->proc_root, drv, err);
        if (r < 0)
                return r;
        LOG(opts, "NVRM version %s (%s/driver/nvidia/version)", drv->version, roots->proc_root);
        r = read_optional(roots->proc_root, "driver/nvidia/params", NVCT_PROC_SMALL_MAX, &drv->proc_params, err);
        if (r < 0)
                return r;
        r = read_optional(roots->proc_root, "driver/nvidia/registry", NVCT_PROC_LARGE_MAX, &drv->proc_registry, err);
        if (r < 0)
                return r;
        r = nvct_procfs_read_majors(roots->proc_root, drv, majors, err);
        if (r < 0)
                return r;
        LOG(opts, "majors from %s/devices: nvidia %u, nvidia-uvm %u, nvidia-caps %u, nvidia-caps-imex-channels %u",
            roots->proc_root, drv->major_nvidia, drv->major_uvm, drv->major_caps, drv->major_imex);
        r = nvct_procfs_read_gpus(roots->proc_root, drv, err);
        if (r < 0)
                return r;
        /* The minors table is large and only matters for MIG: skip it when no GPU has MIG instances and neither
         * NVML (which may find some) nor the caller asks for it. */
        bool want_minors = opts && (opts->flags & (NVCT_DISCOVER_MIG_MINORS | NVCT_DISCOVER_NVML));
        for (size_t i = 0; i < drv->n_gpus; i++)
                want_minors = want_minors || drv->gpus[i].mig_enabled;
        if (want_minors) {
                r = nvct_procfs_read_mig_minors(roots->proc_root, drv, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < drv->n_gpus; i++)
                LOG(opts, "found GPU %s (%s, minor %u) in procfs", drv->gpus[i].busid, drv->gpus[i].uuid,
                    drv->gpus[i].minor);
        return 0;
}

static int mig_minor_lookup(const NvctDriver *drv, unsigned gpu, unsigned gi, int ci) {
        for (size_t i = 0; i < drv->n_mig_minors; i++) {
                const NvctMigMinor *m = &drv->mig_minors[i];
                if (m->gpu == (int) gpu && m->gi == (int) gi && m->ci == ci && streq(m->name, "access"))
                        return (int) m->minor;
        }
        return -1;
}

/* Access-file paths and nvidia-caps minors of MIG devices NVML reported. */
static int fill_mig_caps(const NvctRoots *roots, NvctDriver *drv, NvctError *err) {
        for (size_t i = 0; i < drv->n_gpus; i++) {
                NvctGpu *g = &drv->gpus[i];
                for (size_t j = 0; j < g->n_migs; j++) {
                        NvctMigDevice *m = &g->migs[j];
                        unsigned minor;
                        if (!m->gi_access) {
                                if (asprintf(&m->gi_access, "/proc/driver/nvidia/capabilities/gpu%u/mig/gi%u/access",
                                             g->minor, m->gi) < 0) {
                                        m->gi_access = NULL;
                                        return nvct_error_set(err, ENOMEM, "MIG capabilities");
                                }
                                m->gi_cap_minor = -1;
                        }
                        if (!m->ci_access) {
                                if (asprintf(&m->ci_access,
                                             "/proc/driver/nvidia/capabilities/gpu%u/mig/gi%u/ci%u/access", g->minor,
                                             m->gi, m->ci) < 0) {
                                        m->ci_access = NULL;
                                        return nvct_error_set(err, ENOMEM, "MIG capabilities");
                                }
                                m->ci_cap_minor = -1;
                        }
                        if (nvct_procfs_read_cap_minor(roots->proc_root, m->gi_access, &minor, NULL, NULL) >= 0)
                                m->gi_cap_minor = (int) minor;
                        else if (m->gi_cap_minor < 0)
                                m->gi_cap_minor = mig_minor_lookup(drv, g->minor, m->gi, -1);
                        if (nvct_procfs_read_cap_minor(roots->proc_root, m->ci_access, &minor, NULL, NULL) >= 0)
                                m->ci_cap_minor = (int) minor;
                        else if (m->ci_cap_minor < 0)
                                m->ci_cap_minor = mig_minor_lookup(drv, g->minor, m->gi, (int) m->ci);
                }
        }
        return 0;
}

static int discover_nvml(const NvctRoots *roots, const NvctDiscoverOptions *opts, NvctDriver *drv, NvctError *err) {
        NvctError ierr = NVCT_ERROR_INIT;
        int r = nvct_nvml_fill(roots, opts, drv, &ierr);
        if (r >= 0) {
                LOG(opts, "NVML: CUDA version %s, %zu GPUs", drv->cuda_version[0] ? drv->cuda_version : "unknown",
                    drv->n_gpus);
                return 0;
        }
        if (opts->flags & NVCT_DISCOVER_NO_NVML_FALLBACK) {
                if (err)
                        *err = ierr;
                return r;
        }
        LOG(opts, "NVML failed, using procfs only: %s", ierr.msg);
        return 0;
}

static void log_node(const NvctDiscoverOptions *opts, const NvctDevNode *n) {
        if (!n->path)
                return;
        if (n->present)
                LOG(opts, "selecting %s (%u:%u)", n->host_path, n->major, n->minor);
        else
                LOG(opts, "skipping %s: not present as character device %u:%u", n->path, n->major, n->minor);
}

static void log_devices(const NvctDiscoverOptions *opts, const NvctDriver *drv) {
        if (!opts || !opts->log)
                return;
        for (unsigned i = 0; i < NVCT_CTL_COUNT; i++)
                log_node(opts, &drv->ctl[i]);
        for (size_t i = 0; i < drv->n_gpus; i++) {
                log_node(opts, &drv->gpus[i].node);
                if (drv->gpus[i].drm_card.path)
                        log_node(opts, &drv->gpus[i].drm_card);
                if (drv->gpus[i].drm_render.path)
                        log_node(opts, &drv->gpus[i].drm_render);
        }
        for (size_t i = 0; i < drv->n_cap_nodes; i++)
                log_node(opts, &drv->cap_nodes[i]);
        for (size_t i = 0; i < drv->n_imex_channels; i++)
                log_node(opts, &drv->imex_channels[i]);
}

int nvct_driver_discover(const NvctRoots *roots_in, const NvctDiscoverOptions *opts_in, NvctDriver **ret,
                         NvctError *err) {
        static const NvctDiscoverOptions default_opts = { .nvml_uid = (uid_t) -1, .nvml_gid = (gid_t) -1 };
        const NvctDiscoverOptions *opts = opts_in ? opts_in : &default_opts;
        _cleanup_driver_ NvctDriver *drv = NULL;
        NvctProcMajors majors = { 0 };
        NvctRoots roots;
        int r;

        nvct_roots_fill_defaults(roots_in, &roots);
        drv = calloc(1, sizeof(*drv));
        if (!drv)
                return nvct_error_set(err, ENOMEM, "driver discovery");
        r = read_procfs(&roots, opts, drv, &majors, err);
        if (r < 0)
                return r;
        if (opts->flags & NVCT_DISCOVER_FILES) {
                r = nvct_discover_files(&roots, drv->version, opts->flags, drv, err);
                if (r < 0)
                        return r;
        }
        if (opts->flags & NVCT_DISCOVER_NVML) {
                r = discover_nvml(&roots, opts, drv, err);
                if (r < 0)
                        return r;
        }
        if (drv->nvml_used)
                r = fill_mig_caps(&roots, drv, err);
        else
                for (size_t i = 0; i < drv->n_gpus && r >= 0; i++)
                        r = nvct_procfs_read_migs(roots.proc_root, &drv->gpus[i], err);
        if (r < 0)
                return r;
        r = nvct_devices_discover(&roots, majors.drm, drv, err);
        if (r < 0)
                return r;
        log_devices(opts, drv);
        *ret = TAKE_PTR(drv);
        return 0;
}

static void free_gpu(NvctGpu *g) {
        for (size_t j = 0; j < g->n_migs; j++) {
                free(g->migs[j].gi_access);
                free(g->migs[j].ci_access);
        }
        free(g->migs);
        free(g->proc_dir);
        nvct_devnode_clear(&g->node);
        nvct_devnode_clear(&g->drm_card);
        nvct_devnode_clear(&g->drm_render);
}

NvctDriver *nvct_driver_free(NvctDriver *d) {
        if (!d)
                return NULL;
        for (size_t i = 0; i < d->n_gpus; i++)
                free_gpu(&d->gpus[i]);
        free(d->gpus);
        for (unsigned i = 0; i < NVCT_CTL_COUNT; i++)
                nvct_devnode_clear(&d->ctl[i]);
        for (size_t i = 0; i < d->n_imex_channels; i++)
                nvct_devnode_clear(&d->imex_channels[i]);
        free(d->imex_channels);
        for (size_t i = 0; i < d->n_cap_nodes; i++)
                nvct_devnode_clear(&d->cap_nodes[i]);
        free(d->cap_nodes);
        free(d->mig_minors);
        for (size_t i = 0; i < d->n_files; i++) {
                free(d->files[i].path);
                free(d->files[i].host_path);
                free(d->files[i].container_path);
                free(d->files[i].soname);
        }
        free(d->files);
        strv_free(d->lib_dirs);
        free(d->proc_params);
        free(d->proc_version);
        free(d->proc_registry);
        free(d);
        return NULL;
}
