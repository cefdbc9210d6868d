/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cdi-spec.h"
#include "strv.h"

static void node_done(NvctCdiDeviceNode *n) {
        free(n->path);
        free(n->host_path);
        free(n->type);
        free(n->permissions);
}

static void mount_done(NvctCdiMount *m) {
        free(m->host_path);
        free(m->container_path);
        free(m->type);
        strv_free(m->options);
}

static void hook_done(NvctCdiHook *h) {
        free(h->hook_name);
        free(h->path);
        strv_free(h->args);
        strv_free(h->env);
}

static void rdt_free(NvctCdiIntelRdt *r) {
        if (!r)
                return;
        free(r->clos_id);
        free(r->l3_cache_schema);
        free(r->mem_bw_schema);
        strv_free(r->schemata);
        free(r);
}

void nvct_cdi_edits_done(NvctCdiEdits *e) {
        strv_free(e->env);
        for (size_t i = 0; i < e->n_nodes; i++)
                node_done(&e->nodes[i]);
        free(e->nodes);
        for (size_t i = 0; i < e->n_mounts; i++)
                mount_done(&e->mounts[i]);
        free(e->mounts);
        for (size_t i = 0; i < e->n_hooks; i++)
                hook_done(&e->hooks[i]);
        free(e->hooks);
        rdt_free(e->intel_rdt);
        free(e->additional_gids);
        for (size_t i = 0; i < e->n_net_devices; i++) {
                free(e->net_devices[i].host_interface_name);
                free(e->net_devices[i].name);
        }
        free(e->net_devices);
        *e = (NvctCdiEdits) { 0 };
}

/* The library's isEmpty(): an intelRdt object counts even when it is empty. */
bool nvct_cdi_edits_empty(const NvctCdiEdits *e) {
        return strv_length(e->env) == 0 && e->n_nodes == 0 && e->n_mounts == 0 && e->n_hooks == 0 &&
               !e->intel_rdt && e->n_additional_gids == 0 && e->n_net_devices == 0;
}

NvctCdiSpec *nvct_cdi_spec_new(const char *kind) {
        NvctCdiSpec *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        if (kind && !(s->kind = strdup(kind))) {
                free(s);
                return NULL;
        }
        return s;
}

NvctCdiSpec *nvct_cdi_spec_free(NvctCdiSpec *s) {
        if (!s)
                return NULL;
        free(s->version);
        free(s->kind);
        strv_free(s->annotations);
        for (size_t i = 0; i < s->n_devices; i++) {
                free(s->devices[i].name);
                strv_free(s->devices[i].annotations);
                nvct_cdi_edits_done(&s->devices[i].edits);
        }
        free(s->devices);
        nvct_cdi_edits_done(&s->edits);
        free(s->path);
        free(s);
        return NULL;
}

/* Grow an array by one zeroed element; returns it or NULL. */
static void *grow(void **arr, size_t *n, size_t size) {
        void *p = realloc(*arr, (*n + 1) * size);
        if (!p)
                return NULL;
        *arr = p;
        void *el = (char *) p + *n * size;
        memset(el, 0, size);
        (*n)++;
        return el;
}

static char *strdup_or_null(const char *s, bool *oom) {
        if (!s)
                return NULL;
        char *c = strdup(s);
        if (!c)
                *oom = true;
        return c;
}

static char **strv_copy_or_null(char *const *l, bool *oom) {
        if (!l)
                return NULL;
        char **c = strv_copy(l);
        if (!c)
                *oom = true;
        return c;
}

NvctCdiDevice *nvct_cdi_spec_add_device(NvctCdiSpec *s, const char *name) {
        char *copy = strdup(name);
        if (!copy)
                return NULL;
        NvctCdiDevice *d = grow((void **) &s->devices, &s->n_devices, sizeof(*d));
        if (!d) {
                free(copy);
                return NULL;
        }
        d->name = copy;
        return d;
}

int nvct_cdi_edits_add_env(NvctCdiEdits *e, const char *kv) {
        if (!e->env && !(e->env = calloc(1, sizeof(char *))))
                return -ENOMEM;
        return strv_extend(&e->env, kv);
}

