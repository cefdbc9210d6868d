/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "caps.h"
#include "error.h"

/*
 * The request: what a container asks for, parsed from its image view under the host's policy. Every NVIDIA_*
 * rule lives here and only here; the CLI, the hook and the runtime shim build a request and never interpret the
 * environment themselves.
 *
 * The image environment is hostile input. Every device token must match a strict grammar:
 *   all | none | void | <index> | GPU-<hex/-> | MIG-<hex/-> | MIG-GPU-<hex/->/<gi>/<ci> | <gpu>:<mig> |
 *   <pci domain:bus:dev.fn> | <vendor>/<class>=<name> (a CDI qualified name)
 * where indices are decimal below 2^31. Tokens are trimmed of surrounding whitespace; anything else (a '/' outside
 * those forms, "..", control characters, inner whitespace, more than NVCT_REQUEST_TOKEN_MAX bytes, more than
 * NVCT_REQUEST_DEVICES_MAX entries, a value over NVCT_REQUEST_VALUE_MAX bytes) is refused with the token quoted:
 *   invalid device "../../dev/sda" in NVIDIA_VISIBLE_DEVICES
 */

#define NVCT_REQUEST_VALUE_MAX (64U * 1024U)
#define NVCT_REQUEST_TOKEN_MAX 256U
#define NVCT_REQUEST_DEVICES_MAX 1024U
#define NVCT_REQUEST_CAPS_MAX 64U

/* Where container devices are requested as /dev/null volume mounts. */
#define NVCT_REQUEST_VOLUME_ROOT "/var/run/nvidia-container-devices"

typedef struct NvctImageMount {
        const char *destination;
        const char *source;
} NvctImageMount;

typedef struct NvctImageAnnotation {
        const char *key;
        const char *value;
} NvctImageAnnotation;

/* The container as the request sees it: borrowed pointers into the caller's parsed config.json. */
typedef struct NvctImage {
        /* process.env, "K=V" in order. The last duplicate wins; entries without '=' are ignored. */
        const char *const *env;
        size_t n_env;
        /*
         * Optional byte lengths of the env entries as decoded from JSON. An entry whose length differs from its
         * strlen() carries an embedded NUL and makes the request fail rather than be silently truncated.
         */
        const size_t *env_lens;
        const NvctImageMount *mounts;
        size_t n_mounts;
        const NvctImageAnnotation *annotations;
        size_t n_annotations;
        bool privileged; /* CAP_SYS_ADMIN in the bounding set: see nvct_caps_list_has_sys_admin() */
} NvctImage;

typedef enum NvctRequestMode {
        NVCT_REQUEST_LEGACY,  /* the prestart hook and configure: device tokens passed to device selection */
        NVCT_REQUEST_CDI,     /* the shim in cdi mode: every device becomes a qualified CDI name */
        NVCT_REQUEST_JIT_CDI, /* the shim in jit-cdi mode: likewise, default kind runtime.nvidia.com/gpu */
} NvctRequestMode;

/* The host's trusted configuration (config.toml) that shapes how an image is read. */
typedef struct NvctRequestPolicy {
        unsigned supported_caps;          /* NvctCaps: supported-driver-capabilities */
        bool accept_envvar_unprivileged;  /* accept-nvidia-visible-devices-envvar-when-unprivileged */
        bool accept_volume_mounts;        /* accept-nvidia-visible-devices-as-volume-mounts */
        char **swarm_resource_envvars;    /* swarm-resource, split; NULL or empty for none */
        bool disable_require;             /* disable-require */
        bool ignore_imex_requests;        /* features.ignore-imex-channel-requests */
        char **annotation_prefixes;       /* modes.cdi.annotation-prefixes; NULL = {"cdi.k8s.io/"}, {} = none */
        const char *default_kind;         /* modes.cdi.default-kind; NULL = the mode's default */
        NvctRequestMode mode;
} NvctRequestPolicy;

#define NVCT_REQUEST_POLICY_DEFAULT                                                                                    \
        { .supported_caps = NVCT_CAP_ALL, .accept_envvar_unprivileged = true, .mode = NVCT_REQUEST_LEGACY }

typedef enum NvctRequestSource {
        NVCT_REQUEST_SOURCE_NONE,
        NVCT_REQUEST_SOURCE_ENV,           /* NVIDIA_VISIBLE_DEVICES, or the legacy-image default */
        NVCT_REQUEST_SOURCE_SWARM,         /* one of the swarm-resource variables */
        NVCT_REQUEST_SOURCE_VOLUME_MOUNTS, /* /dev/null mounts under NVCT_REQUEST_VOLUME_ROOT */
        NVCT_REQUEST_SOURCE_ANNOTATIONS,   /* annotation-prefixes, CDI modes only */
} NvctRequestSource;

typedef struct NvctRequest {
        bool gpu_container; /* false: nothing is asked, the hook does nothing */
        bool all_devices;   /* "all" was asked */
        /*
         * Validated device tokens, deduplicated, in request order; empty (never NULL) for "none" and for "all"
         * in legacy mode. In CDI modes every entry is a qualified name: bare tokens get the default kind, so
         * "all" becomes "<kind>=all".
         */
        char **devices;
        NvctRequestSource source;
        char *source_desc;  /* one phrase for the debug log */
        unsigned caps;      /* NvctCaps, already intersected with the supported set */
        /* One expression per NVIDIA_REQUIRE_* variable (sorted by name), then CUDA_VERSION's for legacy images. */
        char **requires;
        char *mig_config;   /* NVIDIA_MIG_CONFIG_DEVICES as a validated comma list, NULL when unset or empty */
        char *mig_monitor;  /* NVIDIA_MIG_MONITOR_DEVICES, likewise */
        char **imex_channels; /* decimal channel numbers; never NULL */
        char **warnings;    /* requests that were ignored, for the log; never NULL */
} NvctRequest;

/*
 * Build the request. Fails with -EINVAL (message in err) on a hostile or contradictory image: an invalid token,
 * unsupported capabilities, an invalid requirement expression or CUDA_VERSION, MIG config/monitor requests from an
 * unprivileged container, an env entry with an embedded NUL. A container that asks for nothing is a success with
 * gpu_container == false.
 */
int nvct_request_build(const NvctImage *image, const NvctRequestPolicy *policy, NvctRequest **ret, NvctError *err);
NvctRequest *nvct_request_free(NvctRequest *req);
static inline void nvct_request_freep(NvctRequest **r) {
        nvct_request_free(*r);
}
#define _cleanup_request_ _cleanup_(nvct_request_freep)

/* One line for the debug log. Caller frees; NULL on ENOMEM. */
char *nvct_request_describe(const NvctRequest *req);

/* Whether CAP_SYS_ADMIN is in a NULL-terminated list of capability names (process.capabilities.bounding). */
bool nvct_caps_list_has_sys_admin(char *const *names);

/* Go's strconv.ParseBool: true for 1 t T TRUE true True; everything else (including its false forms) false. */
bool nvct_request_parse_bool(const char *s);

/*
 * Whether one trimmed device token matches the grammar above. In the CDI modes a bare token is accepted when it
 * is a valid CDI device name instead, since it gets the default kind prepended (so the legacy MIG-GPU-…/gi/ci
 * form is refused there). Exposed for the CLI's --device and for tests.
 */
bool nvct_request_device_valid(const char *token, NvctRequestMode mode);
