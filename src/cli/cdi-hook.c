/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-cdi-hook and `nvidia-ctk hook`: the createContainer hooks of CDI specs. They run as host root with an
 * environment and a cwd that the image may control, so the first thing done is to drop the environment: nothing
 * below can pick a path, a config, a log or an executable from it. The container comes from the OCI state only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdi-hooks.h"
#include "fileio.h"
#include "frontends.h"
#include "macros.h"
#include "nvct-config.h"
#include "oci.h"
#include "rootfs.h"
#include "strv.h"

typedef struct Ctx {
        const char *prog;
        const char *hook;
        int root_fd;
        const char *rootfs;
} Ctx;

typedef int (*HookRun)(const Ctx *c, const NvctHookArgs *a, NvctError *err);

static void warn(const char *prog, const char *hook, const char *fmt, ...) _printf_(3, 4);
static void warn(const char *prog, const char *hook, const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "%s%s%s: warning: ", prog, hook ? " " : "", hook ? hook : "");
        va_start(ap, fmt);
        (void) vfprintf(stderr, fmt, ap);
        va_end(ap);
        (void) fputc('\n', stderr);
}

/* ---- the hooks ---------------------------------------------------------------------------------------- */

static int run_noop(const Ctx *c _unused_, const NvctHookArgs *a _unused_, NvctError *err _unused_) {
        return 0;
}

static int run_create_symlinks(const Ctx *c, const NvctHookArgs *a, NvctError *err) {
        int r = nvct_hook_create_symlinks(c->root_fd, a->link, err);
        return r < 0 ? r : 0;
}

static int run_update_ldcache(const Ctx *c, const NvctHookArgs *a, NvctError *err) {
        NvctHookLdcacheArgs l = {
                .rootfs = c->rootfs,
                .root_fd = c->root_fd,
                .folders = a->folder,
                .ldconfig_path = a->ldconfig_path ? a->ldconfig_path : "/sbin/ldconfig",
                .log_fd = STDERR_FILENO,
        };
        return nvct_hook_update_ldcache(&l, err);
}

static int run_enable_cuda_compat(const Ctx *c, const NvctHookArgs *a, NvctError *err) {
        /* without the host version nothing can be compared; NVIDIA's hook does nothing then either */
        if (!a->host_driver_version || !*a->host_driver_version)
                return 0;
        int r = nvct_hook_enable_cuda_compat(c->root_fd, a->host_driver_version, a->cuda_compat_container_root, err);
        return r < 0 ? r : 0;
}

static int run_disable_device_node_modification(const Ctx *c, const NvctHookArgs *a, NvctError *err) {
        _cleanup_free_ char *path = NULL, *params = NULL;
        NvctError probe = NVCT_ERROR_INIT;

        if (asprintf(&path, "%s/driver/nvidia/params", a->host_proc_root ? a->host_proc_root : "/proc") < 0)
                return nvct_error_set(err, ENOMEM, "params");
        int r = read_file_at(AT_FDCWD, path, NVCT_HOOK_PARAMS_MAX, &params, NULL, &probe);
        if (r == -ENOENT)
                return 0; /* no driver loaded on the host: no params to hide */
        if (r < 0)
                return nvct_error_setx(err, -r, "host %s", probe.msg);
        r = nvct_hook_disable_device_node_modification(c->root_fd, params, err);
        return r < 0 ? r : 0;
}

static int run_update_application_profile(const Ctx *c, const NvctHookArgs *a _unused_, NvctError *err) {
        int r = nvct_hook_update_application_profile(c->root_fd, err);
        /* a read-only /etc/nvidia (a ConfigMap) must not stop the container: the profile is only a refinement */
        if (r == -EROFS) {
                warn(c->prog, c->hook, "%s; continuing without it", err->msg);
                nvct_error_clear(err);
                return 0;
        }
        return r < 0 ? r : 0;
}

static int run_chmod(const Ctx *c, const NvctHookArgs *a, NvctError *err) {
        mode_t mode;
        int r = nvct_hook_parse_mode(a->mode, &mode, err);
        if (r < 0)
                return r;
        r = nvct_hook_chmod(c->root_fd, mode, a->path, err);
        return r < 0 ? r : 0;
}

static const struct {
        HookRun run;
        bool needs_container;
        const char *usage;
} hooks[_NVCT_HOOK_MAX] = {
        [NVCT_HOOK_CREATE_SYMLINKS] = { run_create_symlinks, true,
                                        "--link TARGET::LINK [--link ...]   create symlinks in the container" },
        [NVCT_HOOK_UPDATE_LDCACHE] = { run_update_ldcache, true,
                                       "--folder DIR [--folder ...] [--ldconfig-path /sbin/ldconfig]   "
                                       "rebuild the container's ld.so.cache" },
        [NVCT_HOOK_ENABLE_CUDA_COMPAT] = { run_enable_cuda_compat, true,
                                           "--host-driver-version V [--cuda-compat-container-root DIR]   "
                                           "prefer the image's newer CUDA compat libraries" },
        [NVCT_HOOK_DISABLE_DEVICE_NODE_MODIFICATION] = { run_disable_device_node_modification, true,
                                                         "  make ModifyDeviceFiles read 0 in the container" },
        [NVCT_HOOK_UPDATE_APPLICATION_PROFILE] = { run_update_application_profile, true,
                                                   "  limit EGL/Vulkan to the container's GPUs" },
        [NVCT_HOOK_CHMOD] = { run_chmod, true,
                              "--mode OCT --path P [--path ...] --enable-deprecated   (deprecated, off by default)" },
        [NVCT_HOOK_NOOP] = { run_noop, false, NULL },
};

