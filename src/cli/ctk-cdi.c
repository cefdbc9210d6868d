/* SPDX-License-Identifier: Apache-2.0 */
/* nvidia-ctk cdi generate | refresh | list | validate | transform root */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "cdi-cache.h"
#include "cdi-generate.h"
#include "cdi-spec.h"
#include "ctk.h"
#include "fileio.h"
#include "flags.h"
#include "runtime.h"
#include "settings.h"
#include "strv.h"

#define PROG "nvidia-ctk cdi"
#define REFRESH_DEFAULT_OUTPUT "/var/run/cdi/nvidia.yaml"

#define failx(...) ctk_fail(PROG, __VA_ARGS__)

static int fail(const NvctError *err) {
        return failx("%s", err->msg);
}

/* Flags in urfave/cli syntax (flags.h), interspersed with positional arguments, which go to *ret_args. */
static int parse_flags(int argc, char **argv, const Flag *flags, char ***ret_args) {
        return ctk_parse_flags(PROG, argc - 1, argv + 1, flags, ret_args, NULL, NULL);
}

static const char *env_or(const char *var, const char *fallback) {
        const char *v = getenv(var);
        return v && *v ? v : fallback;
}

/* ---------------------------------------------------------------- generate and refresh */

typedef struct GenArgs {
        const char *output, *format, *mode, *driver_root, *dev_root, *proc_root, *sys_root;
        const char *vendor, *class_, *hook_path, *ldconfig_path;
        char **naming, **disable_hooks, **enable_hooks, **device_ids, **feature_flags;
        char **library_search_paths, **config_search_paths;
        bool no_all_device, help;
} GenArgs;

static void gen_args_done(GenArgs *a) {
        strv_free(a->naming);
        strv_free(a->disable_hooks);
        strv_free(a->enable_hooks);
        strv_free(a->device_ids);
        strv_free(a->feature_flags);
        strv_free(a->library_search_paths);
        strv_free(a->config_search_paths);
}

static void generate_usage(const char *cmd) {
        printf("Usage: nvidia-ctk cdi %s [options]\n\n"
               "Generate a CDI specification for the NVIDIA devices and driver of this host%s.\n"
               "  --output FILE                  write here (default: %s) [$NVIDIA_CTK_CDI_OUTPUT_FILE_PATH]\n"
               "  --format yaml|json             output format (default: from the file name, else yaml)\n"
               "  --mode auto|nvml|management    discovery mode (default: auto)\n"
               "  --driver-root DIR, --dev-root DIR\n"
               "  --device-name-strategy S       index, uuid, type-index; repeatable (default: index,uuid)\n"
               "  --device-id ID                 index, UUID, GPU:MIG, all or none; repeatable (default: all)\n"
               "  --vendor V, --class C          the spec's kind (default: nvidia.com/gpu)\n"
               "  --no-all-device                no merged \"all\" device\n"
               "  --nvidia-cdi-hook-path PATH    the hook binary (default: nvidia-cdi-hook on PATH)\n"
               "  --ldconfig-path PATH           ldconfig for the update-ldcache hook\n"
               "  --disable-hook NAME            create-symlinks, enable-cuda-compat, update-ldcache,\n"
               "                                 disable-device-node-modification or all; repeatable\n"
               "  --enable-hook NAME             likewise, e.g. update-application-profile\n",
               cmd, streq(cmd, "refresh") ? ", rewriting it only when the driver or its devices changed" : "",
               streq(cmd, "refresh") ? REFRESH_DEFAULT_OUTPUT : "standard output");
}

