/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "fileio.h"
#include "strv.h"
#include "toml.h"

/* The `nvidia-ctk config` front end is exercised here directly, without the multi-call binary. */
#include "../../src/cli/ctk-config.c"

static const char *host_ld(void) {
        return access("/sbin/ldconfig.real", F_OK) == 0 ? "@/sbin/ldconfig.real" : "@/sbin/ldconfig";
}

static void strv_eq(char **l, const char *const *want) {
        size_t n = 0;
        for (; want[n]; n++) {
                assert_non_null(l[n]);
                assert_string_equal(l[n], want[n]);
        }
        assert_null(l[n]);
}

static void test_defaults(void **state) {
        _cleanup_config_ NvctConfig *c = NULL;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_config_new_default(&c, &err), 0);
        assert_false(c->accept_nvidia_visible_devices_as_volume_mounts);
        assert_true(c->accept_nvidia_visible_devices_envvar_when_unprivileged);
        assert_false(c->disable_require);
        assert_string_equal(c->supported_driver_capabilities, "compat32,compute,display,graphics,ngx,utility,video");
        assert_string_equal(c->swarm_resource, "");
        assert_string_equal(c->cli.debug, "");
        strv_eq(c->cli.environment, (const char *[]) { NULL });
        assert_string_equal(c->cli.ldcache, "");
        assert_string_equal(c->cli.ldconfig, host_ld());
        assert_true(c->cli.load_kmods);
        assert_false(c->cli.no_cgroups);
        assert_string_equal(c->cli.path, "");
        assert_string_equal(c->cli.root, "");
        assert_false(c->cli.no_pivot);
        assert_string_equal(c->runtime.debug, "/dev/null");
        assert_string_equal(c->runtime.log_level, "info");
        assert_string_equal(c->runtime.mode, "auto");
        strv_eq(c->runtime.runtimes, (const char *[]) { "runc", "crun", NULL });
        strv_eq(c->runtime.cdi.annotation_prefixes, (const char *[]) { "cdi.k8s.io/", NULL });
        assert_string_equal(c->runtime.cdi.default_kind, "nvidia.com/gpu");
        strv_eq(c->runtime.cdi.spec_dirs, (const char *[]) { "/etc/cdi", "/var/run/cdi", NULL });
        assert_string_equal(c->runtime.csv.mount_spec_path, "/etc/nvidia-container-runtime/host-files-for-container.d");
        assert_string_equal(c->runtime.csv.compat_container_root, "");
        strv_eq(c->runtime.jit_cdi.nvcdi_feature_flags, (const char *[]) { NULL });
        strv_eq(c->runtime.jit_cdi.nvcdi_disable_hooks, (const char *[]) { NULL });
        assert_int_equal(c->runtime.cuda_compat_mode, NVCT_CUDA_COMPAT_LDCONFIG);
        assert_string_equal(c->hook.path, "nvidia-container-runtime-hook");
        assert_false(c->hook.skip_mode_detection);
        assert_string_equal(c->ctk.path, "nvidia-ctk");
        assert_false(c->features.allow_cuda_compat_libs_from_container);
        assert_false(c->features.allow_ldconfig_from_container);
        assert_false(c->features.allow_unknown_oci_spec_fields);
        assert_false(c->features.disable_cuda_compat_lib_hook);
        assert_false(c->features.disable_imex_channel_creation);
        assert_false(c->features.ignore_imex_channel_requests);
        assert_false(c->features.no_additional_gids_for_device_nodes);
        assert_string_equal(c->nvct.dev_root, "");
        assert_string_equal(c->nvct.proc_root, "");
        assert_string_equal(c->nvct.sys_root, "");
        assert_int_equal(c->nvct.nvml_timeout_ms, 10000);
        assert_string_equal(c->nvct.cuda_version_cache, "/run/nvct");
        assert_true(c->nvct.legacy_write_devices);
        assert_false(c->nvct.cdi_refresh_on_stale);
}

