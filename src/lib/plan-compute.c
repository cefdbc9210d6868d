/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "plan.h"
#include "strv.h"

#define RO_FILE (NVCT_MNT_RO | NVCT_MNT_NOSUID | NVCT_MNT_NODEV)
#define RO_PROC (NVCT_MNT_RO | NVCT_MNT_NOSUID | NVCT_MNT_NODEV | NVCT_MNT_NOEXEC)
#define RW_IPC (NVCT_MNT_NOSUID | NVCT_MNT_NODEV | NVCT_MNT_NOEXEC)

typedef struct PlanCtx {
        const NvctPlanInput *in;
        const NvctDriver *drv;
        NvctPlan *p;
        unsigned caps;            /* with the implications applied */
        const char *proc_root;
        const char *access;
        char **lib_dirs_used;     /* HOST_PATHS: directories of injected libraries */
        bool injected_lib32;
} PlanCtx;

static const char *basename_of(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static char *path_join(const char *dir, const char *name) {
        char *r = NULL;
        while (*name == '/')
                name++;
        if (asprintf(&r, "%s/%s", streq(dir, "/") ? "" : dir, name) < 0)
                return NULL;
        return r;
}

static char *dirname_of(const char *p) {
        const char *s = strrchr(p, '/');
        if (!s)
                return strdup(".");
        if (s == p)
                return strdup("/");
        return strndup(p, (size_t) (s - p));
}

char *nvct_params_disable_modify(const char *params) {
        char *copy = strdup(params);
        if (!copy)
                return NULL;
        /* Only the value of the ModifyDeviceFiles key changes: NVML in the container must never (re)create or
         * chmod device nodes, which it would otherwise try with the container's privileges. */
        for (char *line = copy; line && *line;) {
                if (strneq(line, "ModifyDeviceFiles:", 18)) {
                        char *v = line + 18;
                        while (*v == ' ' || *v == '\t')
                                v++;
                        if (*v == '1')
                                *v = '0';
                }
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return copy;
}

static int add_node(PlanCtx *c, const NvctDevNode *n) {
        if (!n->present)
                return 0;
        NvctPlanDevice d = {
                .host_path = n->host_path,
                .container_path = n->path,
                .type = 'c',
                .major = n->major,
                .minor = n->minor,
                .mode = n->mode,
                .uid = n->uid,
                .gid = n->gid,
        };
        snprintf(d.access, sizeof(d.access), "%s", c->access);
        return nvct_plan_add_device(c->p, &d);
}

static const NvctDevNode *find_cap_node(const NvctDriver *drv, int minor) {
        for (size_t i = 0; i < drv->n_cap_nodes; i++)
                if (drv->cap_nodes[i].present && (int) drv->cap_nodes[i].minor == minor)
                        return &drv->cap_nodes[i];
        return NULL;
}

static int add_cap_minor(PlanCtx *c, int minor) {
        const NvctDevNode *n = find_cap_node(c->drv, minor);
        return n ? add_node(c, n) : 0;
}

static int add_proc_mount(PlanCtx *c, NvctMountKind kind, const char *container_path) {
        /* container_path starts with /proc; the host source is the same path below proc_root. */
        _cleanup_free_ char *host = path_join(c->proc_root, container_path + strlen("/proc"));
        if (!host)
                return -ENOMEM;
        return nvct_plan_add_mount(c->p, kind, host, container_path, RO_PROC);
}

static int plan_proc_view(PlanCtx *c) {
        const NvctDriver *drv = c->drv;
        int r;

        if (!drv->proc_version)
                return 0;
        c->p->proc_driver_view = true;
        if (drv->proc_params) {
                _cleanup_free_ char *params = nvct_params_disable_modify(drv->proc_params);
                if (!params)
                        return -ENOMEM;
                r = nvct_plan_add_proc_file(c->p, "params", params, strlen(params));
                if (r < 0)
                        return r;
        }
        r = nvct_plan_add_proc_file(c->p, "version", drv->proc_version, strlen(drv->proc_version));
        if (r < 0)
                return r;
        if (drv->proc_registry) {
                r = nvct_plan_add_proc_file(c->p, "registry", drv->proc_registry, strlen(drv->proc_registry));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_devices(PlanCtx *c) {
        const NvctDriver *drv = c->drv;
        int r;

        r = add_node(c, &drv->ctl[NVCT_CTL_NVIDIACTL]);
        if (r >= 0 && (c->caps & NVCT_CAP_COMPUTE)) {
                r = add_node(c, &drv->ctl[NVCT_CTL_UVM]);
                if (r >= 0)
                        r = add_node(c, &drv->ctl[NVCT_CTL_UVM_TOOLS]);
        }
        if (r >= 0 && (c->caps & NVCT_CAP_DISPLAY))
                r = add_node(c, &drv->ctl[NVCT_CTL_MODESET]);
        if (r < 0)
                return r;

        for (size_t i = 0; i < drv->n_gpus; i++) {
                const NvctGpu *g = &drv->gpus[i];
                if (!c->in->gpus || !c->in->gpus[i])
                        continue;
                r = add_node(c, &g->node);
                if (r < 0)
                        return r;
                if (c->caps & (NVCT_CAP_GRAPHICS | NVCT_CAP_DISPLAY)) {
                        r = add_node(c, &g->drm_card);
                        if (r >= 0)
                                r = add_node(c, &g->drm_render);
                        if (r < 0)
                                return r;
                }
                if (g->proc_dir) {
                        _cleanup_free_ char *cpath = path_join("/proc/driver/nvidia/gpus", basename_of(g->proc_dir));
                        if (!cpath)
                                return -ENOMEM;
                        r = nvct_plan_add_mount(c->p, NVCT_MOUNT_DIR, g->proc_dir, cpath, RO_PROC);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int plan_mig(PlanCtx *c, NvctError *err) {
        const NvctDriver *drv = c->drv;
        bool any_mig = false;
        int r;

        for (size_t i = 0; i < drv->n_gpus; i++) {
                const NvctGpu *g = &drv->gpus[i];
                for (size_t j = 0; j < g->n_migs; j++) {
                        const NvctMigDevice *m = &g->migs[j];
                        if (!c->in->migs || !c->in->migs[i] || !c->in->migs[i][j])
                                continue;
                        any_mig = true;
                        if (m->gi_access && (r = add_proc_mount(c, NVCT_MOUNT_FILE, m->gi_access)) < 0)
                                return r;
                        if (m->ci_access && (r = add_proc_mount(c, NVCT_MOUNT_FILE, m->ci_access)) < 0)
                                return r;
                        if ((r = add_cap_minor(c, m->gi_cap_minor)) < 0 || (r = add_cap_minor(c, m->ci_cap_minor)) < 0)
                                return r;
                }
        }
        if (!c->in->mig_config_all && !c->in->mig_monitor_all)
                return 0;
        if (any_mig)
                return nvct_error_setx(err, EINVAL,
                                       "mig error: --mig-config/--mig-monitor=all cannot be combined with "
                                       "selecting individual MIG devices");
        r = add_proc_mount(c, NVCT_MOUNT_DIR, "/proc/driver/nvidia/capabilities");
        if (r < 0)
                return r;
        for (size_t k = 0; k < drv->n_mig_minors; k++) {
                const NvctMigMinor *mm = &drv->mig_minors[k];
                bool wanted = false;
                if (mm->gpu < 0)
                        wanted = (c->in->mig_config_all && streq(mm->name, "config")) ||
                                 (c->in->mig_monitor_all && streq(mm->name, "monitor"));
                else
                        for (size_t i = 0; i < drv->n_gpus; i++)
                                if (c->in->gpus && c->in->gpus[i] && drv->gpus[i].mig_capable &&
                                    (int) drv->gpus[i].minor == mm->gpu)
                                        wanted = true;
                if (wanted && (r = add_cap_minor(c, (int) mm->minor)) < 0)
                        return r;
        }
        return 0;
}

static int plan_imex(PlanCtx *c, NvctError *err) {
        for (size_t k = 0; k < c->in->n_imex_channels; k++) {
                unsigned ch = c->in->imex_channels[k];
                const NvctDevNode *found = NULL;
                for (size_t i = 0; i < c->drv->n_imex_channels; i++)
                        if (c->drv->imex_channels[i].present && c->drv->imex_channels[i].minor == ch)
                                found = &c->drv->imex_channels[i];
                if (!found)
                        return nvct_error_setx(err, ENOENT,
                                               "imex error: channel %u: /dev/nvidia-caps-imex-channels/channel%u "
                                               "does not exist on the host",
                                               ch, ch);
                int r = add_node(c, found);
                if (r < 0)
                        return r;
        }
        return 0;
}

static bool file_selected(const PlanCtx *c, const NvctFile *f) {
        switch (f->kind) {
        case NVCT_FILE_FIRMWARE:
                return !c->in->no_gsp_firmware;
        case NVCT_FILE_LIB32:
                if (!(c->caps & NVCT_CAP_COMPAT32))
                        return false;
                break;
        case NVCT_FILE_IPC:
                if ((f->ipc == NVCT_IPC_PERSISTENCED && c->in->no_persistenced) ||
                    (f->ipc == NVCT_IPC_FABRICMANAGER && c->in->no_fabricmanager))
                        return false;
                break;
        case NVCT_FILE_LIB:
        case NVCT_FILE_BIN:
        case NVCT_FILE_CONFIG:
        case NVCT_FILE_XORG:
                break;
        }
        return f->caps == 0 || (f->caps & c->caps & ~(unsigned) NVCT_CAP_COMPAT32);
}

/* Where a file goes in the container. Caller frees. */
static char *file_destination(const PlanCtx *c, const NvctFile *f) {
        bool host_paths = c->in->layout == NVCT_LAYOUT_HOST_PATHS;
        switch (f->kind) {
        case NVCT_FILE_LIB:
                return host_paths ? strdup(f->path) : path_join(c->p->libs_dir, basename_of(f->path));
        case NVCT_FILE_LIB32:
                return host_paths ? strdup(f->path) : path_join(c->p->libs32_dir, basename_of(f->path));
        case NVCT_FILE_BIN:
                return host_paths ? strdup(f->path) : path_join(c->p->bins_dir, basename_of(f->path));
        case NVCT_FILE_FIRMWARE:
        case NVCT_FILE_IPC:
        case NVCT_FILE_CONFIG:
        case NVCT_FILE_XORG:
                break;
        }
        return strdup(f->container_path ? f->container_path : f->path);
}

static int plan_lib_symlinks(PlanCtx *c, const NvctFile *f, const char *dest) {
        _cleanup_free_ char *dir = dirname_of(dest);
        const char *base = basename_of(dest);
        int r = 0;

        if (!dir)
                return -ENOMEM;
        /* soname links, so images without a usable ldconfig still load the driver */
        if (f->soname && !streq(f->soname, base)) {
                _cleanup_free_ char *l = path_join(dir, f->soname);
                if (!l)
                        return -ENOMEM;
                r = nvct_plan_add_symlink(c->p, l, base);
                if (r < 0)
                        return r;
        }
        /* the development and indirect names NVIDIA's stack creates */
        static const struct {
                const char *prefix, *link, *target;
        } extra[] = {
                { "libcuda.so.", "libcuda.so", "libcuda.so.1" },
                { "libnvidia-opticalflow.so.", "libnvidia-opticalflow.so", "libnvidia-opticalflow.so.1" },
                { "libGLX_nvidia.so.", "libGLX_indirect.so.0", NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(extra); i++) {
                if (!strneq(base, extra[i].prefix, strlen(extra[i].prefix)))
                        continue;
                _cleanup_free_ char *l = path_join(dir, extra[i].link);
                if (!l)
                        return -ENOMEM;
                r = nvct_plan_add_symlink(c->p, l, extra[i].target ? extra[i].target : base);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan_files(PlanCtx *c) {
        int r;

        for (size_t i = 0; i < c->drv->n_files; i++) {
                const NvctFile *f = &c->drv->files[i];
                if (!file_selected(c, f))
                        continue;
                _cleanup_free_ char *dest = file_destination(c, f);
                if (!dest)
                        return -ENOMEM;
                NvctMountKind kind = NVCT_MOUNT_FILE;
                unsigned flags = RO_FILE;
                if (f->kind == NVCT_FILE_IPC) {
                        kind = f->ipc == NVCT_IPC_MPS ? NVCT_MOUNT_DIR : NVCT_MOUNT_SOCKET;
                        flags = RW_IPC;
                }
                r = nvct_plan_add_mount(c->p, kind, f->host_path, dest, flags);
                if (r < 0)
                        return r;
                if (f->kind != NVCT_FILE_LIB && f->kind != NVCT_FILE_LIB32)
                        continue;
                c->p->run_ldconfig = true;
                if (f->kind == NVCT_FILE_LIB32)
                        c->injected_lib32 = true;
                r = plan_lib_symlinks(c, f, dest);
                if (r < 0)
                        return r;
                if (c->in->layout == NVCT_LAYOUT_HOST_PATHS) {
                        _cleanup_free_ char *dir = dirname_of(dest);
                        if (!dir)
                                return -ENOMEM;
                        if (!strv_contains(c->lib_dirs_used, dir) && (r = strv_extend(&c->lib_dirs_used, dir)) < 0)
                                return r;
                }
        }
        return 0;
}

static int plan_ldconfig_dirs(PlanCtx *c) {
        NvctPlan *p = c->p;
        int r = 0;

        if (c->in->compat_dir && !(p->compat_dir = strdup(c->in->compat_dir)))
                return -ENOMEM;
        if (!p->run_ldconfig)
                return 0;
        if (c->in->layout == NVCT_LAYOUT_HOST_PATHS) {
                p->ldconfig_dirs = TAKE_PTR(c->lib_dirs_used);
                return 0;
        }
        r = strv_extend(&p->ldconfig_dirs, p->libs_dir);
        if (r >= 0 && c->injected_lib32)
                r = strv_extend(&p->ldconfig_dirs, p->libs32_dir);
        return r;
}

int nvct_plan_compute(const NvctPlanInput *in, NvctPlan **ret, NvctError *err) {
        _cleanup_plan_ NvctPlan *p = nvct_plan_new();
        int r;

        if (!p)
                return nvct_error_set(err, ENOMEM, "plan");
        PlanCtx c = {
                .in = in,
                .drv = in->driver,
                .p = p,
                .caps = in->caps,
                .proc_root = in->roots && in->roots->proc_root ? in->roots->proc_root : "/proc",
                .access = in->device_access ? in->device_access : "rw",
        };
        /* video needs the compute libraries and display the graphics ones, as in libnvidia-container */
        if (c.caps & NVCT_CAP_VIDEO)
                c.caps |= NVCT_CAP_COMPUTE;
        if (c.caps & NVCT_CAP_DISPLAY)
                c.caps |= NVCT_CAP_GRAPHICS;

        p->libs_dir = strdup(in->libs_dir ? in->libs_dir : "/usr/lib/x86_64-linux-gnu");
        p->libs32_dir = strdup(in->libs32_dir ? in->libs32_dir : "/usr/lib/i386-linux-gnu");
        p->bins_dir = strdup(in->bins_dir ? in->bins_dir : "/usr/bin");
        p->driver_version = strdup(c.drv->version);
        if (!p->libs_dir || !p->libs32_dir || !p->bins_dir || !p->driver_version)
                return nvct_error_set(err, ENOMEM, "plan");

        r = plan_proc_view(&c);
        if (r >= 0)
                r = plan_devices(&c);
        if (r >= 0)
                r = plan_mig(&c, err);
        if (r >= 0)
                r = plan_imex(&c, err);
        if (r >= 0)
                r = plan_files(&c);
        if (r >= 0)
                r = plan_ldconfig_dirs(&c);
        strv_free(c.lib_dirs_used); /* what is left when plan_ldconfig_dirs did not take it */
        if (r < 0)
                return nvct_error_isset(err) ? r : nvct_error_set(err, r, "plan");
        *ret = TAKE_PTR(p);
        return 0;
}
