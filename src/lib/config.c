/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "fileio.h"
#include "nvml.h"
#include "strv.h"

#define CONFIG_MAX_SIZE (1024u * 1024u)

/* cuda-compat-mode is a string in the file and an enum here. */
enum { KEY_CUDA_COMPAT = 100 };

typedef struct KeyDef {
        const char *path; /* dotted; no component contains a dot */
        int type;
        size_t offset;
        int64_t min, max; /* NVCT_CONFIG_INT: the key's own range, within 0..INT32_MAX */
} KeyDef;

#define K(p, t, f) { p, t, offsetof(NvctConfig, f), 0, INT32_MAX }
#define K_INT(p, f, lo, hi) { p, NVCT_CONFIG_INT, offsetof(NvctConfig, f), lo, hi }
static const KeyDef keys[] = {
        K("accept-nvidia-visible-devices-as-volume-mounts", NVCT_CONFIG_BOOL,
          accept_nvidia_visible_devices_as_volume_mounts),
        K("accept-nvidia-visible-devices-envvar-when-unprivileged", NVCT_CONFIG_BOOL,
          accept_nvidia_visible_devices_envvar_when_unprivileged),
        K("disable-require", NVCT_CONFIG_BOOL, disable_require),
        K("supported-driver-capabilities", NVCT_CONFIG_STRING, supported_driver_capabilities),
        K("swarm-resource", NVCT_CONFIG_STRING, swarm_resource),

        K("nvidia-container-cli.debug", NVCT_CONFIG_STRING, cli.debug),
        K("nvidia-container-cli.environment", NVCT_CONFIG_STRV, cli.environment),
        K("nvidia-container-cli.ldcache", NVCT_CONFIG_STRING, cli.ldcache),
        K("nvidia-container-cli.ldconfig", NVCT_CONFIG_STRING, cli.ldconfig),
        K("nvidia-container-cli.load-kmods", NVCT_CONFIG_BOOL, cli.load_kmods),
        K("nvidia-container-cli.no-cgroups", NVCT_CONFIG_BOOL, cli.no_cgroups),
        K("nvidia-container-cli.path", NVCT_CONFIG_STRING, cli.path),
        K("nvidia-container-cli.root", NVCT_CONFIG_STRING, cli.root),
        K("nvidia-container-cli.user", NVCT_CONFIG_STRING, cli.user),
        K("nvidia-container-cli.no-pivot", NVCT_CONFIG_BOOL, cli.no_pivot),

        K("nvidia-container-runtime.debug", NVCT_CONFIG_STRING, runtime.debug),
        K("nvidia-container-runtime.log-level", NVCT_CONFIG_STRING, runtime.log_level),
        K("nvidia-container-runtime.mode", NVCT_CONFIG_STRING, runtime.mode),
        K("nvidia-container-runtime.runtimes", NVCT_CONFIG_STRV, runtime.runtimes),
        K("nvidia-container-runtime.modes.cdi.annotation-prefixes", NVCT_CONFIG_STRV,
          runtime.cdi.annotation_prefixes),
        K("nvidia-container-runtime.modes.cdi.default-kind", NVCT_CONFIG_STRING, runtime.cdi.default_kind),
        K("nvidia-container-runtime.modes.cdi.spec-dirs", NVCT_CONFIG_STRV, runtime.cdi.spec_dirs),
        K("nvidia-container-runtime.modes.csv.mount-spec-path", NVCT_CONFIG_STRING, runtime.csv.mount_spec_path),
        K("nvidia-container-runtime.modes.csv.compat-container-root", NVCT_CONFIG_STRING,
          runtime.csv.compat_container_root),
        K("nvidia-container-runtime.modes.jit-cdi.nvcdi-feature-flags", NVCT_CONFIG_STRV,
          runtime.jit_cdi.nvcdi_feature_flags),
        K("nvidia-container-runtime.modes.jit-cdi.nvcdi-disable-hooks", NVCT_CONFIG_STRV,
          runtime.jit_cdi.nvcdi_disable_hooks),
        K("nvidia-container-runtime.modes.legacy.cuda-compat-mode", KEY_CUDA_COMPAT, runtime.cuda_compat_mode),

        K("nvidia-container-runtime-hook.path", NVCT_CONFIG_STRING, hook.path),
        K("nvidia-container-runtime-hook.skip-mode-detection", NVCT_CONFIG_BOOL, hook.skip_mode_detection),
        K("nvidia-ctk.path", NVCT_CONFIG_STRING, ctk.path),

        K("features.allow-cuda-compat-libs-from-container", NVCT_CONFIG_BOOL,
          features.allow_cuda_compat_libs_from_container),
        K("features.allow-ldconfig-from-container", NVCT_CONFIG_BOOL, features.allow_ldconfig_from_container),
        K("features.allow-unknown-oci-spec-fields", NVCT_CONFIG_BOOL, features.allow_unknown_oci_spec_fields),
        K("features.disable-cuda-compat-lib-hook", NVCT_CONFIG_BOOL, features.disable_cuda_compat_lib_hook),
        K("features.disable-imex-channel-creation", NVCT_CONFIG_BOOL, features.disable_imex_channel_creation),
        K("features.ignore-imex-channel-requests", NVCT_CONFIG_BOOL, features.ignore_imex_channel_requests),
        K("features.no-additional-gids-for-device-nodes", NVCT_CONFIG_BOOL,
          features.no_additional_gids_for_device_nodes),

        K("nvct.dev-root", NVCT_CONFIG_STRING, nvct.dev_root),
        K("nvct.proc-root", NVCT_CONFIG_STRING, nvct.proc_root),
        K("nvct.sys-root", NVCT_CONFIG_STRING, nvct.sys_root),
        K_INT("nvct.nvml-timeout-ms", nvct.nvml_timeout_ms, 1, NVCT_NVML_MAX_TIMEOUT_MS),
        K("nvct.cuda-version-cache", NVCT_CONFIG_STRING, nvct.cuda_version_cache),
        K("nvct.legacy-write-devices", NVCT_CONFIG_BOOL, nvct.legacy_write_devices),
        K("nvct.cdi-refresh-on-stale", NVCT_CONFIG_BOOL, nvct.cdi_refresh_on_stale),
};
#undef K
#undef K_INT

