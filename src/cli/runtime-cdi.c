/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The shim's cdi and jit-cdi modes. Requests come from the request module (CDI names in NVIDIA_VISIBLE_DEVICES,
 * bare names with the default kind, cdi.k8s.io/ annotations, volume mounts under
 * /var/run/nvidia-container-devices/cdi). cdi injects from the spec directories; jit-cdi generates the
 * runtime.nvidia.com/gpu spec in memory at every create.
 *
 * Beyond NVIDIA: NVIDIA_DRIVER_CAPABILITIES and NVIDIA_REQUIRE_* hold in both modes, and a spec written for
 * another driver version than the one loaded is reported (or regenerated with [nvct] cdi-refresh-on-stale).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cdi-apply.h"
#include "cdi-cache.h"
#include "cdi-generate.h"
#include "discover-files.h"
#include "log.h"
#include "nvml.h"
#include "require.h"
#include "runtime.h"
#include "strv.h"

#define JIT_KIND "runtime.nvidia.com/gpu"
#define JIT_VENDOR "runtime.nvidia.com"

static const char *const legacy_hooks[] = { "nvidia-container-runtime-hook", "nvidia-container-toolkit", NULL };

static char *hook_path(void) {
        char *p = runtime_find_executable("nvidia-cdi-hook");
        return p ? p : strdup("/usr/bin/nvidia-cdi-hook");
}

static bool is_jit_name(const char *name) {
        return strneq(name, JIT_KIND "=", strlen(JIT_KIND) + 1);
}

/* procfs only: the version, the GPUs. NULL driver (and 0) when the driver is not loaded. */
static int loaded_driver(const Settings *s, NvctDriver **ret, NvctError *err) {
        NvctDiscoverOptions opts = { .nvml_uid = (uid_t) -1, .nvml_gid = (gid_t) -1,
                                     .log = log_enabled() ? log_sink : NULL };
        NvctError ierr = NVCT_ERROR_INIT;
        int r = nvct_driver_discover(&s->roots, &opts, ret, &ierr);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0 && err)
                *err = ierr;
        return r;
}

static int check_requirements(const Settings *s, const NvctRequest *req, NvctDriver *drv, NvctError *err) {
        if (!req->requires || !req->requires[0])
                return 0;
        if (!drv)
                return nvct_error_setx(err, ENODEV, "requirement error: the NVIDIA driver is not loaded");
        NvctDiscoverOptions opts = { .nvml_uid = (uid_t) -1, .nvml_gid = (gid_t) -1,
                                     .nvml_timeout_ms = (unsigned) s->cfg->nvct.nvml_timeout_ms };
        const char *cache = s->cfg->nvct.cuda_version_cache && *s->cfg->nvct.cuda_version_cache ?
                                    s->cfg->nvct.cuda_version_cache : NULL;
        if (!drv->cuda_version[0]) {
                /* a failed lookup leaves cuda unknown, which the evaluation treats as such */
                NvctError ignored = NVCT_ERROR_INIT;
                if (nvct_cuda_version_cached(&s->roots, &opts, drv, cache, &ignored) < 0)
                        runtime_log("warning", "CUDA version unknown: %s", ignored.msg);
        }
        NvctRequireFacts facts = { .cuda = drv->cuda_version[0] ? drv->cuda_version : NULL, .driver = drv->version };
        return nvct_require_check(req->requires, &facts, 0, err);
}