static void usage(FILE *f, const char *prog) {
        fprintf(f, "Usage: %s [--debug] [--quiet] HOOK [OPTIONS]\n\nHooks (OCI state on stdin):\n", prog);
        for (int k = 0; k < _NVCT_HOOK_MAX; k++)
                if (hooks[k].usage)
                        fprintf(f, "  %s %s\n", nvct_hook_kind_name((NvctHookKind) k), hooks[k].usage);
        fprintf(f, "\nUnknown hooks and options are ignored with a warning, so specs written for other versions "
                   "keep working.\n");
}

static int load_container(const NvctHookArgs *a, NvctHookContainer *ret, NvctError *err) {
        if (!a->container_spec || streq(a->container_spec, "-"))
                return nvct_hook_container_load(STDIN_FILENO, ret, err);
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = read_file_at(AT_FDCWD, a->container_spec, NVCT_OCI_STATE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        return nvct_hook_container_from_state(text, len, ret, err);
}

static int run_hook(const Ctx *base, NvctHookKind kind, const NvctHookArgs *a, NvctError *err) {
        NvctHookContainer container = { 0 };
        Ctx c = *base;
        int r;

        if (!hooks[kind].needs_container)
                return hooks[kind].run(&c, a, err);
        r = load_container(a, &container, err);
        if (r < 0)
                return r;
        _cleanup_close_ int root_fd = -EBADF;
        r = rootfs_open_root(container.rootfs, &root_fd, err);
        if (r >= 0) {
                c.root_fd = root_fd;
                c.rootfs = container.rootfs;
                r = hooks[kind].run(&c, a, err);
        }
        nvct_hook_container_done(&container);
        return r;
}

int cdi_hook_main(int argc, char **argv) {
        const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
        base = base ? base + 1 : (argc > 0 && argv[0] ? argv[0] : "nvidia-cdi-hook");
        Ctx c = { .prog = streq(base, "hook") ? "nvidia-ctk hook" : "nvidia-cdi-hook", .root_fd = -EBADF };
        NvctError err = NVCT_ERROR_INIT;
        NvctHookArgs a = { 0 };
        _cleanup_strv_free_ char **warnings = NULL;
        int i = 1, r;

        /* The image may have set LD_*, PATH, TMPDIR, HOME or NVIDIA_CTK_*: none of it is ours to use. */
        (void) clearenv();
        umask(022);

        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *o = argv[i];
                if (streq(o, "--help") || streq(o, "-h")) {
                        usage(stdout, c.prog);
                        return 0;
                }
                if (streq(o, "--version") || streq(o, "-v")) {
                        printf("%s version %s (nvct)\n", c.prog, NVCT_VERSION);
                        return 0;
                }
                if (streq(o, "--config") && i + 1 < argc)
                        i++;
                else if (!streq(o, "--debug") && !streq(o, "-d") && !streq(o, "--quiet") &&
                         !strneq(o, "--config=", 9))
                        warn(c.prog, NULL, "ignoring unknown global option \"%s\"", o);
        }
        if (i >= argc) {
                usage(stderr, c.prog);
                return 0;
        }
        c.hook = argv[i];
        NvctHookKind kind = nvct_hook_kind_from_name(c.hook);
        if (kind == NVCT_HOOK_UNKNOWN) {
                /* a spec written for a newer or older toolkit must not break the container */
                warn(c.prog, NULL, "unknown hook \"%s\" ignored", c.hook);
                return 0;
        }
        r = nvct_hook_args_parse(kind, argc - i, argv + i, &a, &warnings, &err);
        for (char **w = warnings; w && *w; w++)
                warn(c.prog, c.hook, "%s", *w);
        if (r >= 0 && a.help) {
                usage(stdout, c.prog);
        } else if (r >= 0 && kind == NVCT_HOOK_CHMOD && !a.enable_deprecated) {
                warn(c.prog, c.hook, "the chmod hook is deprecated and disabled: nothing was changed (put "
                                     "--enable-deprecated in the spec to run it)");
        } else if (r >= 0) {
                r = run_hook(&c, kind, &a, &err);
        }
        nvct_hook_args_done(&a);
        if (r < 0) {
                fprintf(stderr, "%s %s: %s\n", c.prog, c.hook, nvct_error_isset(&err) ? err.msg : strerror(-r));
                return 1;
        }
        return 0;
}