static const char *const cuda_compat_modes[] = {
        [NVCT_CUDA_COMPAT_LDCONFIG] = "ldconfig",
        [NVCT_CUDA_COMPAT_MOUNT] = "mount",
        [NVCT_CUDA_COMPAT_DISABLED] = "disabled",
        [NVCT_CUDA_COMPAT_HOOK] = "hook",
};

const char *nvct_cuda_compat_mode_to_string(NvctCudaCompatMode m) {
        return (unsigned) m < ELEMENTSOF(cuda_compat_modes) ? cuda_compat_modes[m] : NULL;
}

int nvct_cuda_compat_mode_from_string(const char *s, NvctCudaCompatMode *ret) {
        for (size_t i = 0; i < ELEMENTSOF(cuda_compat_modes); i++)
                if (streq(s, cuda_compat_modes[i])) {
                        *ret = (NvctCudaCompatMode) i;
                        return 0;
                }
        return -EINVAL;
}

/* Compare a schema path with the first n components of path; returns the schema's component count, or 0. */
static size_t path_match(const char *schema, const char *const *path, size_t n, bool *ret_exact) {
        size_t i = 0;
        const char *s = schema;

        for (; i < n; i++) {
                size_t len = strcspn(s, ".");
                if (strlen(path[i]) != len || strncmp(s, path[i], len) != 0)
                        return 0;
                s += len;
                if (*s == '\0') {
                        *ret_exact = i + 1 == n;
                        return *ret_exact ? n : 0;
                }
                s++;
        }
        *ret_exact = false;
        return n; /* schema continues: path is a table on its way */
}

static const KeyDef *key_find(const char *const *path, size_t n, bool *ret_is_table) {
        *ret_is_table = false;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                bool exact;
                if (path_match(keys[i].path, path, n, &exact) == 0)
                        continue;
                if (exact)
                        return &keys[i];
                *ret_is_table = true;
        }
        return NULL;
}

int nvct_config_key_type(const char *const *path, NvctConfigKeyType *ret) {
        bool table;
        const KeyDef *k = key_find(path, strv_length((char *const *) path), &table);
        if (!k)
                return -ENOENT;
        *ret = k->type == KEY_CUDA_COMPAT ? NVCT_CONFIG_STRING : (NvctConfigKeyType) k->type;
        return 0;
}

NvctConfig *nvct_config_free(NvctConfig *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                void *f = (char *) c + keys[i].offset;
                if (keys[i].type == NVCT_CONFIG_STRING)
                        free(*(char **) f);
                else if (keys[i].type == NVCT_CONFIG_STRV)
                        strv_free(*(char ***) f);
        }
        free(c);
        return NULL;
}