static int load_text(const char *text, NvctConfig **ret, char ***ret_warnings, NvctError *err) {
        _cleanup_toml_doc_ TomlDoc *d = NULL;
        int r = toml_parse(text, strlen(text), "t.toml", &d, err);
        if (r < 0)
                return r;
        return nvct_config_from_doc(d, ret, ret_warnings, err);
}

static void test_every_key(void **state) {
        _cleanup_config_ NvctConfig *c = NULL;
        _cleanup_strv_free_ char **warn = NULL;
        NvctError err = NVCT_ERROR_INIT;
        static const char text[] =
                "accept-nvidia-visible-devices-as-volume-mounts = true\n"
                "accept-nvidia-visible-devices-envvar-when-unprivileged = false\n"
                "disable-require = true\n"
                "supported-driver-capabilities = \"compute,utility\"\n"
                "swarm-resource = \"DOCKER_RESOURCE_GPU\"\n"
                "[nvidia-container-cli]\n"
                "debug = \"/var/log/cli.log\"\nenvironment = [\"A=1\", \"B=2\"]\nldcache = \"/etc/other.cache\"\n"
                "ldconfig = \"/sbin/ldconfig\"\nload-kmods = false\nno-cgroups = true\npath = \"/usr/bin/cli\"\n"
                "root = \"/run/nvidia/driver\"\nuser = \"root:video\"\nno-pivot = true\n"
                "[nvidia-container-runtime]\n"
                "debug = \"/var/log/rt.log\"\nlog-level = \"debug\"\nmode = \"cdi\"\nruntimes = [\"crun\"]\n"
                "modes.cdi.annotation-prefixes = [\"x/\", \"y/\"]\nmodes.cdi.default-kind = \"example.com/gpu\"\n"
                "modes.cdi.spec-dirs = [\"/cdi\"]\n"
                "[nvidia-container-runtime.modes.csv]\nmount-spec-path = \"/csv\"\ncompat-container-root = \"/compat\"\n"
                "[nvidia-container-runtime.modes.jit-cdi]\nnvcdi-feature-flags = [\"disable-nvsandboxutils\"]\n"
                "nvcdi-disable-hooks = [\"chmod\", \"update-ldcache\"]\n"
                "[nvidia-container-runtime.modes.legacy]\ncuda-compat-mode = \"mount\"\n"
                "[nvidia-container-runtime-hook]\npath = \"/hook\"\nskip-mode-detection = true\n"
                "[nvidia-ctk]\npath = \"/ctk\"\n"
                "[features]\nallow-cuda-compat-libs-from-container = true\nallow-ldconfig-from-container = true\n"
                "allow-unknown-oci-spec-fields = true\ndisable-cuda-compat-lib-hook = true\n"
                "disable-imex-channel-creation = true\nignore-imex-channel-requests = true\n"
                "no-additional-gids-for-device-nodes = true\n"
                "[nvct]\ndev-root = \"/d\"\nproc-root = \"/p\"\nsys-root = \"/s\"\nnvml-timeout-ms = 250\n"
                "cuda-version-cache = \"/c\"\nlegacy-write-devices = false\ncdi-refresh-on-stale = true\n";

        assert_int_equal(load_text(text, &c, &warn, &err), 0);
        assert_int_equal(strv_length(warn), 0);
        assert_true(c->accept_nvidia_visible_devices_as_volume_mounts);
        assert_false(c->accept_nvidia_visible_devices_envvar_when_unprivileged);
        assert_true(c->disable_require);
        assert_string_equal(c->supported_driver_capabilities, "compute,utility");
        assert_string_equal(c->swarm_resource, "DOCKER_RESOURCE_GPU");
        assert_string_equal(c->cli.debug, "/var/log/cli.log");
        strv_eq(c->cli.environment, (const char *[]) { "A=1", "B=2", NULL });
        assert_string_equal(c->cli.ldcache, "/etc/other.cache");
        assert_string_equal(c->cli.ldconfig, "/sbin/ldconfig");
        assert_false(c->cli.load_kmods);
        assert_true(c->cli.no_cgroups);
        assert_string_equal(c->cli.path, "/usr/bin/cli");
        assert_string_equal(c->cli.root, "/run/nvidia/driver");
        assert_string_equal(c->cli.user, "root:video");
        assert_true(c->cli.no_pivot);
        assert_string_equal(c->runtime.debug, "/var/log/rt.log");
        assert_string_equal(c->runtime.log_level, "debug");
        assert_string_equal(c->runtime.mode, "cdi");
        strv_eq(c->runtime.runtimes, (const char *[]) { "crun", NULL });
        strv_eq(c->runtime.cdi.annotation_prefixes, (const char *[]) { "x/", "y/", NULL });
        assert_string_equal(c->runtime.cdi.default_kind, "example.com/gpu");
        strv_eq(c->runtime.cdi.spec_dirs, (const char *[]) { "/cdi", NULL });
        assert_string_equal(c->runtime.csv.mount_spec_path, "/csv");
        assert_string_equal(c->runtime.csv.compat_container_root, "/compat");
        strv_eq(c->runtime.jit_cdi.nvcdi_feature_flags, (const char *[]) { "disable-nvsandboxutils", NULL });
        strv_eq(c->runtime.jit_cdi.nvcdi_disable_hooks, (const char *[]) { "chmod", "update-ldcache", NULL });
        assert_int_equal(c->runtime.cuda_compat_mode, NVCT_CUDA_COMPAT_MOUNT);
        assert_string_equal(c->hook.path, "/hook");
        assert_true(c->hook.skip_mode_detection);
        assert_string_equal(c->ctk.path, "/ctk");
        assert_true(c->features.allow_cuda_compat_libs_from_container);
        assert_true(c->features.allow_ldconfig_from_container);
        assert_true(c->features.allow_unknown_oci_spec_fields);
        assert_true(c->features.disable_cuda_compat_lib_hook);
        assert_true(c->features.disable_imex_channel_creation);
        assert_true(c->features.ignore_imex_channel_requests);
        assert_true(c->features.no_additional_gids_for_device_nodes);
        assert_string_equal(c->nvct.dev_root, "/d");
        assert_string_equal(c->nvct.proc_root, "/p");
        assert_string_equal(c->nvct.sys_root, "/s");
        assert_int_equal(c->nvct.nvml_timeout_ms, 250);
        assert_string_equal(c->nvct.cuda_version_cache, "/c");
        assert_false(c->nvct.legacy_write_devices);
        assert_true(c->nvct.cdi_refresh_on_stale);

        NvctConfigKeyType t;
        assert_int_equal(nvct_config_key_type((const char *[]) { "nvct", "nvml-timeout-ms", NULL }, &t), 0);
        assert_int_equal(t, NVCT_CONFIG_INT);
        assert_int_equal(nvct_config_key_type((const char *[]) { "nvidia-container-runtime", "modes", "legacy",
                                                                 "cuda-compat-mode", NULL }, &t), 0);
        assert_int_equal(t, NVCT_CONFIG_STRING);
        assert_int_equal(nvct_config_key_type((const char *[]) { "nvidia-container-cli", "environment", NULL }, &t), 0);
        assert_int_equal(t, NVCT_CONFIG_STRV);
        assert_int_equal(nvct_config_key_type((const char *[]) { "nvidia-container-cli", NULL }, &t), -ENOENT);
        assert_int_equal(nvct_config_key_type((const char *[]) { "nvidia-container-cli.debug", NULL }, &t), -ENOENT);
        assert_int_equal(nvct_config_key_type((const char *[]) { "disable-require", "x", NULL }, &t), -ENOENT);
}