static int parse_generate(int argc, char **argv, GenArgs *a) {
        const Flag flags[] = {
                { "output", &a->output, FLAG_STRING },
                { "format", &a->format, FLAG_STRING },
                { "mode,discovery-mode", &a->mode, FLAG_STRING },
                { "driver-root", &a->driver_root, FLAG_STRING },
                { "dev-root", &a->dev_root, FLAG_STRING },
                { "proc-root", &a->proc_root, FLAG_STRING },
                { "sys-root", &a->sys_root, FLAG_STRING },
                { "device-name-strategy,device-name-strategies", &a->naming, FLAG_LIST },
                { "vendor,cdi-vendor", &a->vendor, FLAG_STRING },
                { "class,cdi-class", &a->class_, FLAG_STRING },
                { "no-all-device", &a->no_all_device, FLAG_BOOL },
                { "nvidia-cdi-hook-path,nvidia-ctk-path", &a->hook_path, FLAG_STRING },
                { "ldconfig-path", &a->ldconfig_path, FLAG_STRING },
                { "disable-hook,disable-hooks", &a->disable_hooks, FLAG_LIST },
                { "enable-hook,enable-hooks", &a->enable_hooks, FLAG_LIST },
                { "device-id,device-ids,device,devices", &a->device_ids, FLAG_LIST },
                { "feature-flag,feature-flags", &a->feature_flags, FLAG_LIST },
                { "library-search-path,library-search-paths", &a->library_search_paths, FLAG_LIST },
                { "config-search-path,config-search-paths", &a->config_search_paths, FLAG_LIST },
                { "help,h", &a->help, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };
        _cleanup_strv_free_ char **rest = NULL;
        if (parse_flags(argc, argv, flags, &rest) != 0)
                return 1;
        if (rest)
                return failx("%s: unexpected argument \"%s\"", argv[0], rest[0]);
        return 0;
}

/* Flags, then their environment variables, then config.toml, then the defaults. */
static int generate_options(GenArgs *a, const Settings *s, NvctRoots *roots, NvctCdiGenerateOptions *o,
                            char **hook_path) {
        const char *mode = a->mode ? a->mode : env_or("NVIDIA_CTK_CDI_GENERATE_MODE", "auto");
        static const char *const other_modes[] = { "csv", "gdrcopy", "gds", "imex", "mofed", "nvswitch", "wsl", NULL };
        if (streq(mode, "management"))
                o->mode = NVCT_CDI_MODE_MANAGEMENT;
        else if (streq(mode, "auto") || streq(mode, "nvml"))
                o->mode = NVCT_CDI_MODE_NVML;
        else if (strv_contains((char **) other_modes, mode))
                return failx("discovery mode \"%s\" is not supported by nvct (supported: auto, nvml, management)", mode);
        else
                return failx("invalid discovery mode \"%s\" (auto, nvml, management)", mode);

        const char *driver_root = a->driver_root ?: env_or("NVIDIA_CTK_DRIVER_ROOT", s->roots.driver_root);
        *roots = s->roots;
        roots->driver_root = driver_root;
        roots->ipc_root = driver_root;
        roots->dev_root = a->dev_root ?: env_or("NVIDIA_CTK_DEV_ROOT", a->driver_root ? driver_root : s->roots.dev_root);
        if (a->proc_root)
                roots->proc_root = a->proc_root;
        if (a->sys_root)
                roots->sys_root = a->sys_root;
        o->roots = roots;

        if (!a->naming) {
                const char *env = getenv("NVIDIA_CTK_CDI_GENERATE_DEVICE_NAME_STRATEGIES");
                if (env && *env && strv_split(env, ",", true, &a->naming) < 0)
                        return failx("out of memory");
        }
        for (char **n = a->naming; n && *n; n++) {
                unsigned bit = nvct_cdi_naming_from_name(*n);
                if (!bit)
                        return failx("invalid device name strategy \"%s\" (index, uuid, type-index)", *n);
                o->naming |= bit;
        }
        o->hooks = NVCT_CDI_HOOKS_DEFAULT;
        for (char **h = a->enable_hooks; h && *h; h++) {
                unsigned bit = nvct_cdi_hook_from_name(*h);
                if (streq(*h, "all"))
                        return failx("--enable-hook=all is not allowed: name the hooks to enable");
                if (!bit)
                        return failx("unknown hook \"%s\" in --enable-hook", *h);
                o->hooks |= bit;
        }
        for (char **h = a->disable_hooks; h && *h; h++) {
                unsigned bit = nvct_cdi_hook_from_name(*h);
                if (!bit)
                        return failx("unknown hook \"%s\" in --disable-hook", *h);
                o->hooks &= ~bit;
        }
        o->additional_gids = !s->cfg->features.no_additional_gids_for_device_nodes;
        for (char **f = a->feature_flags; f && *f; f++) {
                if (streq(*f, "no-additional-gids-for-device-nodes"))
                        o->additional_gids = false;
                else
                        fprintf(stderr, PROG ": warning: feature flag \"%s\" has no effect in nvct\n", *f);
        }
        if (a->library_search_paths)
                fprintf(stderr, PROG ": warning: --library-search-path applies to csv mode only; ignored\n");
        if (a->config_search_paths)
                fprintf(stderr, PROG ": warning: --config-search-path is ignored: configs are found below the "
                                "driver root\n");
        o->vendor = a->vendor;
        o->class_ = a->class_;
        o->no_all_device = a->no_all_device;
        o->device_ids = a->device_ids;
        o->ldconfig_path = a->ldconfig_path;

        const char *hook = a->hook_path ?: env_or("NVIDIA_CTK_CDI_HOOK_PATH", "nvidia-cdi-hook");
        *hook_path = runtime_find_executable(hook);
        if (!*hook_path && asprintf(hook_path, "%s%s", hook[0] == '/' ? "" : "/usr/bin/", hook) < 0)
                return failx("out of memory");
        if ((*hook_path)[0] != '/') {
                char *abs = realpath(*hook_path, NULL);
                if (!abs)
                        return failx("%s: cannot make the hook path absolute", *hook_path);
                free(*hook_path);
                *hook_path = abs;
        }
        o->hook_path = *hook_path;
        return 0;
}

static NvctCdiFormat output_format(const GenArgs *a, char **output) {
        const char *fmt = a->format ? a->format : getenv("NVIDIA_CTK_CDI_GENERATE_OUTPUT_FORMAT");
        const char *out = *output;
        size_t n = out ? strlen(out) : 0;
        bool has_ext = n > 5 && (streq(out + n - 5, ".json") || streq(out + n - 5, ".yaml"));
        has_ext = has_ext || (n > 4 && streq(out + n - 4, ".yml"));
        if (fmt && *fmt) {
                NvctCdiFormat f = streq(fmt, "json") ? NVCT_CDI_FORMAT_JSON : NVCT_CDI_FORMAT_YAML;
                char *with = NULL;
                /* a name without an extension gets the format's, as nvidia-ctk does */
                if (out && *out && !has_ext && asprintf(&with, "%s.%s", out, streq(fmt, "json") ? "json" : "yaml") >= 0) {
                        free(*output);
                        *output = with;
                }
                return f;
        }
        return nvct_cdi_format_for_path(out);
}

/* mkdir -p of the directory of path, as the CDI cache does for its spec directory. */
static int mkdir_parents(const char *path) {
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
                return 0;
        *slash = '\0';
        for (char *p = dir + 1; ; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                char c = *p;
                *p = '\0';
                if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *p = c;
                if (!c)
                        break;
        }
        return 0;
}

static int write_or_print(const NvctCdiSpec *spec, const char *output, NvctCdiFormat format) {
        NvctError err = NVCT_ERROR_INIT;
        if (output && *output) {
                int r = mkdir_parents(output);
                if (r < 0)
                        return failx("create the directory of %s: %s", output, strerror(-r));
                if (nvct_cdi_spec_write(spec, output, format, &err) < 0)
                        return fail(&err);
                return 0;
        }
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (nvct_cdi_spec_format(spec, format, &text, &len, &err) < 0)
                return fail(&err);
        if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0)
                return failx("write standard output: %s", strerror(errno));
        return 0;
}