static bool host_is_suse(void) {
        _cleanup_free_ char *text = NULL;
        if (read_file_at(AT_FDCWD, "/etc/os-release", 64 * 1024, &text, NULL, NULL) < 0)
                return false;
        for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
                if (!strneq(line, "ID_LIKE=", 8))
                        continue;
                _cleanup_strv_free_ char **ids = NULL;
                _cleanup_free_ char *v = strndup(line + 8, strcspn(line + 8, "\n"));
                if (!v || strv_split(v, "\"' ", true, &ids) < 0)
                        return false;
                return strv_contains(ids, "suse") || strv_contains(ids, "opensuse");
        }
        return false;
}

static const char *host_ldconfig(void) {
        return access("/sbin/ldconfig.real", F_OK) == 0 ? "@/sbin/ldconfig.real" : "@/sbin/ldconfig";
}

int nvct_config_new_default(NvctConfig **ret, NvctError *err) {
        _cleanup_config_ NvctConfig *c = calloc(1, sizeof(*c));
        bool ok = c;

        if (!c)
                return nvct_error_set(err, ENOMEM, "allocate config");
        c->accept_nvidia_visible_devices_envvar_when_unprivileged = true;
        c->cli.load_kmods = true;
        c->runtime.cuda_compat_mode = NVCT_CUDA_COMPAT_LDCONFIG;
        c->nvct.nvml_timeout_ms = 10000;
        c->nvct.legacy_write_devices = true;
        ok = ok && (c->supported_driver_capabilities = strdup("compat32,compute,display,graphics,ngx,utility,video"));
        ok = ok && (c->cli.ldconfig = strdup(host_ldconfig()));
        ok = ok && (c->cli.user = strdup(host_is_suse() ? "root:video" : ""));
        ok = ok && (c->runtime.debug = strdup("/dev/null"));
        ok = ok && (c->runtime.log_level = strdup("info"));
        ok = ok && (c->runtime.mode = strdup("auto"));
        ok = ok && strv_extend(&c->runtime.runtimes, "runc") >= 0 && strv_extend(&c->runtime.runtimes, "crun") >= 0;
        ok = ok && strv_extend(&c->runtime.cdi.annotation_prefixes, "cdi.k8s.io/") >= 0;
        ok = ok && (c->runtime.cdi.default_kind = strdup("nvidia.com/gpu"));
        ok = ok && strv_extend(&c->runtime.cdi.spec_dirs, "/etc/cdi") >= 0 &&
             strv_extend(&c->runtime.cdi.spec_dirs, "/var/run/cdi") >= 0;
        ok = ok && (c->runtime.csv.mount_spec_path = strdup("/etc/nvidia-container-runtime/host-files-for-container.d"));
        ok = ok && (c->hook.path = strdup("nvidia-container-runtime-hook"));
        ok = ok && (c->ctk.path = strdup("nvidia-ctk"));
        ok = ok && (c->nvct.cuda_version_cache = strdup("/run/nvct"));
        /* Every other string is "" and every other list empty, never NULL. */
        for (size_t i = 0; ok && i < ELEMENTSOF(keys); i++) {
                void *f = (char *) c + keys[i].offset;
                if (keys[i].type == NVCT_CONFIG_STRING && !*(char **) f)
                        ok = (*(char **) f = strdup(""));
                else if (keys[i].type == NVCT_CONFIG_STRV && !*(char ***) f)
                        ok = (*(char ***) f = calloc(1, sizeof(char *)));
        }
        if (!ok)
                return nvct_error_set(err, ENOMEM, "allocate config");
        *ret = TAKE_PTR(c);
        return 0;
}

static int type_error(const TomlDoc *doc, const TomlValue *v, const char *key, const char *want, NvctError *err) {
        return toml_error_at(doc, v, err, EINVAL, "%s must be %s, not %s", key, want,
                             toml_type_name(toml_value_type(v)));
}

