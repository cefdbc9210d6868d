/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cdi-cache.h"
#include "strv.h"

NvctCdiCache *nvct_cdi_cache_new(void) {
        return calloc(1, sizeof(NvctCdiCache));
}

static void clear_devices(NvctCdiCache *c) {
        for (size_t i = 0; i < c->n_devices; i++)
                free(c->devices[i].name);
        free(c->devices);
        c->devices = NULL;
        c->n_devices = 0;
}

NvctCdiCache *nvct_cdi_cache_free(NvctCdiCache *c) {
        if (!c)
                return NULL;
        clear_devices(c);
        for (size_t i = 0; i < c->n_specs; i++)
                nvct_cdi_spec_free(c->specs[i]);
        free(c->specs);
        strv_free(c->errors);
        free(c);
        return NULL;
}

typedef struct Entry {
        char *name;
        NvctCdiSpec *spec;
        const NvctCdiDevice *device;
        size_t order;
} Entry;

static int cmp_entry(const void *a, const void *b) {
        const Entry *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c ? c : (x->order > y->order) - (x->order < y->order);
}

static int record_conflict(NvctCdiCache *c, const char *name, const NvctCdiSpec *a, const NvctCdiSpec *b) {
        const char *pa = a->path ? a->path : "<memory>", *pb = b->path ? b->path : "<memory>";
        /* both files get the line, as the library records it under each path */
        if (strv_extendf(&c->errors, "%s: conflicting device \"%s\" (specs \"%s\", \"%s\")", pa, name, pa, pb) < 0 ||
            strv_extendf(&c->errors, "%s: conflicting device \"%s\" (specs \"%s\", \"%s\")", pb, name, pa, pb) < 0)
                return -ENOMEM;
        return 0;
}

/* Resolve one group of equal names (in load order) as the library's resolveConflict does. */
static int resolve_group(NvctCdiCache *c, Entry *g, size_t n, NvctCdiCacheDevice *out, bool *keep) {
        Entry *cur = &g[0];
        bool conflict = false;
        for (size_t i = 1; i < n; i++) {
                if (g[i].spec->priority > cur->spec->priority)
                        cur = &g[i];
                else if (g[i].spec->priority == cur->spec->priority) {
                        if (record_conflict(c, g[i].name, g[i].spec, cur->spec) < 0)
                                return -ENOMEM;
                        conflict = true;
                }
        }
        *keep = !conflict;
        out->name = cur->name;
        out->spec = cur->spec;
        out->device = cur->device;
        cur->name = NULL;
        return 0;
}

static int refresh(NvctCdiCache *c, NvctError *err) {
        size_t n = 0, k = 0;
        int r = 0;

        clear_devices(c);
        /* conflicts are recomputed from scratch */
        for (size_t i = c->n_load_errors; c->errors && c->errors[i]; i++)
                c->errors[i] = (free(c->errors[i]), NULL);
        for (size_t i = 0; i < c->n_specs; i++)
                n += c->specs[i]->n_devices;
        Entry *e = calloc(n ? n : 1, sizeof(Entry));
        c->devices = calloc(n ? n : 1, sizeof(NvctCdiCacheDevice));
        if (!e || !c->devices) {
                free(e);
                return nvct_error_set(err, ENOMEM, "CDI cache");
        }
        for (size_t i = 0; i < c->n_specs; i++)
                for (size_t j = 0; j < c->specs[i]->n_devices; j++, k++) {
                        e[k] = (Entry) { .spec = c->specs[i], .device = &c->specs[i]->devices[j], .order = k };
                        if (asprintf(&e[k].name, "%s=%s", c->specs[i]->kind, c->specs[i]->devices[j].name) < 0) {
                                e[k].name = NULL;
                                r = -ENOMEM;
                                break;
                        }
                }
        if (r >= 0)
                qsort(e, n, sizeof(Entry), cmp_entry);
        for (size_t i = 0; r >= 0 && i < n;) {
                size_t j = i + 1;
                while (j < n && streq(e[j].name, e[i].name))
                        j++;
                bool keep = false;
                r = resolve_group(c, e + i, j - i, &c->devices[c->n_devices], &keep);
                if (r >= 0 && keep)
                        c->n_devices++;
                else if (r >= 0)
                        free(c->devices[c->n_devices].name);
                i = j;
        }
        for (size_t i = 0; i < n; i++)
                free(e[i].name);
        free(e);
        return r < 0 ? nvct_error_set(err, ENOMEM, "CDI cache") : 0;
}

