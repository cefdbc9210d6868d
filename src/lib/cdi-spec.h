/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * The Container Device Interface spec model (specs-go, v1.1.0), its strict reader (cdi-read.c), the library's
 * validation rules and messages (cdi-validate.c) and a deterministic writer (cdi-write.c).
 *
 * Optional scalars the Go types hold as pointers carry a has_* flag; strings are NULL when absent. Annotation
 * maps are flat NULL-terminated lists of key, value, key, value … kept in file order.
 */

/* Files at or above this size are refused before parsing. */
#define NVCT_CDI_SPEC_MAX (50U * 1024U * 1024U)

typedef struct NvctCdiDeviceNode {
        char *path;
        char *host_path;   /* NULL: the same as path */
        char *type;        /* "", "b", "c", "u", "p" or NULL (unset) */
        int64_t major;     /* 0: unset (Go omitempty) */
        int64_t minor;
        bool has_file_mode;
        uint32_t file_mode; /* permission bits, decimal in the file */
        char *permissions; /* subset of "rwm"; NULL or "" means rwm */
        bool has_uid, has_gid;
        uint32_t uid, gid;
} NvctCdiDeviceNode;

typedef struct NvctCdiMount {
        char *host_path;
        char *container_path;
        char *type;        /* NULL: unset */
        char **options;
} NvctCdiMount;

typedef struct NvctCdiHook {
        char *hook_name;   /* prestart, createRuntime, createContainer, startContainer, poststart, poststop */
        char *path;
        char **args;       /* args[0] is argv[0] */
        char **env;
        bool has_timeout;
        int64_t timeout;
} NvctCdiHook;

typedef struct NvctCdiIntelRdt {
        char *clos_id;
        char *l3_cache_schema;
        char *mem_bw_schema;
        bool has_schemata;  /* present, even as [] (that alone makes it 1.1.0) */
        char **schemata;
        bool enable_monitoring;
} NvctCdiIntelRdt;

typedef struct NvctCdiNetDevice {
        char *host_interface_name;
        char *name;
} NvctCdiNetDevice;

typedef struct NvctCdiEdits {
        char **env;
        NvctCdiDeviceNode *nodes;
        size_t n_nodes;
        NvctCdiMount *mounts;
        size_t n_mounts;
        NvctCdiHook *hooks;
        size_t n_hooks;
        NvctCdiIntelRdt *intel_rdt;
        uint32_t *additional_gids;
        size_t n_additional_gids;
        NvctCdiNetDevice *net_devices;
        size_t n_net_devices;
} NvctCdiEdits;

typedef struct NvctCdiDevice {
        char *name;
        char **annotations;
        NvctCdiEdits edits;
} NvctCdiDevice;

typedef struct NvctCdiSpec {
        char *version;     /* cdiVersion as written */
        char *kind;        /* vendor/class */
        char **annotations;
        NvctCdiDevice *devices;
        size_t n_devices;
        NvctCdiEdits edits;

        /* Not part of the file: where it came from. */
        char *path;        /* NULL for a spec built in memory */
        int priority;      /* the index of its spec directory */
} NvctCdiSpec;

typedef enum NvctCdiFormat {
        NVCT_CDI_FORMAT_YAML,
        NVCT_CDI_FORMAT_JSON,
} NvctCdiFormat;

NvctCdiSpec *nvct_cdi_spec_new(const char *kind);
NvctCdiSpec *nvct_cdi_spec_free(NvctCdiSpec *s);
static inline void nvct_cdi_spec_freep(NvctCdiSpec **s) {
        nvct_cdi_spec_free(*s);
}
#define _cleanup_cdi_spec_ _cleanup_(nvct_cdi_spec_freep)
void nvct_cdi_edits_done(NvctCdiEdits *e);
bool nvct_cdi_edits_empty(const NvctCdiEdits *e);

/* Builders: each copies its arguments; 0 or -ENOMEM. */
NvctCdiDevice *nvct_cdi_spec_add_device(NvctCdiSpec *s, const char *name);
int nvct_cdi_edits_add_env(NvctCdiEdits *e, const char *kv);
int nvct_cdi_edits_add_node(NvctCdiEdits *e, const char *path, const char *host_path);
int nvct_cdi_edits_add_mount(NvctCdiEdits *e, const char *host_path, const char *container_path,
                             char *const *options);
int nvct_cdi_edits_add_hook(NvctCdiEdits *e, const char *hook_name, const char *path, char *const *args,
                            char *const *env);
