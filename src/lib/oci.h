/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "plan.h"
#include "request.h"

/* Limits on what the runtime hands us; anything bigger is refused, not truncated. */
#define NVCT_OCI_STATE_MAX (1024U * 1024U)
#define NVCT_OCI_CONFIG_MAX (32U * 1024U * 1024U)

/* The OCI state a hook reads on stdin. */
typedef struct NvctOciState {
        pid_t pid;    /* 0 when absent (poststop) */
        char *id;
        char *bundle; /* "bundle", or the legacy "bundlePath" */
        char *root;   /* crun's extension: the rootfs path */
} NvctOciState;

int nvct_oci_state_parse(const char *json, size_t len, NvctOciState *ret, NvctError *err);
void nvct_oci_state_done(NvctOciState *s);

/* A loaded config.json, edited in place through jansson. */
typedef struct NvctOciSpec {
        json_t *json;
        char *path;
        /* The NvctImage view borrows from these arrays. */
        const char **env;
        size_t *env_lens;
        size_t n_env;
        NvctImageMount *mounts;
        size_t n_mounts;
        NvctImageAnnotation *annotations;
        size_t n_annotations;
        char **bounding_caps;
} NvctOciSpec;

/* Load and check the fields every caller needs: ociVersion, process, root.path. */
int nvct_oci_spec_load(const char *path, NvctOciSpec **ret, NvctError *err);
NvctOciSpec *nvct_oci_spec_free(NvctOciSpec *s);
static inline void nvct_oci_spec_freep(NvctOciSpec **s) {
        nvct_oci_spec_free(*s);
}
#define _cleanup_oci_spec_ _cleanup_(nvct_oci_spec_freep)

/* The image view for the request rules. Valid while spec lives. */
void nvct_oci_spec_image(const NvctOciSpec *spec, NvctImage *ret);
/* root.path, possibly relative to the bundle. */
const char *nvct_oci_spec_root_path(const NvctOciSpec *spec);
/* process.user uid/gid (0 when absent). */
void nvct_oci_spec_user(const NvctOciSpec *spec, uid_t *uid, gid_t *gid);

/* Write back atomically (temp file in the same directory, then rename), keeping the file mode. */
int nvct_oci_spec_save(const NvctOciSpec *spec, NvctError *err);

/* True when a prestart hook whose path basename is one of names is already present. */
bool nvct_oci_has_hook(const NvctOciSpec *spec, const char *stage, const char *const *names);
/* Remove such hooks from a stage; returns the number removed. */
int nvct_oci_remove_hooks(NvctOciSpec *spec, const char *stage, const char *const *names);
/* Append a hook {path, args, env, timeout (0 = none)} to a stage ("prestart", "createContainer", …). */
int nvct_oci_add_hook(NvctOciSpec *spec, const char *stage, const char *path, char *const *args, char *const *env,
                      int timeout, NvctError *err);
/*
 * Put the plan's device nodes into linux.devices (replacing the same path) and allow them in
 * linux.resources.devices, so the runtime owns the cgroup rules (they survive a systemd daemon-reload).
 */
int nvct_oci_add_devices(NvctOciSpec *spec, const NvctPlanDevice *devices, size_t n, NvctError *err);