int nvct_cdi_edits_add_node(NvctCdiEdits *e, const char *path, const char *host_path) {
        bool oom = false;
        NvctCdiDeviceNode n = { .path = strdup_or_null(path, &oom) };
        if (host_path && !streq(host_path, path))
                n.host_path = strdup_or_null(host_path, &oom);
        NvctCdiDeviceNode *slot = oom ? NULL : grow((void **) &e->nodes, &e->n_nodes, sizeof(n));
        if (!slot) {
                node_done(&n);
                return -ENOMEM;
        }
        *slot = n;
        return 0;
}

int nvct_cdi_edits_add_mount(NvctCdiEdits *e, const char *host_path, const char *container_path,
                             char *const *options) {
        bool oom = false;
        NvctCdiMount m = {
                .host_path = strdup_or_null(host_path, &oom),
                .container_path = strdup_or_null(container_path, &oom),
                .options = strv_copy_or_null(options, &oom),
        };
        NvctCdiMount *slot = oom ? NULL : grow((void **) &e->mounts, &e->n_mounts, sizeof(m));
        if (!slot) {
                mount_done(&m);
                return -ENOMEM;
        }
        *slot = m;
        return 0;
}

int nvct_cdi_edits_add_hook(NvctCdiEdits *e, const char *hook_name, const char *path, char *const *args,
                            char *const *env) {
        bool oom = false;
        NvctCdiHook h = {
                .hook_name = strdup_or_null(hook_name, &oom),
                .path = strdup_or_null(path, &oom),
                .args = strv_copy_or_null(args, &oom),
                .env = strv_copy_or_null(env, &oom),
        };
        NvctCdiHook *slot = oom ? NULL : grow((void **) &e->hooks, &e->n_hooks, sizeof(h));
        if (!slot) {
                hook_done(&h);
                return -ENOMEM;
        }
        *slot = h;
        return 0;
}

int nvct_cdi_edits_add_gid(NvctCdiEdits *e, uint32_t gid) {
        for (size_t i = 0; i < e->n_additional_gids; i++)
                if (e->additional_gids[i] == gid)
                        return 0;
        uint32_t *slot = grow((void **) &e->additional_gids, &e->n_additional_gids, sizeof(gid));
        if (!slot)
                return -ENOMEM;
        *slot = gid;
        return 0;
}

static int copy_node(const NvctCdiDeviceNode *src, NvctCdiDeviceNode *dst) {
        bool oom = false;
        *dst = *src;
        dst->path = strdup_or_null(src->path, &oom);
        dst->host_path = strdup_or_null(src->host_path, &oom);
        dst->type = strdup_or_null(src->type, &oom);
        dst->permissions = strdup_or_null(src->permissions, &oom);
        if (oom) {
                node_done(dst);
                return -ENOMEM;
        }
        return 0;
}

static NvctCdiIntelRdt *copy_rdt(const NvctCdiIntelRdt *src, bool *oom) {
        NvctCdiIntelRdt *r = calloc(1, sizeof(*r));
        if (!r) {
                *oom = true;
                return NULL;
        }
        *r = *src;
        r->clos_id = strdup_or_null(src->clos_id, oom);
        r->l3_cache_schema = strdup_or_null(src->l3_cache_schema, oom);
        r->mem_bw_schema = strdup_or_null(src->mem_bw_schema, oom);
        r->schemata = strv_copy_or_null(src->schemata, oom);
        return r;
}

