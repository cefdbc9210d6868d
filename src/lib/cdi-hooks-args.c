/* SPDX-License-Identifier: Apache-2.0 */
/* Option parsing for the CDI hooks, in the manner of urfave/cli (which NVIDIA's hooks use). */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cdi-hooks.h"
#include "strv.h"

typedef enum OptType {
        OPT_STRING,
        OPT_LIST,
        OPT_BOOL,
} OptType;

typedef struct HookOpt {
        const char *name;
        OptType type;
        size_t offset;
} HookOpt;

#define OPT(n, t, field) { n, t, offsetof(NvctHookArgs, field) }
#define OPT_END { NULL, 0, 0 }

static const HookOpt common_opts[] = { OPT("container-spec", OPT_STRING, container_spec), OPT_END };
static const HookOpt symlink_opts[] = { OPT("link", OPT_LIST, link), OPT_END };
static const HookOpt ldcache_opts[] = {
        OPT("folder", OPT_LIST, folder),
        OPT("ldconfig-path", OPT_STRING, ldconfig_path),
        OPT_END,
};
static const HookOpt compat_opts[] = {
        OPT("host-driver-version", OPT_STRING, host_driver_version),
        OPT("host-cuda-version", OPT_STRING, host_cuda_version),
        OPT("cuda-compat-container-root", OPT_STRING, cuda_compat_container_root),
        OPT_END,
};
static const HookOpt params_opts[] = { OPT("host-proc-root", OPT_STRING, host_proc_root), OPT_END };
static const HookOpt chmod_opts[] = {
        OPT("mode", OPT_STRING, mode),
        OPT("path", OPT_LIST, path),
        OPT("enable-deprecated", OPT_BOOL, enable_deprecated),
        OPT_END,
};
static const HookOpt no_opts[] = { OPT_END };

static const struct {
        const char *name;
        const HookOpt *opts;
} kinds[_NVCT_HOOK_MAX] = {
        [NVCT_HOOK_CREATE_SYMLINKS] = { "create-symlinks", symlink_opts },
        [NVCT_HOOK_UPDATE_LDCACHE] = { "update-ldcache", ldcache_opts },
        [NVCT_HOOK_ENABLE_CUDA_COMPAT] = { "enable-cuda-compat", compat_opts },
        [NVCT_HOOK_DISABLE_DEVICE_NODE_MODIFICATION] = { "disable-device-node-modification", params_opts },
        [NVCT_HOOK_UPDATE_APPLICATION_PROFILE] = { "update-application-profile", no_opts },
        [NVCT_HOOK_CHMOD] = { "chmod", chmod_opts },
        [NVCT_HOOK_NOOP] = { "noop", no_opts },
};

NvctHookKind nvct_hook_kind_from_name(const char *name) {
        for (int k = 0; name && k < _NVCT_HOOK_MAX; k++)
                if (streq(kinds[k].name, name))
                        return (NvctHookKind) k;
        return NVCT_HOOK_UNKNOWN;
}

const char *nvct_hook_kind_name(NvctHookKind k) {
        return k >= 0 && k < _NVCT_HOOK_MAX ? kinds[k].name : NULL;
}

static const HookOpt *find_opt(NvctHookKind kind, const char *name, size_t len) {
        const HookOpt *tables[] = { kinds[kind].opts, common_opts };
        for (size_t t = 0; t < ELEMENTSOF(tables); t++)
                for (const HookOpt *o = tables[t]; o->name; o++)
                        if (strlen(o->name) == len && strneq(o->name, name, len))
                                return o;
        return NULL;
}

static int set_opt(const HookOpt *o, const char *value, NvctHookArgs *a, NvctError *err) {
        void *field = (char *) a + o->offset;

        switch (o->type) {
        case OPT_BOOL:
                if (!value || streq(value, "true") || streq(value, "1"))
                        *(bool *) field = true;
                else if (streq(value, "false") || streq(value, "0"))
                        *(bool *) field = false;
                else
                        return nvct_error_setx(err, EINVAL, "invalid value \"%s\" for --%s", value, o->name);
                return 0;
        case OPT_STRING: {
                char *v = strdup(value);
                if (!v)
                        return nvct_error_set(err, ENOMEM, "--%s", o->name);
                free(*(char **) field);
                *(char **) field = v;
                return 0;
        }
        case OPT_LIST: {
                /* urfave/cli string slices: repeatable, and each value is itself a comma list */
                _cleanup_strv_free_ char **parts = NULL;
                char ***list = field;
                if (strv_split(value, ",", true, &parts) < 0)
                        return nvct_error_set(err, ENOMEM, "--%s", o->name);
                for (char **p = parts; p && *p; p++)
                        if (strv_extend(list, *p) < 0)
                                return nvct_error_set(err, ENOMEM, "--%s", o->name);
                return 0;
        }
        }
        return nvct_error_setx(err, EINVAL, "--%s", o->name);
}

static void add_warning(char ***warnings, const char *what, const char *s, size_t len) {
        if (warnings)
                (void) strv_extendf(warnings, "ignoring %s \"%.*s\"", what, (int) MIN(len, 256u), s);
}

int nvct_hook_args_parse(NvctHookKind kind, int argc, char *const *argv, NvctHookArgs *ret, char ***ret_warnings,
                         NvctError *err) {
        NvctHookArgs a = { 0 };
        bool flags_done = false;
        int r = 0;

        if (kind < 0 || kind >= _NVCT_HOOK_MAX)
                return nvct_error_setx(err, EINVAL, "unknown hook");
        for (int i = 1; i < argc && r >= 0; i++) {
                const char *arg = argv[i];
                if (flags_done || arg[0] != '-' || streq(arg, "-")) {
                        add_warning(ret_warnings, "argument", arg, strlen(arg));
                        continue;
                }
                if (streq(arg, "--")) {
                        flags_done = true;
                        continue;
                }
                const char *name = arg + (arg[1] == '-' ? 2 : 1), *eq = strchr(name, '=');
                size_t len = eq ? (size_t) (eq - name) : strlen(name);
                if ((len == 4 && strneq(name, "help", 4)) || (len == 1 && name[0] == 'h')) {
                        a.help = true;
                        continue;
                }
                const HookOpt *o = find_opt(kind, name, len);
                if (!o) {
                        add_warning(ret_warnings, "unknown option", arg, strlen(arg));
                        /* a value that follows belongs to the unknown option, not to us */
                        if (!eq && i + 1 < argc && argv[i + 1][0] != '-')
                                i++;
                        continue;
                }
                const char *value = eq ? eq + 1 : NULL;
                if (!value && o->type != OPT_BOOL) {
                        if (i + 1 >= argc) {
                                r = nvct_error_setx(err, EINVAL, "option --%s needs a value", o->name);
                                break;
                        }
                        value = argv[++i];
                }
                r = set_opt(o, value, &a, err);
        }
        if (r < 0) {
                nvct_hook_args_done(&a);
                return r;
        }
        *ret = a;
        return 0;
}

void nvct_hook_args_done(NvctHookArgs *a) {
        strv_free(a->link);
        strv_free(a->folder);
        strv_free(a->path);
        free(a->ldconfig_path);
        free(a->host_driver_version);
        free(a->host_cuda_version);
        free(a->cuda_compat_container_root);
        free(a->mode);
        free(a->container_spec);
        free(a->host_proc_root);
        *a = (NvctHookArgs) { 0 };
}
