/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "buf.h"
#include "cdi-apply.h"
#include "strv.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

int nvct_cdi_collect_edits(const NvctCdiCache *c, char *const *names, NvctCdiEdits *ret, NvctError *err) {
        _cleanup_buf_ Buf missing = BUF_INIT;
        _cleanup_free_ const NvctCdiSpec **seen = calloc(strv_length(names) + 1, sizeof(NvctCdiSpec *));
        NvctCdiEdits e = { 0 };
        size_t n_seen = 0;
        int r = 0;

        if (!seen)
                return nvct_error_set(err, ENOMEM, "CDI edits");
        for (char *const *n = names; n && *n; n++)
                if (!nvct_cdi_cache_lookup(c, *n))
                        buf_printf(&missing, "%s%s", missing.len ? ", " : "", *n);
        if (missing.len)
                return nvct_error_setx(err, ENOENT, "unresolvable CDI devices %s", missing.data);
        if (missing.oom)
                return nvct_error_set(err, ENOMEM, "CDI edits");
        for (char *const *n = names; r >= 0 && n && *n; n++) {
                const NvctCdiCacheDevice *d = nvct_cdi_cache_lookup(c, *n);
                bool known = false;
                for (size_t i = 0; i < n_seen; i++)
                        known = known || seen[i] == d->spec;
                if (!known) {
                        seen[n_seen++] = d->spec;
                        r = nvct_cdi_edits_append(&e, &d->spec->edits);
                }
                if (r >= 0)
                        r = nvct_cdi_edits_append(&e, &d->device->edits);
        }
        if (r < 0) {
                nvct_cdi_edits_done(&e);
                return nvct_error_set(err, ENOMEM, "CDI edits");
        }
        *ret = e;
        return 0;
}

size_t nvct_cdi_path_depth(const char *path) {
        /* filepath.Clean lexically, then count the separators of the result */
        size_t real = 0, up = 0;
        bool rooted = path[0] == '/';
        for (const char *p = path; *p;) {
                while (*p == '/')
                        p++;
                if (!*p)
                        break;
                size_t len = strcspn(p, "/");
                if (len == 2 && p[0] == '.' && p[1] == '.') {
                        if (real > 0)
                                real--;
                        else if (!rooted)
                                up++;
                } else if (!(len == 1 && p[0] == '.'))
                        real++;
                p += len;
        }
        size_t n = real + up;
        if (rooted)
                return n ? n : 1;
        return n ? n - 1 : 0;
}

static json_t *child(json_t *parent, const char *key, bool array) {
        json_t *c = json_object_get(parent, key);
        if (c && (array ? json_is_array(c) : json_is_object(c)))
                return c;
        c = array ? json_array() : json_object();
        if (!c || json_object_set_new(parent, key, c) < 0)
                return NULL;
        return c;
}