/* Whether the driver is loaded at all: a boot-time refresh before the module loads is not an error. */
static bool driver_loaded(const NvctRoots *roots) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/driver/nvidia/version", roots->proc_root ? roots->proc_root : "/proc") < 0)
                return true;
        return access(p, F_OK) == 0;
}

static int refresh_decide(const char *output, const NvctCdiSpec *spec, NvctCdiFormat format, const char *version) {
        _cleanup_cdi_spec_ NvctCdiSpec *old = NULL;
        _cleanup_free_ char *old_text = NULL, *new_text = NULL, *old_version = NULL;
        NvctError err = NVCT_ERROR_INIT;
        size_t old_len = 0, new_len = 0;

        if (nvct_cdi_spec_read(output, 0, &old, &err) < 0) {
                if (err.code != ENOENT)
                        printf("%s: regenerating: the existing spec is unusable: %s\n", output, err.msg);
                return 1;
        }
        old_version = nvct_cdi_spec_driver_version(old);
        if (!old_version || !streq(old_version, version)) {
                printf("%s: regenerating: the spec is for driver %s, driver %s is loaded\n", output,
                       old_version ? old_version : "(unknown)", version);
                return 1;
        }
        if (read_file_at(AT_FDCWD, output, NVCT_CDI_SPEC_MAX, &old_text, &old_len, &err) < 0 ||
            nvct_cdi_spec_format(spec, format, &new_text, &new_len, &err) < 0)
                return 1;
        if (old_len == new_len && memcmp(old_text, new_text, new_len) == 0) {
                printf("%s is up to date (driver %s)\n", output, version);
                return 0;
        }
        printf("%s: regenerating: the devices or files of driver %s changed\n", output, version);
        return 1;
}