static void test_unknown_keys_warn(void **state) {
        _cleanup_config_ NvctConfig *c = NULL;
        _cleanup_strv_free_ char **warn = NULL;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(load_text("foo = 1\n\"nvidia-container-cli.debug\" = \"x\"\n"
                                   "[nvidia-container-cli]\nbogus = \"x\"\ndebug = \"/d\"\n"
                                   "[nvidia-container-runtime.modes.nope]\nx = 1\n[other]\n",
                                   &c, &warn, &err),
                         0);
        assert_int_equal(strv_length(warn), 5);
        assert_string_equal(warn[0], "t.toml:1:1: unknown key 'foo'");
        assert_string_equal(warn[1], "t.toml:2:1: unknown key '\"nvidia-container-cli.debug\"'");
        assert_string_equal(warn[2], "t.toml:4:1: unknown key 'nvidia-container-cli.bogus'");
        assert_string_equal(warn[3], "t.toml:6:33: unknown key 'nvidia-container-runtime.modes.nope'");
        assert_string_equal(warn[4], "t.toml:8:2: unknown key 'other'");
        assert_string_equal(c->cli.debug, "/d");
}

static void test_type_errors(void **state) {
        static const char *const cases[][2] = {
                { "disable-require = \"yes\"\n", "t.toml:1:19: disable-require must be a boolean, not string" },
                { "[nvidia-container-runtime]\nruntimes = [1]\n",
                  "t.toml:2:12: nvidia-container-runtime.runtimes must be an array of strings" },
                { "[nvidia-container-runtime]\nruntimes = \"runc\"\n",
                  "t.toml:2:12: nvidia-container-runtime.runtimes must be an array of strings, not string" },
                { "[nvct]\nnvml-timeout-ms = -1\n", "t.toml:2:19: nvct.nvml-timeout-ms must be between 0 and" },
                { "[nvct]\nnvml-timeout-ms = 1.5\n", "must be an integer, not float" },
                { "[nvct]\nnvml-timeout-ms = 0\n", "t.toml:2:19: nvct.nvml-timeout-ms must be between 1 and 3600000, not 0" },
                { "[nvct]\nnvml-timeout-ms = 3600001\n", "nvct.nvml-timeout-ms must be between 1 and 3600000, not 3600001" },
                { "[nvidia-container-runtime.modes.legacy]\ncuda-compat-mode = \"bogus\"\n",
                  "t.toml:2:20: nvidia-container-runtime.modes.legacy.cuda-compat-mode: unknown mode 'bogus'" },
                { "nvidia-container-cli = 1\n", "t.toml:1:24: nvidia-container-cli must be a table, not integer" },
                { "[nvidia-container-cli.debug]\n", "must be a string, not table" },
                { "[nvidia-container-cli]\nldconfig = \"/sbin/ldconfig\"\n",
                  "t.toml:2:12: nvidia-container-cli.ldconfig value \"/sbin/ldconfig\" is not host-relative" },
                { "swarm-resource = \"a\\u0000b\"\n", "must not contain a NUL character" },
                { "a = \n", "t.toml:1:5: expected a value" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                NvctConfig *c = NULL;
                NvctError err = NVCT_ERROR_INIT;
                int r = load_text(cases[i][0], &c, NULL, &err);
                if (r >= 0 || !strstr(err.msg, cases[i][1])) {
                        print_error("case %zu: %s\n  got %d '%s'\n  want '%s'\n", i, cases[i][0], r, err.msg,
                                    cases[i][1]);
                        nvct_config_free(c);
                        fail();
                }
        }
}

static void test_load_file(void **state) {
        char dir[] = "/tmp/nvct-config-XXXXXX", path[256];
        NvctError err = NVCT_ERROR_INIT;
        NvctConfig *c = NULL;
        char **warn = NULL;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/config.toml", dir);
        assert_int_equal(nvct_config_load(path, false, &c, &warn, &err), 0);
        assert_string_equal(c->runtime.mode, "auto");
        assert_null(warn);
        c = nvct_config_free(c);
        assert_int_equal(nvct_config_load(path, true, &c, &warn, &err), -ENOENT);
        assert_non_null(strstr(err.msg, path));

        static const char text[] = "[nvidia-container-runtime]\nmode = \"legacy\"\nunknown = 1\n";
        assert_int_equal(write_file_atomic(path, text, strlen(text), 0644, &err), 0);
        assert_int_equal(nvct_config_load(path, true, &c, &warn, &err), 0);
        assert_string_equal(c->runtime.mode, "legacy");
        assert_int_equal(strv_length(warn), 1);
        assert_non_null(strstr(warn[0], ":3:1: unknown key 'nvidia-container-runtime.unknown'"));
        assert_non_null(strstr(warn[0], path));
        c = nvct_config_free(c);
        warn = strv_free(warn);

        /* A directory or FIFO in place of the file is refused, not read. */
        char fifo[300];
        snprintf(fifo, sizeof(fifo), "%s/fifo.toml", dir);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        assert_true(nvct_config_load(fifo, false, &c, NULL, &err) < 0);
        assert_true(nvct_config_load(dir, false, &c, NULL, &err) < 0);
        unlink(fifo);
        unlink(path);
        rmdir(dir);
}

static void test_default_path(void **state) {
        char *p;
        assert_int_equal(nvct_config_default_path("/flag.toml", "/env.toml", "/xdg", &p), 0);
        assert_string_equal(p, "/flag.toml");
        free(p);
        assert_int_equal(nvct_config_default_path("", "/env.toml", "/xdg", &p), 0);
        assert_string_equal(p, "/env.toml");
        free(p);
        assert_int_equal(nvct_config_default_path(NULL, "", "/xdg/", &p), 0);
        assert_string_equal(p, "/xdg/nvidia-container-runtime/config.toml");
        free(p);
        assert_int_equal(nvct_config_default_path(NULL, NULL, NULL, &p), 0);
        assert_string_equal(p, "/etc/nvidia-container-runtime/config.toml");
        free(p);
        assert_int_equal(nvct_config_default_path(NULL, NULL, "", &p), 0);
        assert_string_equal(p, "/etc/nvidia-container-runtime/config.toml");
        free(p);
        assert_int_equal(nvct_config_default_path(NULL, NULL, "/", &p), 0);
        assert_string_equal(p, "/nvidia-container-runtime/config.toml");
        free(p);
}

/* NVIDIA's `config default` layout, with the platform-dependent ldconfig value overridden. */
static const char nvidia_default[] =
        "#accept-nvidia-visible-devices-as-volume-mounts = false\n"
        "#accept-nvidia-visible-devices-envvar-when-unprivileged = true\n"
        "disable-require = false\n"
        "supported-driver-capabilities = \"compat32,compute,display,graphics,ngx,utility,video\"\n"
        "#swarm-resource = \"DOCKER_RESOURCE_GPU\"\n\n"
        "[nvidia-container-cli]\n"
        "#debug = \"/var/log/nvidia-container-toolkit.log\"\n"
        "environment = []\n"
        "#ldcache = \"/etc/ld.so.cache\"\n"
        "ldconfig = \"OVERRIDDEN\"\n"
        "load-kmods = true\n"
        "#no-cgroups = false\n"
        "#path = \"/usr/bin/nvidia-container-cli\"\n"
        "#root = \"/run/nvidia/driver\"\n"
        "#user = \"root:video\"\n\n"
        "[nvidia-container-runtime]\n"
        "#debug = \"/var/log/nvidia-container-runtime.log\"\n"
        "log-level = \"info\"\n"
        "mode = \"auto\"\n"
        "runtimes = [\"runc\", \"crun\"]\n\n"
        "[nvidia-container-runtime.modes]\n\n"
        "[nvidia-container-runtime.modes.cdi]\n"
        "annotation-prefixes = [\"cdi.k8s.io/\"]\n"
        "default-kind = \"nvidia.com/gpu\"\n"
        "spec-dirs = [\"/etc/cdi\", \"/var/run/cdi\"]\n\n"
        "[nvidia-container-runtime.modes.csv]\n"
        "mount-spec-path = \"/etc/nvidia-container-runtime/host-files-for-container.d\"\n\n"
        "[nvidia-container-runtime.modes.legacy]\n"
        "cuda-compat-mode = \"ldconfig\"\n\n"
        "[nvidia-container-runtime-hook]\n"
        "path = \"nvidia-container-runtime-hook\"\n"
        "skip-mode-detection = false\n\n"
        "[nvidia-ctk]\n"
        "path = \"nvidia-ctk\"\n";

static void test_default_text(void **state) {
        _cleanup_free_ char *t = nvct_config_format_default("OVERRIDDEN", NULL);
        assert_string_equal(t, nvidia_default);

        _cleanup_free_ char *suse = nvct_config_format_default("@/sbin/ldconfig", "root:video");
        assert_non_null(strstr(suse, "\nuser = \"root:video\"\n"));
        assert_null(strstr(suse, "#user"));

        /* The generated text loads back to exactly the defaults, without warnings. */
        _cleanup_free_ char *host = NULL;
        assert_int_equal(nvct_config_default_text(&host), 0);
        _cleanup_config_ NvctConfig *c = NULL, *d = NULL;
        _cleanup_strv_free_ char **warn = NULL;
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(load_text(host, &c, &warn, &err), 0);
        assert_int_equal(strv_length(warn), 0);
        assert_int_equal(nvct_config_new_default(&d, &err), 0);
        assert_string_equal(c->cli.ldconfig, d->cli.ldconfig);
        assert_string_equal(c->runtime.debug, "/dev/null");
        strv_eq(c->runtime.cdi.spec_dirs, (const char *[]) { "/etc/cdi", "/var/run/cdi", NULL });
}

/* ---- nvidia-ctk config ---- */

typedef struct Tmp {
        char dir[64];
        char path[128];
} Tmp;

static void tmp_setup(Tmp *t, const char *text, mode_t mode) {
        NvctError err = NVCT_ERROR_INIT;
        strcpy(t->dir, "/tmp/nvct-ctkcfg-XXXXXX");
        assert_non_null(mkdtemp(t->dir));
        snprintf(t->path, sizeof(t->path), "%s/config.toml", t->dir);
        if (text)
                assert_int_equal(write_file_atomic(t->path, text, strlen(text), mode, &err), 0);
}

static void tmp_cleanup(Tmp *t) {
        char p[200];
        snprintf(p, sizeof(p), "%s/out.toml", t->dir);
        unlink(p);
        unlink(t->path);
        assert_int_equal(rmdir(t->dir), 0);
}

static char *slurp(const char *path) {
        NvctError err = NVCT_ERROR_INIT;
        char *s = NULL;
        assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 20, &s, NULL, &err), 0);
        return s;
}