static int apply_key(NvctConfig *c, const KeyDef *k, const TomlDoc *doc, const TomlValue *v, NvctError *err) {
        void *f = (char *) c + k->offset;
        const char *s;
        int64_t i;
        char **l;

        switch (k->type) {
        case NVCT_CONFIG_BOOL:
                if (toml_value_bool(v, (bool *) f) < 0)
                        return type_error(doc, v, k->path, "a boolean", err);
                return 0;
        case NVCT_CONFIG_INT:
                if (toml_value_int(v, &i) < 0)
                        return type_error(doc, v, k->path, "an integer", err);
                if (i < 0 || i > INT32_MAX)
                        return toml_error_at(doc, v, err, ERANGE, "%s must be between 0 and %d", k->path, INT32_MAX);
                if (i < k->min || i > k->max)
                        return toml_error_at(doc, v, err, EINVAL, "%s must be between %" PRId64 " and %" PRId64
                                             ", not %" PRId64, k->path, k->min, k->max, i);
                *(int64_t *) f = i;
                return 0;
        case NVCT_CONFIG_STRV:
                if (toml_value_type(v) != TOML_ARRAY)
                        return type_error(doc, v, k->path, "an array of strings", err);
                if (toml_value_strv(v, &l) < 0)
                        return toml_error_at(doc, v, err, EINVAL, "%s must be an array of strings", k->path);
                strv_free(*(char ***) f);
                *(char ***) f = l;
                return 0;
        default:
                break;
        }
        int r = toml_value_string(v, &s);
        if (r == -EINVAL)
                return toml_error_at(doc, v, err, EINVAL, "%s must not contain a NUL character", k->path);
        if (r < 0)
                return type_error(doc, v, k->path, "a string", err);
        if (k->type == KEY_CUDA_COMPAT) {
                if (nvct_cuda_compat_mode_from_string(s, (NvctCudaCompatMode *) f) < 0)
                        return toml_error_at(doc, v, err, EINVAL,
                                             "%s: unknown mode '%s' (expected ldconfig, mount, disabled or hook)",
                                             k->path, s);
                return 0;
        }
        char *d = strdup(s);
        if (!d)
                return nvct_error_set(err, ENOMEM, "load config");
        free(*(char **) f);
        *(char **) f = d;
        return 0;
}

typedef struct Walk {
        NvctConfig *cfg;
        const TomlDoc *doc;
        char **path;
        char ***warnings;
        NvctError *err;
} Walk;

static int warn_unknown(Walk *w, const TomlValue *v) {
        _cleanup_free_ char *p = toml_value_path(v);
        unsigned line, col;

        if (!w->warnings)
                return 0;
        toml_key_position(w->doc, v, &line, &col);
        if (!p || strv_extendf(w->warnings, "%s:%u:%u: unknown key '%s'", toml_doc_filename(w->doc), line, col,
                               p) < 0)
                return nvct_error_set(w->err, ENOMEM, "load config");
        return 0;
}