int nvct_cdi_edits_append(NvctCdiEdits *dst, const NvctCdiEdits *src) {
        bool oom = false;
        for (char *const *e = src->env; e && *e; e++)
                if (nvct_cdi_edits_add_env(dst, *e) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < src->n_nodes; i++) {
                NvctCdiDeviceNode *n = grow((void **) &dst->nodes, &dst->n_nodes, sizeof(*n));
                if (!n || copy_node(&src->nodes[i], n) < 0) {
                        if (n)
                                dst->n_nodes--;
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < src->n_mounts; i++) {
                const NvctCdiMount *m = &src->mounts[i];
                if (nvct_cdi_edits_add_mount(dst, m->host_path, m->container_path, m->options) < 0)
                        return -ENOMEM;
                if (m->type && !(dst->mounts[dst->n_mounts - 1].type = strdup(m->type)))
                        return -ENOMEM;
        }
        for (size_t i = 0; i < src->n_hooks; i++) {
                const NvctCdiHook *h = &src->hooks[i];
                if (nvct_cdi_edits_add_hook(dst, h->hook_name, h->path, h->args, h->env) < 0)
                        return -ENOMEM;
                dst->hooks[dst->n_hooks - 1].has_timeout = h->has_timeout;
                dst->hooks[dst->n_hooks - 1].timeout = h->timeout;
        }
        if (src->intel_rdt) {
                NvctCdiIntelRdt *r = copy_rdt(src->intel_rdt, &oom);
                if (oom) {
                        rdt_free(r);
                        return -ENOMEM;
                }
                rdt_free(dst->intel_rdt);
                dst->intel_rdt = r;
        }
        for (size_t i = 0; i < src->n_additional_gids; i++) {
                uint32_t *g = grow((void **) &dst->additional_gids, &dst->n_additional_gids, sizeof(*g));
                if (!g)
                        return -ENOMEM;
                *g = src->additional_gids[i];
        }
        for (size_t i = 0; i < src->n_net_devices; i++) {
                NvctCdiNetDevice *d = grow((void **) &dst->net_devices, &dst->n_net_devices, sizeof(*d));
                if (!d)
                        return -ENOMEM;
                d->host_interface_name = strdup_or_null(src->net_devices[i].host_interface_name, &oom);
                d->name = strdup_or_null(src->net_devices[i].name, &oom);
                if (oom)
                        return -ENOMEM;
        }
        return 0;
}

int nvct_cdi_edits_copy(const NvctCdiEdits *src, NvctCdiEdits *dst) {
        *dst = (NvctCdiEdits) { 0 };
        int r = nvct_cdi_edits_append(dst, src);
        if (r < 0)
                nvct_cdi_edits_done(dst);
        return r;
}

NvctCdiSpec *nvct_cdi_spec_copy(const NvctCdiSpec *src) {
        bool oom = false;
        NvctCdiSpec *s = nvct_cdi_spec_new(src->kind);
        if (!s)
                return NULL;
        s->version = strdup_or_null(src->version, &oom);
        s->annotations = strv_copy_or_null(src->annotations, &oom);
        s->path = strdup_or_null(src->path, &oom);
        s->priority = src->priority;
        if (oom || nvct_cdi_edits_copy(&src->edits, &s->edits) < 0)
                return nvct_cdi_spec_free(s);
        for (size_t i = 0; i < src->n_devices; i++) {
                NvctCdiDevice *d = nvct_cdi_spec_add_device(s, src->devices[i].name);
                if (!d)
                        return nvct_cdi_spec_free(s);
                d->annotations = strv_copy_or_null(src->devices[i].annotations, &oom);
                if (oom || nvct_cdi_edits_copy(&src->devices[i].edits, &d->edits) < 0)
                        return nvct_cdi_spec_free(s);
        }
        return s;
}

/* ---- versions ---- */

static const char *const known_versions[] = { "0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0",
                                              "0.7.0", "0.8.0", "1.0.0", "1.1.0" };

static int version_index(const char *v) {
        if (!v)
                return -1;
        if (*v == 'v')
                v++;
        for (size_t i = 0; i < ELEMENTSOF(known_versions); i++)
                if (streq(v, known_versions[i]))
                        return (int) i;
        return -1;
}

bool nvct_cdi_version_known(const char *v) {
        return version_index(v) >= 0;
}

int nvct_cdi_version_compare(const char *a, const char *b) {
        return version_index(a) - version_index(b);
}

enum { V030 = 2, V040, V050, V060, V070, V080, V100, V110 };

static int edits_min_version(const NvctCdiEdits *e) {
        int v = V030;
        for (size_t i = 0; i < e->n_mounts; i++)
                if (e->mounts[i].type && *e->mounts[i].type)
                        v = MAX(v, V040);
        for (size_t i = 0; i < e->n_nodes; i++)
                if (e->nodes[i].host_path && *e->nodes[i].host_path)
                        v = MAX(v, V050);
        if (e->intel_rdt || e->n_additional_gids > 0)
                v = MAX(v, V070);
        if ((e->intel_rdt && (e->intel_rdt->has_schemata || e->intel_rdt->enable_monitoring)) || e->n_net_devices)
                v = MAX(v, V110);
        return v;
}

const char *nvct_cdi_minimum_version(const NvctCdiSpec *s) {
        int v = edits_min_version(&s->edits);
        if (strv_length(s->annotations) > 0)
                v = MAX(v, V060);
        const char *slash = s->kind ? strchr(s->kind, '/') : NULL;
        if (slash && strchr(slash + 1, '.'))
                v = MAX(v, V060);
        for (size_t i = 0; i < s->n_devices; i++) {
                const NvctCdiDevice *d = &s->devices[i];
                v = MAX(v, edits_min_version(&d->edits));
                if (strv_length(d->annotations) > 0)
                        v = MAX(v, V060);
                if (d->name && d->name[0] >= '0' && d->name[0] <= '9')
                        v = MAX(v, V050);
        }
        return known_versions[v];
}

/* from/x → to/x on a component boundary; NULL (and *changed false) when p is not below from. */
static int reroot(const char *p, const char *from, const char *to, char **ret) {
        size_t n = strlen(from);
        while (n > 1 && from[n - 1] == '/')
                n--;
        *ret = NULL;
        if (!p || !strneq(p, from, n) || (p[n] != '/' && p[n] != '\0' && !(n == 1 && from[0] == '/')))
                return 0;
        const char *rest = p + n;
        while (*rest == '/')
                rest++;
        size_t tn = strlen(to);
        while (tn > 1 && to[tn - 1] == '/')
                tn--;
        bool to_root = tn == 1 && to[0] == '/';
        if (asprintf(ret, "%.*s%s%s", to_root ? 0 : (int) tn, to, *rest || to_root ? "/" : "", rest) < 0) {
                *ret = NULL;
                return -ENOMEM;
        }
        return 1;
}

static int reroot_in_place(char **field, const char *from, const char *to) {
        char *n = NULL;
        int r = reroot(*field, from, to, &n);
        if (r > 0) {
                free(*field);
                *field = n;
        }
        return r < 0 ? r : 0;
}

static int reroot_arg(char **arg, const char *from, const char *to) {
        const char *sep = strstr(*arg, "::");
        if (!sep)
                return reroot_in_place(arg, from, to);
        _cleanup_free_ char *target = strndup(*arg, (size_t) (sep - *arg)), *link = strdup(sep + 2);
        if (!target || !link || reroot_in_place(&target, from, to) < 0 || reroot_in_place(&link, from, to) < 0)
                return -ENOMEM;
        char *n = NULL;
        if (asprintf(&n, "%s::%s", target, link) < 0)
                return -ENOMEM;
        free(*arg);
        *arg = n;
        return 0;
}

static int transform_edits(NvctCdiEdits *e, const char *from, const char *to, bool container) {
        int r = 0;
        for (size_t i = 0; r >= 0 && i < e->n_nodes; i++) {
                NvctCdiDeviceNode *n = &e->nodes[i];
                if (container) {
                        /* keep the host side where it was before moving the container path */
                        if (!n->host_path && !(n->host_path = strdup(n->path)))
                                return -ENOMEM;
                        r = reroot_in_place(&n->path, from, to);
                } else {
                        char *moved = NULL;
                        r = reroot(n->host_path ? n->host_path : n->path, from, to, &moved);
                        if (r > 0) {
                                free(n->host_path);
                                n->host_path = moved;
                        }
                }
                if (r >= 0 && n->host_path && streq(n->host_path, n->path))
                        n->host_path = (free(n->host_path), NULL);
        }
        for (size_t i = 0; r >= 0 && i < e->n_mounts; i++)
                r = reroot_in_place(container ? &e->mounts[i].container_path : &e->mounts[i].host_path, from, to);
        for (size_t i = 0; r >= 0 && i < e->n_hooks; i++) {
                if (!container) {
                        r = reroot_in_place(&e->hooks[i].path, from, to);
                        continue;
                }
                for (char **a = e->hooks[i].args; r >= 0 && a && *a; a++)
                        if (a != e->hooks[i].args)
                                r = reroot_arg(a, from, to);
        }
        return r < 0 ? r : 0;
}

int nvct_cdi_spec_transform_root(NvctCdiSpec *s, const char *from, const char *to, bool container_paths) {
        int r = transform_edits(&s->edits, from, to, container_paths);
        for (size_t i = 0; r >= 0 && i < s->n_devices; i++)
                r = transform_edits(&s->devices[i].edits, from, to, container_paths);
        return r;
}