static int push_spec(NvctCdiCache *c, NvctCdiSpec *spec) {
        // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of spec pointers, so the element is the pointer
        NvctCdiSpec **n = realloc(c->specs, (c->n_specs + 1) * sizeof(*n));
        if (!n) {
                nvct_cdi_spec_free(spec);
                return -ENOMEM;
        }
        c->specs = n;
        c->specs[c->n_specs++] = spec;
        return 0;
}

static bool spec_file_name(const char *name) {
        size_t n = strlen(name);
        return (n > 5 && streq(name + n - 5, ".json")) || (n > 5 && streq(name + n - 5, ".yaml"));
}

static int cmp_name(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int scan_dir(NvctCdiCache *c, const char *dir, int priority, NvctError *err) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        _cleanup_strv_free_ char **names = NULL;
        struct dirent *de;

        if (!d) {
                if (errno == ENOENT || errno == ENOTDIR)
                        return 0;
                if (strv_extendf(&c->errors, "%s: %s", dir, strerror(errno)) < 0)
                        return nvct_error_set(err, ENOMEM, "CDI cache");
                c->n_load_errors++;
                return 0;
        }
        while ((de = readdir(d)))
                if (spec_file_name(de->d_name) && strv_extend(&names, de->d_name) < 0)
                        return nvct_error_set(err, ENOMEM, "CDI cache");
        if (names)
                qsort(names, strv_length(names), sizeof(char *), cmp_name);
        for (char **n = names; n && *n; n++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;
                if (asprintf(&path, "%s/%s", streq(dir, "/") ? "" : dir, *n) < 0)
                        return nvct_error_set(err, ENOMEM, "CDI cache");
                /* the library skips directories, whatever their name */
                if (lstat(path, &st) < 0 || S_ISDIR(st.st_mode))
                        continue;
                NvctCdiSpec *spec = NULL;
                NvctError e = NVCT_ERROR_INIT;
                if (nvct_cdi_spec_read(path, priority, &spec, &e) < 0) {
                        if (e.code == ENOMEM)
                                return nvct_error_set(err, ENOMEM, "CDI cache");
                        if (strv_extend(&c->errors, e.msg) < 0)
                                return nvct_error_set(err, ENOMEM, "CDI cache");
                        c->n_load_errors++;
                        continue;
                }
                if (push_spec(c, spec) < 0)
                        return nvct_error_set(err, ENOMEM, "CDI cache");
        }
        return 0;
}

int nvct_cdi_cache_scan(NvctCdiCache *c, char *const *dirs, NvctError *err) {
        static char *const defaults[] = NVCT_CDI_DEFAULT_SPEC_DIRS;
        if (!dirs)
                dirs = defaults;
        int prio = 0;
        for (char *const *d = dirs; *d; d++, prio++) {
                int r = scan_dir(c, *d, prio, err);
                if (r < 0)
                        return r;
        }
        return refresh(c, err);
}

int nvct_cdi_cache_add_spec(NvctCdiCache *c, NvctCdiSpec *spec, NvctError *err) {
        if (push_spec(c, spec) < 0)
                return nvct_error_set(err, ENOMEM, "CDI cache");
        return refresh(c, err);
}

int nvct_cdi_cache_replace_spec(NvctCdiCache *c, size_t idx, NvctCdiSpec *spec, NvctError *err) {
        if (idx >= c->n_specs) {
                nvct_cdi_spec_free(spec);
                return nvct_error_setx(err, EINVAL, "no CDI spec %zu", idx);
        }
        nvct_cdi_spec_free(c->specs[idx]);
        c->specs[idx] = spec;
        return refresh(c, err);
}

static int cmp_key(const void *key, const void *el) {
        return strcmp(key, ((const NvctCdiCacheDevice *) el)->name);
}

const NvctCdiCacheDevice *nvct_cdi_cache_lookup(const NvctCdiCache *c, const char *name) {
        if (!c->n_devices)
                return NULL;
        return bsearch(name, c->devices, c->n_devices, sizeof(NvctCdiCacheDevice), cmp_key);
}

ssize_t nvct_cdi_cache_spec_index(const NvctCdiCache *c, const NvctCdiSpec *spec) {
        for (size_t i = 0; i < c->n_specs; i++)
                if (c->specs[i] == spec)
                        return (ssize_t) i;
        return -1;
}