static int walk_table(Walk *w, const TomlValue *t, size_t depth) {
        for (size_t i = 0; i < toml_table_size(t); i++) {
                const TomlValue *v = toml_table_value_at(t, i);
                bool is_table;
                int r;

                w->path[depth] = (char *) toml_table_key_at(t, i);
                w->path[depth + 1] = NULL;
                const KeyDef *k = key_find((const char *const *) w->path, depth + 1, &is_table);
                if (k)
                        r = apply_key(w->cfg, k, w->doc, v, w->err);
                else if (!is_table)
                        r = warn_unknown(w, v);
                else if (toml_value_type(v) != TOML_TABLE) {
                        _cleanup_free_ char *p = toml_value_path(v);
                        r = toml_error_at(w->doc, v, w->err, EINVAL, "%s must be a table, not %s", p ? p : "key",
                                          toml_type_name(toml_value_type(v)));
                } else
                        r = walk_table(w, v, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int validate(const NvctConfig *c, const TomlDoc *doc, NvctError *err) {
        if (c->cli.ldconfig[0] != '@' && !c->features.allow_ldconfig_from_container)
                return toml_error_at(doc, toml_get(doc, (const char *[]) { "nvidia-container-cli", "ldconfig", NULL }),
                                     err, EINVAL,
                                     "nvidia-container-cli.ldconfig value \"%s\" is not host-relative (does not start "
                                     "with a '@'); set features.allow-ldconfig-from-container = true to allow it",
                                     c->cli.ldconfig);
        return 0;
}

int nvct_config_from_doc(const TomlDoc *doc, NvctConfig **ret, char ***ret_warnings, NvctError *err) {
        _cleanup_config_ NvctConfig *c = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        char *path[8] = {};
        int r;

        r = nvct_config_new_default(&c, err);
        if (r < 0)
                return r;
        /* The schema is at most 5 deep: deeper tables are unknown before the path array could overflow. */
        Walk w = { .cfg = c, .doc = doc, .path = path, .warnings = ret_warnings ? &warnings : NULL, .err = err };
        r = walk_table(&w, toml_doc_root(doc), 0);
        if (r < 0)
                return r;
        r = validate(c, doc, err);
        if (r < 0)
                return r;
        if (ret_warnings)
                *ret_warnings = TAKE_PTR(warnings);
        *ret = TAKE_PTR(c);
        return 0;
}

int nvct_config_load(const char *path, bool must_exist, NvctConfig **ret, char ***ret_warnings, NvctError *err) {
        _cleanup_toml_doc_ TomlDoc *doc = NULL;
        _cleanup_free_ char *text = NULL;
        size_t len;
        NvctError rerr = NVCT_ERROR_INIT;

        int r = read_file_at(AT_FDCWD, path, CONFIG_MAX_SIZE, &text, &len, &rerr);
        if (r == -ENOENT && !must_exist) {
                if (ret_warnings)
                        *ret_warnings = NULL;
                return nvct_config_new_default(ret, err);
        }
        if (r < 0) {
                if (err)
                        *err = rerr;
                return nvct_error_prefix(err, r, "load config");
        }
        r = toml_parse(text, len, path, &doc, err);
        if (r < 0)
                return r;
        return nvct_config_from_doc(doc, ret, ret_warnings, err);
}

int nvct_config_default_path(const char *cli_flag, const char *env_config_file_path, const char *xdg_config_home,
                             char **ret) {
        char *p;

        if (cli_flag && *cli_flag)
                p = strdup(cli_flag);
        else if (env_config_file_path && *env_config_file_path)
                p = strdup(env_config_file_path);
        else {
                const char *root = xdg_config_home && *xdg_config_home ? xdg_config_home : "/etc";
                size_t n = strlen(root);
                while (n > 1 && root[n - 1] == '/')
                        n--;
                if (asprintf(&p, "%.*s/nvidia-container-runtime/config.toml", (int) n, root) < 0)
                        p = NULL;
                else if (streq(root, "/"))
                        memmove(p, p + 1, strlen(p)); /* "//nvidia-…" */
        }
        if (!p)
                return -ENOMEM;
        *ret = p;
        return 0;
}

char *nvct_config_format_default(const char *ldconfig, const char *user) {
        _cleanup_free_ char *ld = toml_format_string(ldconfig);
        _cleanup_free_ char *u = user && *user ? toml_format_string(user) : NULL;
        _cleanup_buf_ Buf b = BUF_INIT;

        if (!ld || (user && *user && !u))
                return NULL;
        buf_printf(&b,
                   "#accept-nvidia-visible-devices-as-volume-mounts = false\n"
                   "#accept-nvidia-visible-devices-envvar-when-unprivileged = true\n"
                   "disable-require = false\n"
                   "supported-driver-capabilities = \"compat32,compute,display,graphics,ngx,utility,video\"\n"
                   "#swarm-resource = \"DOCKER_RESOURCE_GPU\"\n"
                   "\n"
                   "[nvidia-container-cli]\n"
                   "#debug = \"/var/log/nvidia-container-toolkit.log\"\n"
                   "environment = []\n"
                   "#ldcache = \"/etc/ld.so.cache\"\n"
                   "ldconfig = %s\n"
                   "load-kmods = true\n"
                   "#no-cgroups = false\n"
                   "#path = \"/usr/bin/nvidia-container-cli\"\n"
                   "#root = \"/run/nvidia/driver\"\n"
                   "%s%s\n"
                   "\n"
                   "[nvidia-container-runtime]\n"
                   "#debug = \"/var/log/nvidia-container-runtime.log\"\n"
                   "log-level = \"info\"\n"
                   "mode = \"auto\"\n"
                   "runtimes = [\"runc\", \"crun\"]\n"
                   "\n"
                   "[nvidia-container-runtime.modes]\n"
                   "\n"
                   "[nvidia-container-runtime.modes.cdi]\n"
                   "annotation-prefixes = [\"cdi.k8s.io/\"]\n"
                   "default-kind = \"nvidia.com/gpu\"\n"
                   "spec-dirs = [\"/etc/cdi\", \"/var/run/cdi\"]\n"
                   "\n"
                   "[nvidia-container-runtime.modes.csv]\n"
                   "mount-spec-path = \"/etc/nvidia-container-runtime/host-files-for-container.d\"\n"
                   "\n"
                   "[nvidia-container-runtime.modes.legacy]\n"
                   "cuda-compat-mode = \"ldconfig\"\n"
                   "\n"
                   "[nvidia-container-runtime-hook]\n"
                   "path = \"nvidia-container-runtime-hook\"\n"
                   "skip-mode-detection = false\n"
                   "\n"
                   "[nvidia-ctk]\n"
                   "path = \"nvidia-ctk\"\n",
                   ld, u ? "user = " : "#user = \"root:video\"", u ? u : "");
        return buf_steal(&b);
}

int nvct_config_default_text(char **ret) {
        char *t = nvct_config_format_default(host_ldconfig(), host_is_suse() ? "root:video" : NULL);
        if (!t)
                return -ENOMEM;
        *ret = t;
        return 0;
}