static int generate_jit(const Settings *s, const NvctRequest *req, const char *kind, char *const *ids,
                        NvctCdiSpec **ret, NvctError *err) {
        _cleanup_driver_ NvctDriver *drv = NULL;
        _cleanup_free_ char *hook = hook_path();
        _cleanup_free_ char *vendor = NULL, *class_ = NULL;
        bool mig_uuid = false;
        for (char *const *i = ids; i && *i; i++)
                mig_uuid = mig_uuid || strneq(*i, "MIG-", 4);
        if (!hook || nvct_cdi_parse_kind(kind, &vendor, &class_) < 0)
                return nvct_error_set(err, ENOMEM, "jit-cdi");
        unsigned naming = NVCT_CDI_NAME_INDEX | NVCT_CDI_NAME_UUID | NVCT_CDI_NAME_TYPE_INDEX;
        int r = nvct_cdi_discover(&s->roots, naming, mig_uuid, &drv, err);
        if (r < 0)
                return r;
        NvctCdiGenerateOptions o = {
                .roots = &s->roots,
                .vendor = vendor,
                .class_ = class_,
                .naming = naming,
                .device_ids = ids,
                .hook_path = hook,
                .caps = req ? req->caps : 0,
                .additional_gids = !s->cfg->features.no_additional_gids_for_device_nodes,
        };
        return nvct_cdi_generate(drv, &o, ret, err);
}