static int cmd_generate(int argc, char **argv, bool refresh) {
        GenArgs a = { 0 };
        Settings s = { 0 };
        NvctError err = NVCT_ERROR_INIT;
        NvctCdiGenerateOptions o = { 0 };
        NvctRoots roots;
        _cleanup_free_ char *hook_path = NULL, *output = NULL;
        _cleanup_driver_ NvctDriver *drv = NULL;
        _cleanup_cdi_spec_ NvctCdiSpec *spec = NULL;
        int rc = parse_generate(argc, argv, &a);

        if (rc == 0 && a.help) {
                generate_usage(argv[0]);
                gen_args_done(&a);
                return 0;
        }
        if (rc == 0 && settings_load(NULL, getenv("NVIDIA_CTK_CONFIG_FILE_PATH"), &s, &err) < 0)
                rc = fail(&err);
        if (rc == 0)
                rc = generate_options(&a, &s, &roots, &o, &hook_path);
        if (rc == 0) {
                output = strdup(a.output ?: env_or("NVIDIA_CTK_CDI_OUTPUT_FILE_PATH",
                                                   refresh ? REFRESH_DEFAULT_OUTPUT : ""));
                if (!output)
                        rc = failx("out of memory");
        }
        if (rc == 0 && refresh && !driver_loaded(&roots)) {
                printf("the NVIDIA driver is not loaded (no %s/driver/nvidia/version): nothing to refresh\n",
                       roots.proc_root);
                goto out;
        }
        if (rc == 0 && nvct_cdi_discover(&roots, o.naming, false, &drv, &err) < 0)
                rc = fail(&err);
        if (rc == 0 && nvct_cdi_generate(drv, &o, &spec, &err) < 0)
                rc = fail(&err);
        if (rc == 0) {
                NvctCdiFormat format = output_format(&a, &output);
                if (refresh && refresh_decide(output, spec, format, drv->version) == 0)
                        goto out;
                rc = write_or_print(spec, output, format);
                if (rc == 0 && *output)
                        fprintf(refresh ? stdout : stderr, "wrote CDI spec %s (kind %s, %zu devices, driver %s)\n",
                                output, spec->kind, spec->n_devices, drv->version);
        }
out:
        gen_args_done(&a);
        settings_done(&s);
        return rc;
}

/* ---------------------------------------------------------------- list and validate */

static int spec_dirs(char **flag, char ***ret) {
        if (flag) {
                *ret = strv_copy(flag);
                return *ret ? 0 : -ENOMEM;
        }
        const char *env = getenv("NVIDIA_CTK_CDI_SPEC_DIRS");
        if (env && *env)
                return strv_split(env, ",", true, ret);
        static char *const defaults[] = NVCT_CDI_DEFAULT_SPEC_DIRS;
        *ret = strv_copy(defaults);
        return *ret ? 0 : -ENOMEM;
}

