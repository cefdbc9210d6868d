/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "settings.h"
#include "strv.h"

static const char *nonempty(const char *s, const char *fallback) {
        return s && *s ? s : fallback;
}

int settings_load(const char *explicit_path, const char *env_path, Settings *ret, NvctError *err) {
        Settings s = { 0 };
        bool must_exist = (explicit_path && *explicit_path) || (env_path && *env_path);
        int r;

        /* XDG_CONFIG_HOME is deliberately not consulted: the hook inherits the engine's environment, and only
         * NVIDIA_CTK_CONFIG_FILE_PATH may choose the config there, as NVIDIA's hook does. */
        r = nvct_config_default_path(explicit_path, env_path, NULL, &s.path);
        if (r < 0)
                return nvct_error_set(err, r, "config path");
        r = nvct_config_load(s.path, must_exist, &s.cfg, &s.warnings, err);
        if (r < 0) {
                settings_done(&s);
                return r;
        }
        const NvctConfig *c = s.cfg;
        const char *root = nonempty(c->cli.root, "/");
        s.roots = (NvctRoots) {
                .driver_root = root,
                .dev_root = nonempty(c->nvct.dev_root, root),
                .proc_root = nonempty(c->nvct.proc_root, "/proc"),
                .sys_root = nonempty(c->nvct.sys_root, "/sys"),
                .ldcache = nonempty(c->cli.ldcache, "/etc/ld.so.cache"),
                .ipc_root = root,
        };
        r = nvct_caps_parse(nonempty(c->supported_driver_capabilities, "all"), &s.supported_caps, err);
        if (r < 0) {
                nvct_error_prefix(err, r, "%s: supported-driver-capabilities", s.path);
                settings_done(&s);
                return r;
        }
        if (c->swarm_resource && *c->swarm_resource &&
            (r = strv_split(c->swarm_resource, ",", true, &s.swarm)) < 0) {
                settings_done(&s);
                return nvct_error_set(err, r, "swarm-resource");
        }
        *ret = s;
        return 0;
}

void settings_done(Settings *s) {
        nvct_config_free(s->cfg);
        free(s->path);
        strv_free(s->warnings);
        strv_free(s->swarm);
        free(s->ldcache_path);
        *s = (Settings) { 0 };
}

void settings_policy(const Settings *s, NvctRequestMode mode, NvctRequestPolicy *ret) {
        const NvctConfig *c = s->cfg;
        *ret = (NvctRequestPolicy) {
                .supported_caps = s->supported_caps,
                .accept_envvar_unprivileged = c->accept_nvidia_visible_devices_envvar_when_unprivileged,
                .accept_volume_mounts = c->accept_nvidia_visible_devices_as_volume_mounts,
                .swarm_resource_envvars = s->swarm,
                .disable_require = c->disable_require,
                .ignore_imex_requests = c->features.ignore_imex_channel_requests,
                .annotation_prefixes = c->runtime.cdi.annotation_prefixes,
                .default_kind = mode == NVCT_REQUEST_CDI ? c->runtime.cdi.default_kind : NULL,
                .mode = mode,
        };
}
