/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "caps.h"
#include "plan.h"
#include "strv.h"

NvctPlan *nvct_plan_new(void) {
        return calloc(1, sizeof(NvctPlan));
}

NvctPlan *nvct_plan_free(NvctPlan *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_mounts; i++) {
                free(p->mounts[i].host_path);
                free(p->mounts[i].container_path);
        }
        free(p->mounts);
        for (size_t i = 0; i < p->n_devices; i++) {
                free(p->devices[i].host_path);
                free(p->devices[i].container_path);
        }
        free(p->devices);
        for (size_t i = 0; i < p->n_symlinks; i++) {
                free(p->symlinks[i].link_path);
                free(p->symlinks[i].target);
        }
        free(p->symlinks);
        for (size_t i = 0; i < p->n_proc_files; i++) {
                free(p->proc_files[i].name);
                free(p->proc_files[i].content);
        }
        free(p->proc_files);
        strv_free(p->ldconfig_dirs);
        strv_free(p->env);
        free(p->libs_dir);
        free(p->libs32_dir);
        free(p->bins_dir);
        free(p->compat_dir);
        free(p->driver_version);
        free(p);
        return NULL;
}

/* Grow an array by one element; returns the new slot zeroed, or NULL. */
static void *array_push(void **array, size_t *n, size_t size) {
        void *a = realloc(*array, (*n + 1) * size);
        if (!a)
                return NULL;
        *array = a;
        void *slot = (char *) a + *n * size;
        memset(slot, 0, size);
        (*n)++;
        return slot;
}

int nvct_plan_add_mount(NvctPlan *p, NvctMountKind kind, const char *host, const char *container, unsigned flags) {
        /* The same destination twice would stack mounts; the first one wins, as in the image. */
        for (size_t i = 0; i < p->n_mounts; i++)
                if (streq(p->mounts[i].container_path, container))
                        return 0;
        _cleanup_free_ char *h = strdup(host), *c = strdup(container);
        if (!h || !c)
                return -ENOMEM;
        NvctPlanMount *m = array_push((void **) &p->mounts, &p->n_mounts, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->kind = kind;
        m->host_path = TAKE_PTR(h);
        m->container_path = TAKE_PTR(c);
        m->flags = flags;
        return 0;
}

int nvct_plan_add_device(NvctPlan *p, const NvctPlanDevice *d) {
        for (size_t i = 0; i < p->n_devices; i++)
                if (streq(p->devices[i].container_path, d->container_path))
                        return 0;
        _cleanup_free_ char *h = strdup(d->host_path ? d->host_path : d->container_path);
        _cleanup_free_ char *c = strdup(d->container_path);
        if (!h || !c)
                return -ENOMEM;
        NvctPlanDevice *n = array_push((void **) &p->devices, &p->n_devices, sizeof(*n));
        if (!n)
                return -ENOMEM;
        *n = *d;
        n->host_path = TAKE_PTR(h);
        n->container_path = TAKE_PTR(c);
        if (!n->type)
                n->type = 'c';
        if (!n->access[0])
                strcpy(n->access, "rw");
        return 0;
}

int nvct_plan_add_symlink(NvctPlan *p, const char *link_path, const char *target) {
        for (size_t i = 0; i < p->n_symlinks; i++)
                if (streq(p->symlinks[i].link_path, link_path))
                        return 0;
        _cleanup_free_ char *l = strdup(link_path), *t = strdup(target);
        if (!l || !t)
                return -ENOMEM;
        NvctPlanSymlink *s = array_push((void **) &p->symlinks, &p->n_symlinks, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->link_path = TAKE_PTR(l);
        s->target = TAKE_PTR(t);
        return 0;
}

int nvct_plan_add_proc_file(NvctPlan *p, const char *name, const char *content, size_t len) {
        _cleanup_free_ char *n = strdup(name), *c = malloc(len + 1);
        if (!n || !c)
                return -ENOMEM;
        memcpy(c, content, len);
        c[len] = '\0';
        NvctPlanProcFile *f = array_push((void **) &p->proc_files, &p->n_proc_files, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->name = TAKE_PTR(n);
        f->content = TAKE_PTR(c);
        f->len = len;
        return 0;
}
