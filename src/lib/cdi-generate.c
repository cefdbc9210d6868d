/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "cdi-generate.h"
#include "plan.h"
#include "strv.h"

#define DEFAULT_VENDOR "nvidia.com"
#define DEFAULT_CLASS "gpu"

static const struct {
        const char *name;
        unsigned id;
} hook_table[] = {
        { "create-symlinks", NVCT_CDI_HOOK_CREATE_SYMLINKS },
        { "enable-cuda-compat", NVCT_CDI_HOOK_ENABLE_CUDA_COMPAT },
        { "update-ldcache", NVCT_CDI_HOOK_UPDATE_LDCACHE },
        { "disable-device-node-modification", NVCT_CDI_HOOK_DISABLE_DEVICE_NODE_MODIFICATION },
        { "update-application-profile", NVCT_CDI_HOOK_UPDATE_APPLICATION_PROFILE },
        { "all", NVCT_CDI_HOOK_ALL },
};

unsigned nvct_cdi_hook_from_name(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(hook_table); i++)
                if (streq(name, hook_table[i].name))
                        return hook_table[i].id;
        return 0;
}

unsigned nvct_cdi_naming_from_name(const char *name) {
        if (streq(name, "index"))
                return NVCT_CDI_NAME_INDEX;
        if (streq(name, "uuid"))
                return NVCT_CDI_NAME_UUID;
        if (streq(name, "type-index"))
                return NVCT_CDI_NAME_TYPE_INDEX;
        return 0;
}