static int run_config(const char *const *args) {
        char *argv[32];
        int argc = 0;
        argv[argc++] = (char *) "config";
        for (size_t i = 0; args[i]; i++)
                argv[argc++] = (char *) args[i];
        argv[argc] = NULL;
        return ctk_config_main(argc, argv);
}

static void test_ctk_config_in_place(void **state) {
        Tmp t;
        struct stat st;
        tmp_setup(&t, "# my settings\n[nvidia-container-cli]\n#debug = \"/var/log/x.log\"\nload-kmods = true # keep\n"
                      "\n[nvidia-container-runtime]\nmode = \"auto\"\n",
                  0600);

        assert_int_equal(run_config((const char *[]) {
                                 "--config-file", t.path, "-i", "--set", "nvidia-container-runtime.mode=cdi",
                                 "--set=nvidia-container-cli.debug=/tmp/d.log", "-set", "nvidia-container-cli.load-kmods=false",
                                 "--set", "disable-require", "--set", "nvidia-container-cli.environment=A=1,B=2:C=3",
                                 "--set", "nvidia-container-runtime.modes.cdi.default-kind=example.com/x", NULL }),
                         0);
        _cleanup_free_ char *got = slurp(t.path);
        assert_string_equal(got, "disable-require = true\n# my settings\n[nvidia-container-cli]\n"
                                 "debug = \"/tmp/d.log\"\nload-kmods = false # keep\n"
                                 "environment = [\"A=1\", \"B=2\", \"C=3\"]\n"
                                 "\n[nvidia-container-runtime]\nmode = \"cdi\"\n"
                                 "\n[nvidia-container-runtime.modes.cdi]\ndefault-kind = \"example.com/x\"\n");
        assert_int_equal(stat(t.path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0600);

        /* An empty string value removes the key; -o writes elsewhere and leaves the file alone. */
        char out[200];
        snprintf(out, sizeof(out), "%s/out.toml", t.dir);
        assert_int_equal(run_config((const char *[]) { "-c", t.path, "--set", "nvidia-container-cli.debug=", "-o", out,
                                                       NULL }),
                         0);
        _cleanup_free_ char *o = slurp(out), *same = slurp(t.path);
        assert_null(strstr(o, "debug ="));
        assert_non_null(strstr(o, "load-kmods = false # keep\n"));
        assert_string_equal(same, got);
        tmp_cleanup(&t);
}

static void test_ctk_config_errors(void **state) {
        Tmp t;
        tmp_setup(&t, "a = 1\n", 0644);

        assert_int_equal(run_config((const char *[]) { "-c", t.path, "--set", "undefined=x", NULL }), 1);
        assert_int_equal(run_config((const char *[]) { "-c", t.path, "--set", "nvidia-container-cli.undefined=x", NULL }), 1);
        assert_int_equal(run_config((const char *[]) { "-c", t.path, "--set", "swarm-resource", NULL }), 1);
        assert_int_equal(run_config((const char *[]) { "-c", t.path, "--set", "disable-require=something", NULL }), 1);
        assert_int_equal(run_config((const char *[]) { "-c", t.path, "--set", "nvct.nvml-timeout-ms=12x", NULL }), 1);
        assert_int_equal(run_config((const char *[]) { "-c", t.path, "--bogus", NULL }), 2);
        assert_int_equal(run_config((const char *[]) { "-c", NULL }), 2);
        assert_int_equal(run_config((const char *[]) { "frobnicate", NULL }), 1);
        _cleanup_free_ char *same = slurp(t.path);
        assert_string_equal(same, "a = 1\n");

        /* A broken file is reported with its position and not rewritten. */
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(write_file_atomic(t.path, "a = \n", 5, 0644, &err), 0);
        assert_int_equal(run_config((const char *[]) { "-c", t.path, "-i", "--set", "disable-require", NULL }), 1);
        _cleanup_free_ char *broken = slurp(t.path);
        assert_string_equal(broken, "a = \n");
        tmp_cleanup(&t);
}

static void test_ctk_config_default(void **state) {
        Tmp t;
        tmp_setup(&t, NULL, 0);
        char out[200];
        snprintf(out, sizeof(out), "%s/out.toml", t.dir);

        assert_int_equal(run_config((const char *[]) { "default", "--output", out, NULL }), 0);
        _cleanup_free_ char *want = NULL, *got = slurp(out);
        assert_int_equal(nvct_config_default_text(&want), 0);
        assert_string_equal(got, want);
        unlink(out);
        assert_int_equal(run_config((const char *[]) { "generate-default", "-o", out, NULL }), 0);
        assert_int_equal(run_config((const char *[]) { "create-default", "-o", out, NULL }), 0);

        /* No file yet: editing starts from the defaults ("set debug uncomments"). */
        assert_int_equal(run_config((const char *[]) { "-c", t.path, "-i", "--set",
                                                       "nvidia-container-runtime.debug=/var/log/nvidia-container-runtime.log",
                                                       NULL }),
                         0);
        _cleanup_free_ char *edited = slurp(t.path);
        assert_non_null(strstr(edited, "[nvidia-container-runtime]\ndebug = \"/var/log/nvidia-container-runtime.log\"\n"
                                       "log-level = \"info\"\n"));
        assert_non_null(strstr(edited, "#debug = \"/var/log/nvidia-container-toolkit.log\"\n"));
        tmp_cleanup(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_defaults),           cmocka_unit_test(test_every_key),
                cmocka_unit_test(test_unknown_keys_warn),  cmocka_unit_test(test_type_errors),
                cmocka_unit_test(test_load_file),          cmocka_unit_test(test_default_path),
                cmocka_unit_test(test_default_text),       cmocka_unit_test(test_ctk_config_in_place),
                cmocka_unit_test(test_ctk_config_errors),  cmocka_unit_test(test_ctk_config_default),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
