/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvidia-container-runtime-hook (also nvidia-container-toolkit): the OCI prestart hook behind `docker --gpus`
 * and the legacy runtime mode. It does the configure work in-process — no second binary is exec'd — and takes
 * nothing from the container's environment but the NVIDIA_* device and capability requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "caps.h"
#include "configure.h"
#include "fileio.h"
#include "frontends.h"
#include "ldconfig.h"
#include "log.h"
#include "nvct-config.h"
#include "oci.h"
#include "request.h"
#include "settings.h"
#include "strv.h"

#define HOOK_PROG "nvidia-container-runtime-hook"

typedef struct HookArgs {
        const char *config;
        bool debug;
        bool version;
        const char *command;
} HookArgs;

static void hook_usage(FILE *f) {
        fprintf(f, "Usage of %s:\n"
                   "  -config string\n"
                   "        the path to the configuration file to use\n"
                   "  -debug\n"
                   "        enable debug output\n"
                   "  -version\n"
                   "        print version and exit\n"
                   "\nCommands:\n"
                   "  prestart\n"
                   "        run the prestart hook\n"
                   "  poststart\n"
                   "        no-op\n"
                   "  poststop\n"
                   "        no-op\n",
                HOOK_PROG);
}

/* Go's flag package: -flag or --flag, "-config FILE" or "-config=FILE", stops at the first non-flag. */
static int hook_parse(int argc, char **argv, HookArgs *a) {
        int i = 1;
        for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
                const char *f = argv[i] + (argv[i][1] == '-' ? 2 : 1);
                if (streq(f, "debug"))
                        a->debug = true;
                else if (streq(f, "version"))
                        a->version = true;
                else if (streq(f, "config") && i + 1 < argc)
                        a->config = argv[++i];
                else if (strneq(f, "config=", 7))
                        a->config = f + 7;
                else if (streq(f, "h") || streq(f, "help")) {
                        hook_usage(stdout);
                        exit(EXIT_SUCCESS);
                } else {
                        fprintf(stderr, "flag provided but not defined: %s\n", argv[i]);
                        hook_usage(stderr);
                        return -1;
                }
        }
        a->command = i < argc ? argv[i] : NULL;
        return 0;
}

static int read_state(NvctOciState *state, NvctError *err) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        /* stdin may be a pipe: read_fd insists on a regular file, so read it by hand, bounded */
        Buf b = BUF_INIT;
        char chunk[8192];
        for (;;) {
                ssize_t k = read(STDIN_FILENO, chunk, sizeof(chunk));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        buf_free(&b);
                        return nvct_error_set(err, errno, "read OCI state from stdin");
                }
                if (k == 0)
                        break;
                if (b.len + (size_t) k > NVCT_OCI_STATE_MAX) {
                        buf_free(&b);
                        return nvct_error_setx(err, EFBIG, "OCI state on stdin is larger than %u bytes",
                                               NVCT_OCI_STATE_MAX);
                }
                buf_append(&b, chunk, (size_t) k);
        }
        len = b.len;
        text = buf_steal(&b);
        if (!text)
                return nvct_error_set(err, ENOMEM, "read OCI state");
        return nvct_oci_state_parse(text, len, state, err);
}

/* The mode guard of NVIDIA's hook: only legacy mode injects through the hook. */
static int check_mode(const Settings *s, const NvctRequest *req, NvctError *err) {
        const char *mode = s->cfg->runtime.mode ? s->cfg->runtime.mode : "auto";
        if (s->cfg->hook.skip_mode_detection || streq(mode, "legacy"))
                return 0;
        if (streq(mode, "auto")) {
                bool all_cdi = req->devices && req->devices[0];
                for (char **d = req->devices; d && *d; d++)
                        if (!strchr(*d, '/') || !strchr(*d, '='))
                                all_cdi = false;
                if (!all_cdi)
                        return 0;
        }
        return nvct_error_setx(err, EPERM,
                               "invoking the NVIDIA Container Runtime Hook directly (e.g. specifying the docker "
                               "--gpus flag) is not supported. Please use the NVIDIA Container Runtime (e.g. "
                               "specify the --runtime=nvidia flag) instead.");
}

