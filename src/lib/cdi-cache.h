/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cdi-spec.h"
#include "error.h"

/*
 * The CDI registry of spec directories, as the Go library's cache builds it (spec-dirs.go, cache.go):
 *  - each directory's *.json and *.yaml files, in lexical order; subdirectories, other names and missing
 *    directories are skipped; a broken file is skipped with its error recorded, the others still load;
 *  - a device's priority is its directory's index, so a later directory wins;
 *  - the same qualified name twice at equal priority drops the device, and both files get
 *    conflicting device "v/c=x" (specs "p1", "p2").
 */

#define NVCT_CDI_DEFAULT_SPEC_DIRS { (char *) "/etc/cdi", (char *) "/var/run/cdi", NULL }

typedef struct NvctCdiCacheDevice {
        char *name;                /* vendor/class=name */
        NvctCdiSpec *spec;         /* owned by the cache */
        const NvctCdiDevice *device;
} NvctCdiCacheDevice;

typedef struct NvctCdiCache {
        NvctCdiSpec **specs;       /* in load order */
        size_t n_specs;
        NvctCdiCacheDevice *devices; /* resolved, sorted by name */
        size_t n_devices;
        char **errors;             /* one line per problem, each naming its file */
        size_t n_load_errors;      /* how many of errors come from loading (the rest are conflicts) */
} NvctCdiCache;

NvctCdiCache *nvct_cdi_cache_new(void);
NvctCdiCache *nvct_cdi_cache_free(NvctCdiCache *c);
static inline void nvct_cdi_cache_freep(NvctCdiCache **c) {
        nvct_cdi_cache_free(*c);
}
#define _cleanup_cdi_cache_ _cleanup_(nvct_cdi_cache_freep)

/* Load every spec of dirs (NULL: the defaults). Only allocation failures are errors; the rest goes to errors. */
int nvct_cdi_cache_scan(NvctCdiCache *c, char *const *dirs, NvctError *err);
/* Add a spec built in memory (takes ownership, also on failure) and re-resolve. */
int nvct_cdi_cache_add_spec(NvctCdiCache *c, NvctCdiSpec *spec, NvctError *err);
/* Put `spec` in the place of specs[idx] (takes ownership) and re-resolve. */
int nvct_cdi_cache_replace_spec(NvctCdiCache *c, size_t idx, NvctCdiSpec *spec, NvctError *err);
/* The resolved device of a qualified name, or NULL. */
const NvctCdiCacheDevice *nvct_cdi_cache_lookup(const NvctCdiCache *c, const char *name);
/* The index in specs of a spec, or -1. */
ssize_t nvct_cdi_cache_spec_index(const NvctCdiCache *c, const NvctCdiSpec *spec);
