/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "config.h"
#include "driver.h"
#include "request.h"

/* config.toml turned into what the hook and the shim act on. */
typedef struct Settings {
        NvctConfig *cfg;
        char *path;            /* the config file read (may not exist: defaults) */
        char **warnings;       /* unknown keys, … */
        NvctRoots roots;
        unsigned supported_caps;
        char **swarm;          /* swarm-resource, split */
        char *ldcache_path;
} Settings;

/*
 * Load config.toml: explicit (the -config flag; must exist), else $NVIDIA_CTK_CONFIG_FILE_PATH passed in by the
 * caller (must exist), else /etc/nvidia-container-runtime/config.toml (defaults when missing).
 */
int settings_load(const char *explicit_path, const char *env_path, Settings *ret, NvctError *err);
void settings_done(Settings *s);
/* The request policy for a mode. */
void settings_policy(const Settings *s, NvctRequestMode mode, NvctRequestPolicy *ret);