static json_t *strv_json(char *const *l) {
        json_t *a = json_array();
        for (char *const *p = l; a && p && *p; p++)
                if (json_array_append_new(a, json_string(*p)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static int apply_env(json_t *oci, char *const *env) {
        json_t *process = child(oci, "process", false), *arr = process ? child(process, "env", true) : NULL;
        if (!arr)
                return -ENOMEM;
        for (char *const *e = env; e && *e; e++) {
                size_t klen = strcspn(*e, "=");
                ssize_t found = -1;
                /* the generator maps each key to its last index */
                for (size_t i = json_array_size(arr); i-- > 0 && found < 0;) {
                        const char *cur = json_string_value(json_array_get(arr, i));
                        if (cur && strcspn(cur, "=") == klen && strneq(cur, *e, klen))
                                found = (ssize_t) i;
                }
                int r = found >= 0 ? json_array_set_new(arr, (size_t) found, json_string(*e)) :
                                     json_array_append_new(arr, json_string(*e));
                if (r < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* fillMissingInfo: the host node's type, numbers and mode for what the spec left out. */
static int fill_node(const NvctCdiDeviceNode *n, NvctCdiDeviceNode *out, NvctError *err) {
        const char *host = n->host_path && *n->host_path ? n->host_path : n->path;
        const char *type = n->type ? n->type : "";
        bool minimal = *type && (n->major != 0 || streq(type, "p"));
        struct stat st;
        char host_type[2] = { 0 };

        *out = *n;
        if (lstat(host, &st) < 0) {
                if (minimal)
                        return 0;
                return nvct_error_set(err, errno, "failed to inject devices: failed to stat CDI host device \"%s\"",
                                      host);
        }
        if (S_ISBLK(st.st_mode))
                host_type[0] = 'b';
        else if (S_ISCHR(st.st_mode))
                host_type[0] = 'c';
        else if (S_ISFIFO(st.st_mode))
                host_type[0] = 'p';
        else if (minimal)
                return 0;
        else
                return nvct_error_setx(err, EINVAL, "failed to inject devices: CDI device (\"%s\", \"%s\"), not a device node",
                                       n->path, host);
        if (!out->has_file_mode) {
                out->has_file_mode = true;
                out->file_mode = (uint32_t) (st.st_mode & ~S_IFMT);
        }
        if (minimal)
                return 0;
        if (!*type)
                type = host_type;
        else if (!streq(type, host_type))
                return nvct_error_setx(err, EINVAL,
                                       "failed to inject devices: CDI device (\"%s\", \"%s\"), host type mismatch (%s, %s)",
                                       n->path, host, type, host_type);
        out->type = (char *) (streq(type, "b") ? "b" : streq(type, "c") ? "c" : "p");
        if (out->major == 0 && !streq(type, "p")) {
                out->major = major(st.st_rdev);
                out->minor = minor(st.st_rdev);
        }
        return 0;
}

static void user_ids(json_t *oci, json_int_t *uid, json_int_t *gid) {
        json_t *user = json_object_get(json_object_get(oci, "process"), "user");
        *uid = json_integer_value(json_object_get(user, "uid"));
        *gid = json_integer_value(json_object_get(user, "gid"));
}

static int apply_node(json_t *oci, const NvctCdiDeviceNode *n, NvctError *err) {
        NvctCdiDeviceNode f;
        json_int_t uid, gid;
        int r = fill_node(n, &f, err);
        if (r < 0)
                return r;
        json_t *linux_ = child(oci, "linux", false), *devs = linux_ ? child(linux_, "devices", true) : NULL;
        json_t *dev = json_object();
        if (!devs || !dev) {
                json_decref(dev);
                return nvct_error_set(err, ENOMEM, "inject");
        }
        const char *type = f.type ? f.type : "";
        user_ids(oci, &uid, &gid);
        bool oom = json_object_set_new(dev, "path", json_string(f.path)) < 0 ||
                   json_object_set_new(dev, "type", json_string(type)) < 0 ||
                   json_object_set_new(dev, "major", json_integer(f.major)) < 0 ||
                   json_object_set_new(dev, "minor", json_integer(f.minor)) < 0 ||
                   (f.has_file_mode && json_object_set_new(dev, "fileMode", json_integer(f.file_mode)) < 0) ||
                   ((f.has_uid || uid > 0) && json_object_set_new(dev, "uid", json_integer(f.has_uid ? f.uid : uid)) < 0) ||
                   ((f.has_gid || gid > 0) && json_object_set_new(dev, "gid", json_integer(f.has_gid ? f.gid : gid)) < 0);
        if (oom) {
                json_decref(dev);
                return nvct_error_set(err, ENOMEM, "inject");
        }
        for (size_t i = 0; i < json_array_size(devs); i++) {
                const char *p = json_string_value(json_object_get(json_array_get(devs, i), "path"));
                if (p && streq(p, f.path)) {
                        json_array_remove(devs, i);
                        break;
                }
        }
        if (json_array_append_new(devs, dev) < 0)
                return nvct_error_set(err, ENOMEM, "inject");
        if (!streq(type, "b") && !streq(type, "c"))
                return 0;
        json_t *res = child(linux_, "resources", false), *rules = res ? child(res, "devices", true) : NULL;
        json_t *rule = json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type", type, "major", (json_int_t) f.major,
                                 "minor", (json_int_t) f.minor, "access",
                                 n->permissions && *n->permissions ? n->permissions : "rwm");
        if (!rules || !rule || json_array_append_new(rules, rule) < 0)
                return nvct_error_set(err, ENOMEM, "inject");
        return 0;
}

static int apply_mounts(json_t *oci, const NvctCdiEdits *e) {
        json_t *mounts = child(oci, "mounts", true);
        if (!mounts)
                return -ENOMEM;
        for (size_t i = 0; i < e->n_mounts; i++) {
                const NvctCdiMount *m = &e->mounts[i];
                for (size_t k = 0; k < json_array_size(mounts); k++) {
                        const char *d = json_string_value(json_object_get(json_array_get(mounts, k), "destination"));
                        if (d && streq(d, m->container_path)) {
                                json_array_remove(mounts, k);
                                break;
                        }
                }
                json_t *o = json_object();
                if (!o || json_object_set_new(o, "destination", json_string(m->container_path)) < 0 ||
                    (m->type && *m->type && json_object_set_new(o, "type", json_string(m->type)) < 0) ||
                    json_object_set_new(o, "source", json_string(m->host_path)) < 0 ||
                    (strv_length(m->options) && json_object_set_new(o, "options", strv_json(m->options)) < 0) ||
                    json_array_append_new(mounts, o) < 0)
                        return -ENOMEM;
        }
        /* a stable insertion sort by depth: the library's sort.SliceStable */
        size_t n = json_array_size(mounts);
        _cleanup_free_ json_t **items = calloc(n ? n : 1, sizeof(json_t *));
        _cleanup_free_ size_t *depth = calloc(n ? n : 1, sizeof(size_t));
        if (!items || !depth)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                json_t *m = json_incref(json_array_get(mounts, i));
                const char *d = json_string_value(json_object_get(m, "destination"));
                size_t dd = nvct_cdi_path_depth(d ? d : "");
                size_t j = i;
                for (; j > 0 && depth[j - 1] > dd; j--) {
                        items[j] = items[j - 1];
                        depth[j] = depth[j - 1];
                }
                items[j] = m;
                depth[j] = dd;
        }
        json_array_clear(mounts);
        int r = 0;
        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(mounts, items[i]) < 0)
                        r = -ENOMEM;
        return r;
}

static int apply_hooks(json_t *oci, const NvctCdiEdits *e, NvctError *err) {
        static const char *const stages[] = { "prestart",       "createRuntime", "createContainer",
                                              "startContainer", "poststart",     "poststop" };
        for (size_t i = 0; i < e->n_hooks; i++) {
                const NvctCdiHook *h = &e->hooks[i];
                bool known = false;
                for (size_t k = 0; k < ELEMENTSOF(stages); k++)
                        known = known || (h->hook_name && streq(h->hook_name, stages[k]));
                if (!known)
                        return nvct_error_setx(err, EINVAL, "unknown hook name \"%s\"", h->hook_name ? h->hook_name : "");
                json_t *hooks = child(oci, "hooks", false), *stage = hooks ? child(hooks, h->hook_name, true) : NULL;
                json_t *o = json_object();
                if (!stage || !o || json_object_set_new(o, "path", json_string(h->path)) < 0 ||
                    (strv_length(h->args) && json_object_set_new(o, "args", strv_json(h->args)) < 0) ||
                    (strv_length(h->env) && json_object_set_new(o, "env", strv_json(h->env)) < 0) ||
                    (h->has_timeout && json_object_set_new(o, "timeout", json_integer(h->timeout)) < 0) ||
                    json_array_append_new(stage, o) < 0)
                        return nvct_error_set(err, ENOMEM, "inject");
        }
        return 0;
}

static int apply_misc(json_t *oci, const NvctCdiEdits *e) {
        if (e->n_net_devices) {
                json_t *linux_ = child(oci, "linux", false), *nd = linux_ ? child(linux_, "netDevices", false) : NULL;
                if (!nd)
                        return -ENOMEM;
                for (size_t i = 0; i < e->n_net_devices; i++)
                        if (json_object_set_new(nd, e->net_devices[i].host_interface_name,
                                                json_pack("{s:s}", "name", e->net_devices[i].name)) < 0)
                                return -ENOMEM;
        }
        return 0;
}

static int apply_rdt_gids(json_t *oci, const NvctCdiEdits *e) {
        if (e->intel_rdt) {
                const NvctCdiIntelRdt *r = e->intel_rdt;
                json_t *linux_ = child(oci, "linux", false), *o = json_object();
                if (!linux_ || !o || (r->clos_id && json_object_set_new(o, "closID", json_string(r->clos_id)) < 0) ||
                    (r->l3_cache_schema && json_object_set_new(o, "l3CacheSchema", json_string(r->l3_cache_schema)) < 0) ||
                    (r->mem_bw_schema && json_object_set_new(o, "memBwSchema", json_string(r->mem_bw_schema)) < 0) ||
                    (r->has_schemata && json_object_set_new(o, "schemata", strv_json(r->schemata)) < 0) ||
                    (r->enable_monitoring && json_object_set_new(o, "enableMonitoring", json_true()) < 0) ||
                    json_object_set_new(linux_, "intelRdt", o) < 0)
                        return -ENOMEM;
        }
        if (!e->n_additional_gids)
                return 0;
        json_t *process = child(oci, "process", false), *user = process ? child(process, "user", false) : NULL;
        json_t *gids = user ? child(user, "additionalGids", true) : NULL;
        if (!gids)
                return -ENOMEM;
        for (size_t i = 0; i < e->n_additional_gids; i++) {
                uint32_t g = e->additional_gids[i];
                bool present = g == 0;
                for (size_t k = 0; k < json_array_size(gids) && !present; k++)
                        present = json_integer_value(json_array_get(gids, k)) == (json_int_t) g;
                if (!present && json_array_append_new(gids, json_integer(g)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

int nvct_cdi_apply_edits(json_t *oci, const NvctCdiEdits *e, NvctError *err) {
        /* work on a copy so that a failure leaves the document as it was */
        _cleanup_json_ json_t *copy = json_deep_copy(oci);
        int r;

        if (!copy)
                return nvct_error_set(err, ENOMEM, "inject");
        if (strv_length(e->env) && apply_env(copy, e->env) < 0)
                return nvct_error_set(err, ENOMEM, "inject");
        for (size_t i = 0; i < e->n_nodes; i++)
                if ((r = apply_node(copy, &e->nodes[i], err)) < 0)
                        return r;
        if (apply_misc(copy, e) < 0)
                return nvct_error_set(err, ENOMEM, "inject");
        if (e->n_mounts && apply_mounts(copy, e) < 0)
                return nvct_error_set(err, ENOMEM, "inject");
        if ((r = apply_hooks(copy, e, err)) < 0)
                return r;
        if (apply_rdt_gids(copy, e) < 0)
                return nvct_error_set(err, ENOMEM, "inject");
        if (json_object_update(oci, copy) < 0)
                return nvct_error_set(err, ENOMEM, "inject");
        return 0;
}

int nvct_cdi_inject(const NvctCdiCache *c, json_t *oci, char *const *names, NvctError *err) {
        NvctCdiEdits e;
        int r = nvct_cdi_collect_edits(c, names, &e, err);
        if (r < 0)
                return r;
        r = nvct_cdi_apply_edits(oci, &e, err);
        nvct_cdi_edits_done(&e);
        return r;
}