static char *absolute_rootfs(const NvctOciState *state, const NvctOciSpec *spec, const char *bundle) {
        const char *root = state->root && *state->root ? state->root : nvct_oci_spec_root_path(spec);
        char *abs = NULL, cwd[PATH_MAX];
        if (root[0] == '/')
                return strdup(root);
        if (!bundle && !getcwd(cwd, sizeof(cwd)))
                return NULL;
        if (asprintf(&abs, "%s/%s", bundle ? bundle : cwd, root) < 0)
                return NULL;
        return abs;
}

static bool spec_has_devices(const NvctOciSpec *spec) {
        /* the shim already wrote the nodes and their allow rules: runc owns the cgroup, we add no rule of our own */
        json_t *devs = json_object_get(json_object_get(spec->json, "linux"), "devices");
        size_t i;
        json_t *d;
        json_array_foreach(devs, i, d)
                if (streq(json_string_value(json_object_get(d, "path")) ?: "", "/dev/nvidiactl"))
                        return true;
        return false;
}

/*
 * An OCI container always has a mount namespace of its own. A state pid that shares ours (pid 1, any host process)
 * would put every mount on the host, under the bundle's rootfs path, where it outlives the container: refuse it.
 */
static int check_own_namespace(pid_t pid, NvctError *err) {
        char path[64];
        struct stat self, target;
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int) pid);
        if (stat(path, &target) < 0)
                return nvct_error_set(err, errno, "container process %d", (int) pid);
        if (stat("/proc/self/ns/mnt", &self) < 0)
                return nvct_error_set(err, errno, "stat /proc/self/ns/mnt");
        if (self.st_dev == target.st_dev && self.st_ino == target.st_ino)
                return nvct_error_setx(err, EPERM, "refusing to configure process %d: it shares the host's mount "
                                       "namespace, so the mounts would land on the host", (int) pid);
        return 0;
}