int nvct_cdi_discover(const NvctRoots *roots, unsigned naming, bool need_nvml, NvctDriver **ret, NvctError *err) {
        NvctDiscoverOptions opts = { .flags = NVCT_DISCOVER_FILES, .nvml_uid = (uid_t) -1, .nvml_gid = (gid_t) -1 };
        _cleanup_driver_ NvctDriver *drv = NULL;
        int r = nvct_driver_discover(roots, &opts, &drv, err);
        if (r < 0)
                return r;
        bool want_uuids = (naming == 0 || (naming & NVCT_CDI_NAME_UUID));
        for (size_t i = 0; i < drv->n_gpus && want_uuids && !need_nvml; i++)
                for (size_t j = 0; j < drv->gpus[i].n_migs; j++)
                        if (!drv->gpus[i].migs[j].uuid[0])
                                need_nvml = true;
        if (need_nvml) {
                /* procfs has no MIG UUIDs: only NVML can name those devices */
                nvct_driver_free(TAKE_PTR(drv));
                opts.flags |= NVCT_DISCOVER_NVML;
                r = nvct_driver_discover(roots, &opts, &drv, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(drv);
        return 0;
}

typedef struct Gen {
        const NvctDriver *drv;
        const NvctCdiGenerateOptions *o;
        NvctCdiSpec *spec;
        unsigned hooks;
        unsigned caps;
        char **all_links;     /* create-symlinks --link values of every device, for the "all" device */
        NvctCdiEdits all;     /* union of device edits */
        size_t n_devices;     /* devices made (before "all") */
        NvctError *err;
} Gen;

static const char *base_name(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static int plan_for(Gen *g, ssize_t gpu, ssize_t mig, NvctPlan **ret) {
        const NvctDriver *drv = g->drv;
        _cleanup_free_ bool *gpus = calloc(drv->n_gpus + 1, sizeof(bool));
        _cleanup_free_ bool *mig_row = NULL;
        _cleanup_free_ const bool **migs = calloc(drv->n_gpus + 1, sizeof(bool *));
        if (!gpus || !migs)
                return nvct_error_set(g->err, ENOMEM, "plan");
        if (gpu >= 0) {
                gpus[gpu] = true;
                if (mig >= 0) {
                        mig_row = calloc(drv->gpus[gpu].n_migs, sizeof(bool));
                        if (!mig_row)
                                return nvct_error_set(g->err, ENOMEM, "plan");
                        mig_row[mig] = true;
                        migs[gpu] = mig_row;
                }
        }
        NvctPlanInput in = {
                .driver = drv,
                .roots = g->o->roots,
                .gpus = gpus,
                .migs = migs,
                .caps = g->caps,
                .layout = NVCT_LAYOUT_HOST_PATHS,
                .device_access = "rwm",
        };
        return nvct_plan_compute(&in, ret, g->err);
}

static int hook_args(Gen *g, const char *name, char *const *extra, char ***ret) {
        _cleanup_strv_free_ char **args = NULL;
        const char *base = base_name(g->o->hook_path);
        int r = strv_extend(&args, base);
        /* nvidia-ctk carries the hooks as a subcommand */
        if (r >= 0 && streq(base, "nvidia-ctk"))
                r = strv_extend(&args, "hook");
        if (r >= 0)
                r = strv_extend(&args, name);
        for (char *const *e = extra; r >= 0 && e && *e; e++)
                r = strv_extend(&args, *e);
        if (r < 0)
                return nvct_error_set(g->err, ENOMEM, "hook arguments");
        *ret = TAKE_PTR(args);
        return 0;
}

static int add_hook(Gen *g, NvctCdiEdits *e, const char *name, char *const *extra) {
        static char *const env[] = { (char *) "NVIDIA_CTK_DEBUG=false", NULL };
        _cleanup_strv_free_ char **args = NULL;
        int r = hook_args(g, name, extra, &args);
        if (r < 0)
                return r;
        if (nvct_cdi_edits_add_hook(e, "createContainer", g->o->hook_path, args, env) < 0)
                return nvct_error_set(g->err, ENOMEM, "hook");
        return 0;
}

static int add_links_hook(Gen *g, NvctCdiEdits *e, char *const *links) {
        _cleanup_strv_free_ char **extra = NULL;
        if (!(g->hooks & NVCT_CDI_HOOK_CREATE_SYMLINKS) || strv_length(links) == 0)
                return 0;
        for (char *const *l = links; *l; l++)
                if (strv_extend(&extra, "--link") < 0 || strv_extend(&extra, *l) < 0)
                        return nvct_error_set(g->err, ENOMEM, "hook");
        return add_hook(g, e, "create-symlinks", extra);
}

static int common_hooks(Gen *g, const NvctPlan *p, NvctCdiEdits *e) {
        _cleanup_strv_free_ char **links = NULL, **extra = NULL;
        int r;

        for (size_t i = 0; i < p->n_symlinks; i++)
                if (strv_extendf(&links, "%s::%s", p->symlinks[i].target, p->symlinks[i].link_path) < 0)
                        return nvct_error_set(g->err, ENOMEM, "hook");
        r = add_links_hook(g, e, links);
        if (r >= 0 && (g->hooks & NVCT_CDI_HOOK_ENABLE_CUDA_COMPAT) && p->driver_version && *p->driver_version) {
                if (strv_extendf(&extra, "--host-driver-version=%s", p->driver_version) < 0)
                        return nvct_error_set(g->err, ENOMEM, "hook");
                r = add_hook(g, e, "enable-cuda-compat", extra);
                extra = strv_free(extra);
        }
        if (r >= 0 && (g->hooks & NVCT_CDI_HOOK_UPDATE_LDCACHE) && p->run_ldconfig && strv_length(p->ldconfig_dirs)) {
                for (char **d = p->ldconfig_dirs; *d; d++)
                        if (strv_extend(&extra, "--folder") < 0 || strv_extend(&extra, *d) < 0)
                                return nvct_error_set(g->err, ENOMEM, "hook");
                if (g->o->ldconfig_path && *g->o->ldconfig_path &&
                    (strv_extend(&extra, "--ldconfig-path") < 0 || strv_extend(&extra, g->o->ldconfig_path) < 0))
                        return nvct_error_set(g->err, ENOMEM, "hook");
                r = add_hook(g, e, "update-ldcache", extra);
        }
        if (r >= 0 && (g->hooks & NVCT_CDI_HOOK_DISABLE_DEVICE_NODE_MODIFICATION))
                r = add_hook(g, e, "disable-device-node-modification", NULL);
        if (r >= 0 && (g->hooks & NVCT_CDI_HOOK_UPDATE_APPLICATION_PROFILE))
                r = add_hook(g, e, "update-application-profile", NULL);
        return r;
}

/* The directory of the injected libcuda, which NVIDIA's tools look up through NVIDIA_CTK_LIBCUDA_DIR. */
static char *libcuda_dir(const NvctPlan *p) {
        for (size_t i = 0; i < p->n_mounts; i++) {
                const char *c = p->mounts[i].container_path;
                if (strneq(base_name(c), "libcuda.so.", 11))
                        return strndup(c, (size_t) (base_name(c) - 1 - c));
        }
        return NULL;
}

static int add_node(Gen *g, NvctCdiEdits *e, const NvctPlanDevice *d) {
        for (size_t i = 0; i < e->n_nodes; i++)
                if (streq(e->nodes[i].path, d->container_path))
                        return 0;
        if (nvct_cdi_edits_add_node(e, d->container_path, d->host_path) < 0)
                return nvct_error_set(g->err, ENOMEM, "device node");
        /* a node the container user cannot open without the node's group (0660 root:video) */
        if (g->o->additional_gids && d->gid != 0 && (d->mode & 006) != 006 &&
            nvct_cdi_edits_add_gid(e, (uint32_t) d->gid) < 0)
                return nvct_error_set(g->err, ENOMEM, "device node");
        return 0;
}

static bool is_proc_path(const char *p) {
        return streq(p, "/proc") || strneq(p, "/proc/", 6);
}

static int common_edits(Gen *g) {
        _cleanup_plan_ NvctPlan *p = NULL;
        NvctCdiEdits *e = &g->spec->edits;
        int r = plan_for(g, -1, -1, &p);
        if (r < 0)
                return r;
        _cleanup_free_ char *cuda_dir = libcuda_dir(p);
        if (cuda_dir && strv_extendf(&e->env, "NVIDIA_CTK_LIBCUDA_DIR=%s", cuda_dir) < 0)
                return nvct_error_set(g->err, ENOMEM, "env");
        /* keeps the legacy hook from injecting a second time */
        if (nvct_cdi_edits_add_env(e, "NVIDIA_VISIBLE_DEVICES=void") < 0)
                return nvct_error_set(g->err, ENOMEM, "env");
        for (size_t i = 0; i < p->n_devices; i++)
                if ((r = add_node(g, e, &p->devices[i])) < 0)
                        return r;
        for (size_t i = 0; i < p->n_mounts; i++) {
                const NvctPlanMount *m = &p->mounts[i];
                /* the /proc/driver/nvidia view is the hooks' business in CDI: runtimes refuse binds into /proc */
                if (is_proc_path(m->container_path))
                        continue;
                _cleanup_strv_free_ char **opts = NULL;
                if (((m->flags & NVCT_MNT_RO) && strv_extend(&opts, "ro") < 0) || strv_extend(&opts, "nosuid") < 0 ||
                    strv_extend(&opts, "nodev") < 0 || strv_extend(&opts, "rbind") < 0 ||
                    strv_extend(&opts, "rprivate") < 0 || ((m->flags & NVCT_MNT_NOEXEC) && strv_extend(&opts, "noexec") < 0))
                        return nvct_error_set(g->err, ENOMEM, "mount");
                if (nvct_cdi_edits_add_mount(e, m->host_path, m->container_path, opts) < 0)
                        return nvct_error_set(g->err, ENOMEM, "mount");
        }
        return common_hooks(g, p, e);
}

static bool is_control_node(const NvctDriver *drv, const char *path) {
        for (unsigned i = 0; i < NVCT_CTL_COUNT; i++)
                if (drv->ctl[i].path && streq(drv->ctl[i].path, path))
                        return true;
        return false;
}

static bool id_selected(Gen *g, char *const *names) {
        char *const *ids = g->o->device_ids;
        if (!ids || !ids[0] || strv_contains(ids, "all"))
                return true;
        for (char *const *n = names; *n; n++)
                if (**n && strv_contains(ids, *n))
                        return true;
        return false;
}

/* The device's edits from its own plan: its nodes, minus the control nodes common edits already hold. */
static int device_edits(Gen *g, size_t gpu, ssize_t mig, NvctCdiEdits *e, char ***links) {
        const NvctGpu *gp = &g->drv->gpus[gpu];
        _cleanup_plan_ NvctPlan *p = NULL;
        int r = plan_for(g, (ssize_t) gpu, mig, &p);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_devices; i++) {
                const char *c = p->devices[i].container_path;
                if (is_control_node(g->drv, c) || (mig >= 0 && strneq(c, "/dev/dri/", 9)))
                        continue;
                if ((r = add_node(g, e, &p->devices[i])) < 0)
                        return r;
        }
        if (mig >= 0 || !gp->proc_dir || !(g->caps & (NVCT_CAP_GRAPHICS | NVCT_CAP_DISPLAY)))
                return 0;
        /* the /dev/dri/by-path names Mesa and Xorg look the GPU up by */
        const NvctDevNode *drm[] = { &gp->drm_card, &gp->drm_render };
        const char *suffix[] = { "card", "render" };
        for (size_t k = 0; k < 2; k++)
                if (drm[k]->present && drm[k]->path &&
                    strv_extendf(links, "../%s::/dev/dri/by-path/pci-%s-%s", base_name(drm[k]->path),
                                 base_name(gp->proc_dir), suffix[k]) < 0)
                        return nvct_error_set(g->err, ENOMEM, "links");
        return 0;
}

static int add_device(Gen *g, char *const *names, ssize_t gpu, ssize_t mig) {
        NvctCdiEdits e = { 0 };
        _cleanup_strv_free_ char **links = NULL;
        int r = device_edits(g, (size_t) gpu, mig, &e, &links);
        if (r >= 0)
                r = add_links_hook(g, &e, links);
        for (char *const *l = links; r >= 0 && l && *l; l++)
                if (!strv_contains(g->all_links, *l) && strv_extend(&g->all_links, *l) < 0)
                        r = nvct_error_set(g->err, ENOMEM, "links");
        for (size_t i = 0; r >= 0 && i < e.n_nodes; i++) {
                const NvctCdiDeviceNode *n = &e.nodes[i];
                bool dup = false;
                for (size_t j = 0; j < g->all.n_nodes; j++)
                        dup = dup || streq(g->all.nodes[j].path, n->path);
                if (!dup && nvct_cdi_edits_add_node(&g->all, n->path, n->host_path ? n->host_path : n->path) < 0)
                        r = nvct_error_set(g->err, ENOMEM, "device");
        }
        for (size_t i = 0; r >= 0 && i < e.n_additional_gids; i++)
                if (nvct_cdi_edits_add_gid(&g->all, e.additional_gids[i]) < 0)
                        r = nvct_error_set(g->err, ENOMEM, "device");
        for (char *const *n = names; r >= 0 && *n; n++) {
                if (!**n)
                        continue;
                NvctCdiDevice *d = nvct_cdi_spec_add_device(g->spec, *n);
                if (!d || nvct_cdi_edits_copy(&e, &d->edits) < 0)
                        r = nvct_error_set(g->err, ENOMEM, "device");
        }
        nvct_cdi_edits_done(&e);
        if (r >= 0)
                g->n_devices++;
        return r;
}

static int gpu_devices(Gen *g) {
        unsigned naming = g->o->naming ? g->o->naming : (NVCT_CDI_NAME_INDEX | NVCT_CDI_NAME_UUID);
        int r;

        for (size_t i = 0; i < g->drv->n_gpus; i++) {
                const NvctGpu *gp = &g->drv->gpus[i];
                char idx[32], tidx[40];
                if (!gp->mig_enabled) {
                        snprintf(idx, sizeof(idx), "%u", gp->index);
                        snprintf(tidx, sizeof(tidx), "gpu%u", gp->index);
                        char *names[] = { (naming & NVCT_CDI_NAME_INDEX) ? idx : (char *) "",
                                          (naming & NVCT_CDI_NAME_UUID) ? (char *) gp->uuid : (char *) "",
                                          (naming & NVCT_CDI_NAME_TYPE_INDEX) ? tidx : (char *) "", NULL };
                        char *ids[] = { idx, (char *) gp->uuid, NULL };
                        if (id_selected(g, ids) && (r = add_device(g, names, (ssize_t) i, -1)) < 0)
                                return r;
                        continue;
                }
                /* a GPU in MIG mode is offered through its MIG devices only */
                for (size_t j = 0; j < gp->n_migs; j++) {
                        const NvctMigDevice *m = &gp->migs[j];
                        snprintf(idx, sizeof(idx), "%u:%u", gp->index, m->index);
                        snprintf(tidx, sizeof(tidx), "mig%u:%u", gp->index, m->index);
                        char *names[] = { (naming & NVCT_CDI_NAME_INDEX) ? idx : (char *) "",
                                          (naming & NVCT_CDI_NAME_UUID) ? (char *) m->uuid : (char *) "",
                                          (naming & NVCT_CDI_NAME_TYPE_INDEX) ? tidx : (char *) "", NULL };
                        char *ids[] = { idx, (char *) m->uuid, NULL };
                        if (id_selected(g, ids) && (r = add_device(g, names, (ssize_t) i, (ssize_t) j)) < 0)
                                return r;
                }
        }
        return 0;
}

static int management_device(Gen *g) {
        const NvctDriver *drv = g->drv;
        NvctCdiEdits *e = &g->all;
        for (size_t i = 0; i < drv->n_gpus; i++)
                if (drv->gpus[i].node.present &&
                    nvct_cdi_edits_add_node(e, drv->gpus[i].node.path, drv->gpus[i].node.host_path) < 0)
                        return nvct_error_set(g->err, ENOMEM, "device");
        for (size_t i = 0; i < drv->n_cap_nodes; i++)
                if (drv->cap_nodes[i].present &&
                    nvct_cdi_edits_add_node(e, drv->cap_nodes[i].path, drv->cap_nodes[i].host_path) < 0)
                        return nvct_error_set(g->err, ENOMEM, "device");
        for (size_t i = 0; i < drv->n_imex_channels; i++)
                if (drv->imex_channels[i].present &&
                    nvct_cdi_edits_add_node(e, drv->imex_channels[i].path, drv->imex_channels[i].host_path) < 0)
                        return nvct_error_set(g->err, ENOMEM, "device");
        g->n_devices = e->n_nodes;
        return 0;
}

static int cmp_device(const void *a, const void *b) {
        return strcmp(((const NvctCdiDevice *) a)->name, ((const NvctCdiDevice *) b)->name);
}

static int finish_devices(Gen *g) {
        bool none = g->o->device_ids && strv_contains(g->o->device_ids, "none");
        int r;

        if (none) {
                NvctCdiDevice *d = nvct_cdi_spec_add_device(g->spec, "none");
                if (!d || nvct_cdi_edits_add_env(&d->edits, "NVCT_EMPTY_DEVICE=") < 0)
                        return nvct_error_set(g->err, ENOMEM, "device");
        } else if (!g->o->no_all_device || g->o->mode == NVCT_CDI_MODE_MANAGEMENT) {
                if (g->n_devices == 0)
                        return nvct_error_setx(g->err, ENODEV, "no NVIDIA devices found to generate CDI devices for");
                r = add_links_hook(g, &g->all, g->all_links);
                if (r < 0)
                        return r;
                NvctCdiDevice *d = nvct_cdi_spec_add_device(g->spec, "all");
                if (!d || nvct_cdi_edits_copy(&g->all, &d->edits) < 0)
                        return nvct_error_set(g->err, ENOMEM, "device");
        }
        if (g->spec->n_devices == 0)
                return nvct_error_setx(g->err, ENODEV, "no NVIDIA devices found to generate CDI devices for");
        qsort(g->spec->devices, g->spec->n_devices, sizeof(NvctCdiDevice), cmp_device);
        return 0;
}

int nvct_cdi_generate(const NvctDriver *drv, const NvctCdiGenerateOptions *o, NvctCdiSpec **ret, NvctError *err) {
        const char *vendor = o->vendor && *o->vendor ? o->vendor : DEFAULT_VENDOR;
        const char *class_ = o->class_ && *o->class_ ? o->class_ : DEFAULT_CLASS;
        _cleanup_free_ char *kind = NULL;
        int r;

        if ((r = nvct_cdi_validate_vendor(vendor, err)) < 0 || (r = nvct_cdi_validate_class(class_, err)) < 0)
                return r;
        if (!o->hook_path || o->hook_path[0] != '/')
                return nvct_error_setx(err, EINVAL, "the CDI hook path must be absolute (got \"%s\")",
                                       o->hook_path ? o->hook_path : "");
        if (asprintf(&kind, "%s/%s", vendor, class_) < 0)
                return nvct_error_set(err, ENOMEM, "kind");
        _cleanup_cdi_spec_ NvctCdiSpec *spec = nvct_cdi_spec_new(kind);
        if (!spec)
                return nvct_error_set(err, ENOMEM, "spec");
        Gen g = {
                .drv = drv,
                .o = o,
                .spec = spec,
                .hooks = o->hooks ? o->hooks : NVCT_CDI_HOOKS_DEFAULT,
                .caps = o->caps ? o->caps : (NVCT_CAP_ALL & ~(unsigned) NVCT_CAP_COMPAT32),
                .err = err,
        };
        r = common_edits(&g);
        if (r >= 0)
                r = o->mode == NVCT_CDI_MODE_MANAGEMENT ? management_device(&g) : gpu_devices(&g);
        if (r >= 0)
                r = finish_devices(&g);
        strv_free(g.all_links);
        nvct_cdi_edits_done(&g.all);
        if (r < 0)
                return r;
        if (!(spec->version = strdup(nvct_cdi_minimum_version(spec))))
                return nvct_error_set(err, ENOMEM, "spec");
        *ret = TAKE_PTR(spec);
        return 0;
}

static char *version_in_hooks(const NvctCdiEdits *e) {
        static const char opt[] = "--host-driver-version";
        for (size_t i = 0; i < e->n_hooks; i++)
                for (char **a = e->hooks[i].args; a && *a; a++) {
                        if (strneq(*a, opt, sizeof(opt) - 1) && (*a)[sizeof(opt) - 1] == '=')
                                return strdup(*a + sizeof(opt));
                        if (streq(*a, opt) && a[1])
                                return strdup(a[1]);
                }
        return NULL;
}

static char *version_in_mounts(const NvctCdiEdits *e) {
        static const char *const prefixes[] = { "libcuda.so.", "libnvidia-ml.so." };
        for (size_t i = 0; i < e->n_mounts; i++) {
                const char *b = e->mounts[i].host_path ? base_name(e->mounts[i].host_path) : "";
                for (size_t k = 0; k < ELEMENTSOF(prefixes); k++) {
                        if (!strneq(b, prefixes[k], strlen(prefixes[k])))
                                continue;
                        const char *v = b + strlen(prefixes[k]);
                        if (strchr(v, '.') && strspn(v, "0123456789.") == strlen(v))
                                return strdup(v);
                }
        }
        return NULL;
}

char *nvct_cdi_spec_driver_version(const NvctCdiSpec *s) {
        char *v = version_in_hooks(&s->edits);
        for (size_t i = 0; !v && i < s->n_devices; i++)
                v = version_in_hooks(&s->devices[i].edits);
        if (!v)
                v = version_in_mounts(&s->edits);
        for (size_t i = 0; !v && i < s->n_devices; i++)
                v = version_in_mounts(&s->devices[i].edits);
        return v;
}
