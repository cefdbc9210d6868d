/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "toml.h"

/*
 * /etc/nvidia-container-runtime/config.toml: every key NVIDIA's toolkit reads, with its defaults, plus nvct's
 * own [nvct] table (docs/config.md). Strings are never NULL after loading ("" when unset); lists are never NULL
 * (empty when unset).
 */

typedef enum NvctCudaCompatMode {
        NVCT_CUDA_COMPAT_LDCONFIG,
        NVCT_CUDA_COMPAT_MOUNT,
        NVCT_CUDA_COMPAT_DISABLED,
        NVCT_CUDA_COMPAT_HOOK,
} NvctCudaCompatMode;

typedef struct NvctConfig {
        bool accept_nvidia_visible_devices_as_volume_mounts;
        bool accept_nvidia_visible_devices_envvar_when_unprivileged;
        bool disable_require;
        char *supported_driver_capabilities;
        char *swarm_resource;

        struct {
                char *debug;
                char **environment;
                char *ldcache;
                char *ldconfig; /* "@/sbin/ldconfig[.real]": '@' = a host path */
                bool load_kmods;
                bool no_cgroups;
                char *path;
                char *root;
                char *user;
                bool no_pivot;
        } cli;

        struct {
                char *debug;
                char *log_level;
                char *mode;
                char **runtimes;
                struct {
                        char **annotation_prefixes;
                        char *default_kind;
                        char **spec_dirs;
                } cdi;
                struct {
                        char *mount_spec_path;
                        char *compat_container_root;
                } csv;
                struct {
                        char **nvcdi_feature_flags;
                        char **nvcdi_disable_hooks;
                } jit_cdi;
                NvctCudaCompatMode cuda_compat_mode;
        } runtime;

        struct {
                char *path;
                bool skip_mode_detection;
        } hook;

        struct {
                char *path;
        } ctk;

        struct {
                bool allow_cuda_compat_libs_from_container;
                bool allow_ldconfig_from_container;
                bool allow_unknown_oci_spec_fields;
                bool disable_cuda_compat_lib_hook;
                bool disable_imex_channel_creation;
                bool ignore_imex_channel_requests;
                bool no_additional_gids_for_device_nodes;
        } features;

        struct {
                char *dev_root;  /* "": the driver root */
                char *proc_root; /* "": /proc */
                char *sys_root;  /* "": /sys */
                int64_t nvml_timeout_ms;
                char *cuda_version_cache;
                bool legacy_write_devices;
                bool cdi_refresh_on_stale;
        } nvct;
} NvctConfig;

typedef enum NvctConfigKeyType {
        NVCT_CONFIG_BOOL,
        NVCT_CONFIG_STRING,
        NVCT_CONFIG_STRV,
        NVCT_CONFIG_INT,
} NvctConfigKeyType;

/* The built-in defaults (as if the file were empty). */
int nvct_config_new_default(NvctConfig **ret, NvctError *err);
NvctConfig *nvct_config_free(NvctConfig *c);
static inline void nvct_config_freep(NvctConfig **c) {
        nvct_config_free(*c);
}
#define _cleanup_config_ _cleanup_(nvct_config_freep)

/*
 * Load the file at path. A missing file gives the defaults unless must_exist. Unknown keys are not errors: each
 * gives one "<file>:<line>:<col>: unknown key 'a.b'" line in *ret_warnings (may be NULL). A value of the wrong
 * type, an unknown cuda-compat-mode, or a container-relative ldconfig (no '@') without
 * features.allow-ldconfig-from-container fails with "<file>:<line>:<col>: ...".
 */
int nvct_config_load(const char *path, bool must_exist, NvctConfig **ret, char ***ret_warnings, NvctError *err);
/* The same for a parsed document. */
int nvct_config_from_doc(const TomlDoc *doc, NvctConfig **ret, char ***ret_warnings, NvctError *err);

/*
 * The config file path: the -config flag when given (non-empty), else NVIDIA_CTK_CONFIG_FILE_PATH (the caller
 * passes getenv's result), else ${XDG_CONFIG_HOME:-/etc}/nvidia-container-runtime/config.toml (again passed in).
 * The hook passes xdg_config_home = NULL: it ignores its environment except NVIDIA_CTK_CONFIG_FILE_PATH.
 */
int nvct_config_default_path(const char *cli_flag, const char *env_config_file_path, const char *xdg_config_home,
                             char **ret);

/* The type of a known key ({"nvidia-container-cli", "debug", NULL}); -ENOENT for an unknown one. */
int nvct_config_key_type(const char *const *path, NvctConfigKeyType *ret);

/*
 * The text of `nvidia-ctk config default`, in NVIDIA's layout: set keys, then commented-out examples.
 * nvct_config_default_text probes the host ("@/sbin/ldconfig.real" when that exists; user "root:video" on SUSE);
 * nvct_config_format_default takes those two values (user NULL or "" leaves it commented out).
 */
int nvct_config_default_text(char **ret);
char *nvct_config_format_default(const char *ldconfig, const char *user);

const char *nvct_cuda_compat_mode_to_string(NvctCudaCompatMode m);
int nvct_cuda_compat_mode_from_string(const char *s, NvctCudaCompatMode *ret);