static int hook_prestart(const Settings *s, NvctError *err) {
        NvctOciState state = { 0 };
        _cleanup_oci_spec_ NvctOciSpec *spec = NULL;
        _cleanup_request_ NvctRequest *req = NULL;
        _cleanup_free_ char *config_json = NULL, *rootfs = NULL, *ldconfig = NULL, *devices = NULL;
        _cleanup_free_ char *desc = NULL, *imex = NULL;
        NvctRequestPolicy policy;
        NvctImage image;
        int r;

        r = read_state(&state, err);
        if (r < 0)
                return r;
        if (asprintf(&config_json, "%s/config.json", state.bundle && *state.bundle ? state.bundle : ".") < 0) {
                nvct_oci_state_done(&state);
                return nvct_error_set(err, ENOMEM, "config.json path");
        }
        r = nvct_oci_spec_load(config_json, &spec, err);
        if (r < 0)
                goto out;
        nvct_oci_spec_image(spec, &image);
        settings_policy(s, NVCT_REQUEST_LEGACY, &policy);
        r = nvct_request_build(&image, &policy, &req, err);
        if (r < 0)
                goto out;
        for (char **w = req->warnings; w && *w; w++)
                log_warn("%s", *w);
        if (!req->gpu_container) {
                log_debug("not a GPU container: nothing to do");
                goto out;
        }
        desc = nvct_request_describe(req);
        log_debug("request: %s", desc ? desc : "?");
        r = check_mode(s, req, err);
        if (r < 0)
                goto out;
        if (state.pid <= 0) {
                r = nvct_error_setx(err, EINVAL, "OCI state has no container pid");
                goto out;
        }
        r = check_own_namespace(state.pid, err);
        if (r < 0)
                goto out;
        rootfs = absolute_rootfs(&state, spec, state.bundle);
        devices = req->all_devices ? strdup("all") : strv_join(req->devices, ",");
        if (!rootfs || !devices) {
                r = nvct_error_set(err, ENOMEM, "rootfs");
                goto out;
        }
        r = nvct_ldconfig_resolve_host(s->cfg->cli.ldconfig ? s->cfg->cli.ldconfig : "@/sbin/ldconfig",
                                       s->cfg->features.allow_ldconfig_from_container, &ldconfig, err);
        if (r < 0)
                goto out;
        NvctConfigureArgs a = {
                .roots = s->roots,
                .pid = state.pid,
                .rootfs = rootfs,
                .devices = devices,
                .caps = req->caps,
                .requires = s->cfg->disable_require ? NULL : req->requires,
                .mig_config = req->mig_config,
                .mig_monitor = req->mig_monitor,
                .no_cgroups = s->cfg->cli.no_cgroups || spec_has_devices(spec),
                .load_kmods = s->cfg->cli.load_kmods,
                .no_create_imex_channels = s->cfg->features.disable_imex_channel_creation,
                .no_pivot = s->cfg->cli.no_pivot,
                .cuda_compat = s->cfg->runtime.cuda_compat_mode != NVCT_CUDA_COMPAT_DISABLED,
                .ldconfig = ldconfig,
                .nvml_uid = (uid_t) -1,
                .nvml_gid = (gid_t) -1,
                .nvml_timeout_ms = (unsigned) s->cfg->nvct.nvml_timeout_ms,
                .cuda_cache_dir = s->cfg->nvct.cuda_version_cache,
                .log = log_enabled() ? log_sink : NULL,
        };
        imex = strv_join(req->imex_channels, ",");
        a.imex_channels = imex;
        NvctConfigureStats st = { 0 };
        r = nvct_configure(&a, &st, err);
        if (r >= 0)
                log_debug("hook: parse+discovery %.3f ms, plan %.3f ms, enter %.3f ms, mounts %.3f ms, nodes %.3f ms, "
                          "symlinks %.3f ms, cgroups %.3f ms, ldconfig %.3f ms",
                          st.discover_us / 1000.0, st.plan_us / 1000.0, st.inject.enter_us / 1000.0,
                          st.inject.mounts_us / 1000.0, st.inject.nodes_us / 1000.0, st.inject.symlinks_us / 1000.0,
                          st.inject.cgroups_us / 1000.0, st.inject.ldconfig_us / 1000.0);
out:
        nvct_oci_state_done(&state);
        return r;
}

static long long hook_now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

int hook_main(int argc, char **argv) {
        long long started = hook_now_us();
        HookArgs a = { 0 };
        Settings s = { 0 };
        NvctError err = NVCT_ERROR_INIT;

        if (hook_parse(argc, argv, &a) < 0)
                return 2;
        if (a.version) {
                printf("NVIDIA Container Runtime Hook version %s (nvct)\n", NVCT_VERSION);
                return 0;
        }
        if (!a.command) {
                hook_usage(stderr);
                return 2;
        }
        if (streq(a.command, "poststart") || streq(a.command, "poststop"))
                return 0;
        if (!streq(a.command, "prestart")) {
                hook_usage(stderr);
                return 2;
        }
        /* the only variable of our own environment we read, as NVIDIA's hook */
        if (settings_load(a.config, getenv("NVIDIA_CTK_CONFIG_FILE_PATH"), &s, &err) < 0) {
                log_report(HOOK_PROG, &err);
                return 1;
        }
        if (a.debug)
                (void) log_open("/dev/stderr", &err);
        else if (s.cfg->cli.debug && *s.cfg->cli.debug && log_open(s.cfg->cli.debug, &err) < 0) {
                log_report(HOOK_PROG, &err);
                nvct_error_clear(&err);
        }
        for (char **w = s.warnings; w && *w; w++)
                log_warn("%s", *w);
        int r = hook_prestart(&s, &err);
        if (r < 0)
                log_report(HOOK_PROG, &err);
        log_debug("hook: total %.3f ms", (hook_now_us() - started) / 1000.0);
        settings_done(&s);
        log_close();
        return r < 0 ? 1 : 0;
}