static void print_errors(char *const *errors) {
        for (char *const *e = errors; e && *e; e++)
                fprintf(stderr, PROG ": %s\n", *e);
}

static int cmd_list(int argc, char **argv) {
        _cleanup_strv_free_ char **dirs_flag = NULL, **dirs = NULL, **rest = NULL;
        _cleanup_cdi_cache_ NvctCdiCache *c = nvct_cdi_cache_new();
        NvctError err = NVCT_ERROR_INIT;
        bool help = false;
        const Flag flags[] = {
                { "spec-dir,spec-dirs", &dirs_flag, FLAG_LIST },
                { "help,h", &help, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };
        if (parse_flags(argc, argv, flags, &rest) != 0)
                return 1;
        if (help) {
                printf("Usage: nvidia-ctk cdi list [--spec-dir DIR]...\n\nList the CDI devices of the spec "
                       "directories (default: /etc/cdi, /var/run/cdi) as vendor/class=name.\n");
                return 0;
        }
        if (!c || spec_dirs(dirs_flag, &dirs) < 0)
                return failx("out of memory");
        if (nvct_cdi_cache_scan(c, dirs, &err) < 0)
                return fail(&err);
        print_errors(c->errors);
        fprintf(stderr, "Found %zu CDI devices\n", c->n_devices);
        for (size_t i = 0; i < c->n_devices; i++)
                printf("%s\n", c->devices[i].name);
        return 0;
}

static int cmd_validate(int argc, char **argv) {
        _cleanup_strv_free_ char **dirs_flag = NULL, **files = NULL;
        _cleanup_cdi_cache_ NvctCdiCache *c = nvct_cdi_cache_new();
        NvctError err = NVCT_ERROR_INIT;
        bool help = false, bad = false;
        const Flag flags[] = {
                { "spec-dir,spec-dirs", &dirs_flag, FLAG_LIST },
                { "help,h", &help, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };
        if (parse_flags(argc, argv, flags, &files) != 0)
                return 1;
        if (help) {
                printf("Usage: nvidia-ctk cdi validate [FILE...] [--spec-dir DIR]...\n\nCheck CDI specs as the CDI "
                       "library does (strict parse, version, names, edits, duplicates), and files given together\n"
                       "for conflicting devices. Without files, the spec directories are checked. One line per "
                       "problem; exit status 1 on any.\n");
                return 0;
        }
        if (!c)
                return failx("out of memory");
        if (!files) {
                _cleanup_strv_free_ char **dirs = NULL;
                if (spec_dirs(dirs_flag, &dirs) < 0)
                        return failx("out of memory");
                if (nvct_cdi_cache_scan(c, dirs, &err) < 0)
                        return fail(&err);
                bad = c->errors && c->errors[0];
        }
        for (char **f = files; f && *f; f++) {
                NvctCdiSpec *spec = NULL;
                nvct_error_clear(&err);
                if (nvct_cdi_spec_read(*f, 0, &spec, &err) < 0) {
                        fprintf(stderr, PROG ": %s\n", err.msg);
                        bad = true;
                        continue;
                }
                printf("%s: valid CDI spec (cdiVersion %s, kind %s, %zu devices)\n", *f, spec->version, spec->kind,
                       spec->n_devices);
                if (nvct_cdi_cache_add_spec(c, spec, &err) < 0)
                        return fail(&err);
        }
        /* files given together are one directory: equal priority, so a shared device name conflicts */
        for (size_t i = files ? 0 : c->n_load_errors; c->errors && c->errors[i]; i++)
                bad = true;
        print_errors(c->errors);
        return bad ? 1 : 0;
}

/* ---------------------------------------------------------------- transform root */

static int read_input(const char *input, char **ret, size_t *len, NvctError *err) {
        if (!input || streq(input, "-"))
                return read_fd(STDIN_FILENO, "standard input", NVCT_CDI_SPEC_MAX - 1, ret, len, err);
        return read_file_at(AT_FDCWD, input, NVCT_CDI_SPEC_MAX - 1, ret, len, err);
}

static int cmd_transform(int argc, char **argv) {
        const char *from = NULL, *to = NULL, *relative = "host", *input = "-", *output = NULL, *format = NULL;
        _cleanup_strv_free_ char **rest = NULL;
        _cleanup_free_ char *data = NULL;
        _cleanup_cdi_spec_ NvctCdiSpec *spec = NULL;
        NvctError err = NVCT_ERROR_INIT;
        bool help = false;
        size_t len = 0;
        const Flag flags[] = {
                { "from", &from, FLAG_STRING },
                { "to", &to, FLAG_STRING },
                { "relative-to", &relative, FLAG_STRING },
                { "input", &input, FLAG_STRING },
                { "output", &output, FLAG_STRING },
                { "format", &format, FLAG_STRING },
                { "help,h", &help, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };
        if (argc < 2 || !streq(argv[1], "root"))
                return failx("usage: nvidia-ctk cdi transform root --from DIR --to DIR [--relative-to host|container] "
                             "[--input FILE] [--output FILE]");
        if (parse_flags(argc - 1, argv + 1, flags, &rest) != 0)
                return 1;
        if (help) {
                printf("Usage: nvidia-ctk cdi transform root --from DIR --to DIR [--relative-to host|container] "
                       "[--input FILE|-] [--output FILE]\n\nMove the paths of a CDI spec from one root to another.\n");
                return 0;
        }
        if (!from || !to)
                return failx("transform root: --from and --to are required");
        if (!streq(relative, "host") && !streq(relative, "container"))
                return failx("transform root: invalid --relative-to \"%s\" (host or container)", relative);
        const char *what = !input || streq(input, "-") ? "-" : input;
        if (read_input(input, &data, &len, &err) < 0)
                return fail(&err);
        NvctCdiFormat in_fmt = streq(what, "-") ? (len && data[strspn(data, " \t\r\n")] == '{' ? NVCT_CDI_FORMAT_JSON :
                                                                                                  NVCT_CDI_FORMAT_YAML) :
                                                  nvct_cdi_format_for_path(what);
        if (nvct_cdi_spec_parse(data, len, in_fmt, what, &spec, &err) < 0 || nvct_cdi_spec_validate(spec, &err) < 0)
                return fail(&err);
        if (nvct_cdi_spec_transform_root(spec, from, to, streq(relative, "container")) < 0)
                return failx("out of memory");
        free(spec->version);
        if (!(spec->version = strdup(nvct_cdi_minimum_version(spec))))
                return failx("out of memory");
        NvctCdiFormat out_fmt = format ? (streq(format, "json") ? NVCT_CDI_FORMAT_JSON : NVCT_CDI_FORMAT_YAML) :
                                output ? nvct_cdi_format_for_path(output) : in_fmt;
        return write_or_print(spec, output, out_fmt);
}

/* ---------------------------------------------------------------- entry */

static void cdi_usage(FILE *f) {
        (void) fputs("Usage: nvidia-ctk cdi COMMAND [options]\n\n"
              "Commands:\n"
              "   generate   Generate a CDI specification for NVIDIA devices\n"
              "   refresh    Regenerate the CDI specification when the driver changed\n"
              "   list       List the available CDI devices\n"
              "   validate   Check CDI specification files\n"
              "   transform  Apply a transform to a CDI specification (transform root)\n",
              f);
}

int ctk_cdi_main(int argc, char **argv) {
        if (argc < 2) {
                cdi_usage(stderr);
                return 1;
        }
        const char *cmd = argv[1];
        if (streq(cmd, "generate"))
                return cmd_generate(argc - 1, argv + 1, false);
        if (streq(cmd, "refresh"))
                return cmd_generate(argc - 1, argv + 1, true);
        if (streq(cmd, "list"))
                return cmd_list(argc - 1, argv + 1);
        if (streq(cmd, "validate"))
                return cmd_validate(argc - 1, argv + 1);
        if (streq(cmd, "transform"))
                return cmd_transform(argc - 1, argv + 1);
        if (streq(cmd, "--help") || streq(cmd, "-h") || streq(cmd, "help")) {
                cdi_usage(stdout);
                return 0;
        }
        cdi_usage(stderr);
        return failx("unknown command \"%s\"", cmd);
}