/* The device names of a kind's requests ("0", "GPU-…"), "all" dropped (it makes every device). */
static int ids_of(char *const *names, char ***ret) {
        for (char *const *n = names; n && *n; n++) {
                const char *id = strchr(*n, '=') + 1;
                if (streq(id, "all"))
                        return strv_free(*ret), *ret = NULL, 0;
                if (strv_extend(ret, id) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int refresh_stale(const Settings *s, NvctCdiCache *c, const NvctCdiSpec *stale, NvctError *err) {
        NvctCdiSpec *fresh = NULL;
        int r = generate_jit(s, NULL, stale->kind, NULL, &fresh, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "regenerating the stale CDI spec %s", stale->path);
        fresh->priority = stale->priority;
        if (stale->path && !(fresh->path = strdup(stale->path))) {
                nvct_cdi_spec_free(fresh);
                return nvct_error_set(err, ENOMEM, "CDI spec");
        }
        return nvct_cdi_cache_replace_spec(c, (size_t) nvct_cdi_cache_spec_index(c, stale), fresh, err);
}

/* A spec that names a driver version other than the loaded one would mount files that no longer exist. */
static int check_stale(const Settings *s, NvctCdiCache *c, char *const *names, const NvctDriver *drv,
                       NvctError *err) {
        size_t i = 0;
        while (drv && names && names[i]) {
                const NvctCdiCacheDevice *d = nvct_cdi_cache_lookup(c, names[i]);
                _cleanup_free_ char *v = d ? nvct_cdi_spec_driver_version(d->spec) : NULL;
                if (!v || streq(v, drv->version)) {
                        i++;
                        continue;
                }
                if (!s->cfg->nvct.cdi_refresh_on_stale)
                        return nvct_error_setx(err, ESTALE,
                                               "the CDI spec %s was generated for NVIDIA driver %s, but driver %s is "
                                               "loaded: run `nvidia-ctk cdi refresh` (or `cdi generate`), or set "
                                               "[nvct] cdi-refresh-on-stale = true",
                                               d->spec->path ? d->spec->path : "(memory)", v, drv->version);
                runtime_log("warning", "CDI spec %s is for driver %s, driver %s is loaded: regenerating it in memory",
                            d->spec->path ? d->spec->path : "(memory)", v, drv->version);
                int r = refresh_stale(s, c, d->spec, err);
                if (r < 0)
                        return r;
                i = 0; /* the cache was rebuilt: look every name up again */
        }
        return 0;
}

static bool cap_allows(unsigned file_caps, unsigned caps) {
        return file_caps == 0 || (file_caps & caps);
}

/* Keep only the libraries and binaries of the requested capabilities, as the hook would. */
static void filter_caps(NvctCdiEdits *e, unsigned caps) {
        if (caps & NVCT_CAP_VIDEO)
                caps |= NVCT_CAP_COMPUTE;
        if (caps & NVCT_CAP_DISPLAY)
                caps |= NVCT_CAP_GRAPHICS;
        size_t k = 0;
        for (size_t i = 0; i < e->n_mounts; i++) {
                NvctCdiMount *m = &e->mounts[i];
                const char *b = strrchr(m->container_path, '/');
                b = b ? b + 1 : m->container_path;
                if (cap_allows(nvct_library_caps(b), caps) && cap_allows(nvct_binary_caps(b), caps)) {
                        e->mounts[k++] = *m;
                        continue;
                }
                free(m->host_path);
                free(m->container_path);
                free(m->type);
                strv_free(m->options);
        }
        e->n_mounts = k;
}

static int load_cache(const Settings *s, char *const *names, bool jit, const NvctRequest *req, NvctCdiCache **ret,
                      NvctError *err) {
        _cleanup_cdi_cache_ NvctCdiCache *c = nvct_cdi_cache_new();
        _cleanup_strv_free_ char **ids = NULL;
        size_t n_jit = 0, n = strv_length(names);
        int r;

        if (!c)
                return nvct_error_set(err, ENOMEM, "CDI cache");
        for (char *const *nm = names; nm && *nm; nm++)
                n_jit += jit && is_jit_name(*nm);
        if (n_jit && n_jit != n)
                return nvct_error_setx(err, EINVAL, "jit-cdi: %s devices cannot be combined with other CDI devices",
                                       JIT_KIND);
        if (n_jit) {
                NvctCdiSpec *spec = NULL;
                if (ids_of(names, &ids) < 0)
                        return nvct_error_set(err, ENOMEM, "jit-cdi");
                r = generate_jit(s, req, JIT_KIND, ids, &spec, err);
                if (r < 0)
                        return nvct_error_prefix(err, r, "jit-cdi: generating the CDI spec");
                r = nvct_cdi_cache_add_spec(c, spec, err);
        } else {
                char **dirs = s->cfg->runtime.cdi.spec_dirs;
                r = nvct_cdi_cache_scan(c, dirs && dirs[0] ? dirs : NULL, err);
                for (char **e = c->errors; r >= 0 && e && *e; e++)
                        runtime_log("warning", "%s", *e);
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int runtime_mode_cdi(const Settings *s, NvctOciSpec *spec, bool jit, NvctError *err) {
        _cleanup_request_ NvctRequest *req = NULL;
        _cleanup_driver_ NvctDriver *drv = NULL;
        _cleanup_cdi_cache_ NvctCdiCache *cache = NULL;
        NvctRequestPolicy policy;
        NvctImage image;
        NvctCdiEdits edits;
        int r;

        nvct_oci_spec_image(spec, &image);
        settings_policy(s, jit ? NVCT_REQUEST_JIT_CDI : NVCT_REQUEST_CDI, &policy);
        r = nvct_request_build(&image, &policy, &req, err);
        if (r < 0)
                return r;
        if (!req->gpu_container) {
                runtime_log("info", "not a GPU container: leaving the spec unchanged");
                return 0;
        }
        _cleanup_free_ char *desc = nvct_request_describe(req);
        runtime_log("info", "request: %s", desc ? desc : "?");
        r = nvct_oci_remove_hooks(spec, "prestart", legacy_hooks);
        if (r > 0)
                runtime_log("info", "removed %d legacy NVIDIA prestart hook(s)", r);
        if ((r = loaded_driver(s, &drv, err)) < 0 || (r = check_requirements(s, req, drv, err)) < 0)
                return r;
        if (!req->devices || !req->devices[0])
                return 0;
        if ((r = load_cache(s, req->devices, jit, req, &cache, err)) < 0)
                return r;
        bool generated = jit && is_jit_name(req->devices[0]);
        if (!generated && (r = check_stale(s, cache, req->devices, drv, err)) < 0)
                return r;
        if ((r = nvct_cdi_collect_edits(cache, req->devices, &edits, err)) < 0)
                return r;
        if (!generated)
                filter_caps(&edits, req->caps);
        r = nvct_cdi_apply_edits(spec->json, &edits, err);
        nvct_cdi_edits_done(&edits);
        if (r < 0)
                return r;
        _cleanup_free_ char *names = strv_join(req->devices, ", ");
        runtime_log("info", "injected CDI devices %s", names ? names : "?");
        return 0;
}