int nvct_cdi_edits_add_gid(NvctCdiEdits *e, uint32_t gid);
/* Append copies of everything in src (duplicates included), as the library merges edits. */
int nvct_cdi_edits_append(NvctCdiEdits *dst, const NvctCdiEdits *src);
/* Deep copies. */
int nvct_cdi_edits_copy(const NvctCdiEdits *src, NvctCdiEdits *dst);
NvctCdiSpec *nvct_cdi_spec_copy(const NvctCdiSpec *src);

/* ---- versions (specs-go/version.go) ---- */

/* The highest version whose features the spec uses; "0.3.0" at least. Static string. */
const char *nvct_cdi_minimum_version(const NvctCdiSpec *s);
/* Whether v (one optional leading 'v') is a known version. */
bool nvct_cdi_version_known(const char *v);
/* strcmp-like comparison of two known versions (leading 'v' allowed). */
int nvct_cdi_version_compare(const char *a, const char *b);

/* ---- reading (cdi-read.c) ---- */

/*
 * Parse spec text strictly: YAML (libyaml events turned into a JSON tree) or JSON (jansson), then one decoder
 * that matches keys case-insensitively as Go does and refuses unknown keys with the library's message:
 *   failed to parse CDI Spec "<path>": failed to unmarshal CDI Spec: error unmarshaling JSON: while decoding
 *   JSON: json: unknown field "foo"
 * what names the source in messages (a path, or "-"). The spec is not validated.
 */
int nvct_cdi_spec_parse(const char *data, size_t len, NvctCdiFormat format, const char *what, NvctCdiSpec **ret,
                        NvctError *err);
/* Read (refusing NVCT_CDI_SPEC_MAX bytes and more), parse by extension (.json: JSON, else YAML), validate. */
int nvct_cdi_spec_read(const char *path, int priority, NvctCdiSpec **ret, NvctError *err);
/* Whether a YAML 1.1 parser (yaml.v2) would read s, written as a plain scalar, as a string. */
bool nvct_cdi_yaml_plain_is_string(const char *s);
/* The format a file name implies: .json → JSON, anything else YAML. */
NvctCdiFormat nvct_cdi_format_for_path(const char *path);

/* ---- validation (cdi-validate.c) ---- */

/*
 * The library's checks in its order: version (known, and at least the minimum the content needs), vendor and
 * class, spec edits, each device (name, non-empty edits, edits), duplicates, at least one device. Messages are
 * the library's ("invalid CDI Spec: the spec version must be at least v0.6.0").
 */
int nvct_cdi_spec_validate(const NvctCdiSpec *s, NvctError *err);
int nvct_cdi_edits_validate(const NvctCdiEdits *e, NvctError *err);
/* pkg/parser: vendor, class and device names, with the library's messages. */
int nvct_cdi_validate_vendor(const char *vendor, NvctError *err);
int nvct_cdi_validate_class(const char *class_, NvctError *err);
int nvct_cdi_validate_device_name(const char *name, NvctError *err);
/*
 * Split "vendor/class=name" at the first '=' then the first '/', and validate the parts. ret_* (optional) get
 * copies. Errors: unqualified device "x", missing vendor (or class, device name), or the part's message.
 */
int nvct_cdi_parse_qualified_name(const char *s, char **ret_vendor, char **ret_class, char **ret_name,
                                  NvctError *err);
/* "vendor/class" of a kind; -EINVAL without a '/' or with an empty side. */
int nvct_cdi_parse_kind(const char *kind, char **ret_vendor, char **ret_class);

/* ---- writing (cdi-write.c) ---- */

/*
 * Serialise deterministically: YAML starts with "---", keys sorted as sigs.k8s.io/yaml writes them; JSON keeps
 * the Go struct order, two-space indent. Empty optional fields are omitted. The version written is the spec's.
 */
int nvct_cdi_spec_format(const NvctCdiSpec *s, NvctCdiFormat format, char **ret, size_t *ret_len, NvctError *err);
/* Format and write atomically with mode 0644. */
int nvct_cdi_spec_write(const NvctCdiSpec *s, const char *path, NvctCdiFormat format, NvctError *err);

/*
 * `cdi transform root`: replace the path prefix from (on a component boundary) by to. Host-relative: device
 * hostPaths (an unset hostPath counts as the path), mount hostPaths and hook paths; container-relative: device
 * paths, mount containerPaths and hook arguments (both sides of create-symlinks' target::link). 0 or -ENOMEM.
 */
int nvct_cdi_spec_transform_root(NvctCdiSpec *s, const char *from, const char *to, bool container_paths);
