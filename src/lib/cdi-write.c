/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Deterministic CDI spec output. The spec is turned into a JSON tree in the Go struct order; JSON is dumped from
 * it as is, YAML is emitted from it with sorted keys, which is what nvidia-ctk's sigs.k8s.io/yaml output looks
 * like. Strings a YAML 1.1 reader would take for something else ("0", "yes", "1.5") are double-quoted.
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "cdi-spec.h"
#include "fileio.h"
#include "strv.h"

#define _cleanup_json_ _cleanup_(json_decrefp)

/* Each setter takes ownership of v; a NULL v (allocation failure) is remembered in *oom. */
static void set(json_t *o, const char *k, json_t *v, bool *oom) {
        if (!v || json_object_set_new(o, k, v) < 0)
                *oom = true;
}

static void set_str(json_t *o, const char *k, const char *v, bool *oom) {
        if (v && *v)
                set(o, k, json_string(v), oom);
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

static void set_strv(json_t *o, const char *k, char *const *l, bool *oom) {
        if (strv_length(l) > 0)
                set(o, k, strv_json(l), oom);
}

static void set_map(json_t *o, const char *k, char *const *kv, bool *oom) {
        if (strv_length(kv) < 2)
                return;
        json_t *m = json_object();
        for (char *const *p = kv; m && p[0] && p[1]; p += 2)
                set(m, p[0], json_string(p[1]), oom);
        set(o, k, m, oom);
}

static json_t *node_json(const NvctCdiDeviceNode *n, bool *oom) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        set_str(o, "path", n->path, oom);
        set_str(o, "hostPath", n->host_path, oom);
        set_str(o, "type", n->type, oom);
        if (n->major)
                set(o, "major", json_integer(n->major), oom);
        if (n->minor)
                set(o, "minor", json_integer(n->minor), oom);
        if (n->has_file_mode)
                set(o, "fileMode", json_integer(n->file_mode), oom);
        set_str(o, "permissions", n->permissions, oom);
        if (n->has_uid)
                set(o, "uid", json_integer(n->uid), oom);
        if (n->has_gid)
                set(o, "gid", json_integer(n->gid), oom);
        return o;
}

static json_t *hook_json(const NvctCdiHook *h, bool *oom) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        set_str(o, "hookName", h->hook_name, oom);
        set_str(o, "path", h->path, oom);
        set_strv(o, "args", h->args, oom);
        set_strv(o, "env", h->env, oom);
        if (h->has_timeout)
                set(o, "timeout", json_integer(h->timeout), oom);
        return o;
}

static json_t *mount_json(const NvctCdiMount *m, bool *oom) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        set_str(o, "hostPath", m->host_path, oom);
        set_str(o, "containerPath", m->container_path, oom);
        set_strv(o, "options", m->options, oom);
        set_str(o, "type", m->type, oom);
        return o;
}

static json_t *rdt_json(const NvctCdiIntelRdt *r, bool *oom) {
        json_t *o = json_object();
        if (!o)
                return NULL;
        set_str(o, "closID", r->clos_id, oom);
        set_str(o, "l3CacheSchema", r->l3_cache_schema, oom);
        set_str(o, "memBwSchema", r->mem_bw_schema, oom);
        if (r->has_schemata)
                set(o, "schemata", strv_json(r->schemata), oom);
        if (r->enable_monitoring)
                set(o, "enableMonitoring", json_true(), oom);
        return o;
}

static json_t *edits_json(const NvctCdiEdits *e, bool *oom) {
        json_t *o = json_object(), *a;
        if (!o)
                return NULL;
        set_strv(o, "env", e->env, oom);
        if (e->n_nodes) {
                set(o, "deviceNodes", a = json_array(), oom);
                for (size_t i = 0; a && i < e->n_nodes; i++)
                        if (json_array_append_new(a, node_json(&e->nodes[i], oom)) < 0)
                                *oom = true;
        }
        if (e->n_hooks) {
                set(o, "hooks", a = json_array(), oom);
                for (size_t i = 0; a && i < e->n_hooks; i++)
                        if (json_array_append_new(a, hook_json(&e->hooks[i], oom)) < 0)
                                *oom = true;
        }
        if (e->n_mounts) {
                set(o, "mounts", a = json_array(), oom);
                for (size_t i = 0; a && i < e->n_mounts; i++)
                        if (json_array_append_new(a, mount_json(&e->mounts[i], oom)) < 0)
                                *oom = true;
        }
        if (e->intel_rdt)
                set(o, "intelRdt", rdt_json(e->intel_rdt, oom), oom);
        if (e->n_additional_gids) {
                set(o, "additionalGids", a = json_array(), oom);
                for (size_t i = 0; a && i < e->n_additional_gids; i++)
                        if (json_array_append_new(a, json_integer(e->additional_gids[i])) < 0)
                                *oom = true;
        }
        if (e->n_net_devices) {
                set(o, "netDevices", a = json_array(), oom);
                for (size_t i = 0; a && i < e->n_net_devices; i++) {
                        json_t *nd = json_object();
                        if (nd) {
                                set_str(nd, "hostInterfaceName", e->net_devices[i].host_interface_name, oom);
                                set_str(nd, "name", e->net_devices[i].name, oom);
                        }
                        if (json_array_append_new(a, nd) < 0)
                                *oom = true;
                }
        }
        return o;
}

static json_t *spec_json(const NvctCdiSpec *s, bool *oom) {
        json_t *o = json_object(), *devs;
        if (!o)
                return NULL;
        set(o, "cdiVersion", json_string(s->version ? s->version : nvct_cdi_minimum_version(s)), oom);
        set(o, "kind", json_string(s->kind ? s->kind : ""), oom);
        set_map(o, "annotations", s->annotations, oom);
        set(o, "devices", devs = json_array(), oom);
        for (size_t i = 0; devs && i < s->n_devices; i++) {
                const NvctCdiDevice *d = &s->devices[i];
                json_t *dj = json_object();
                if (dj) {
                        set(dj, "name", json_string(d->name ? d->name : ""), oom);
                        set_map(dj, "annotations", d->annotations, oom);
                        set(dj, "containerEdits", edits_json(&d->edits, oom), oom);
                }
                if (json_array_append_new(devs, dj) < 0)
                        *oom = true;
        }
        if (!nvct_cdi_edits_empty(&s->edits))
                set(o, "containerEdits", edits_json(&s->edits, oom), oom);
        return o;
}

/* ---------------------------------------------------------------- YAML emission */

static int yaml_write(void *data, unsigned char *buffer, size_t size) {
        return buf_append(data, (const char *) buffer, size) >= 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static bool needs_quotes(const char *s) {
        /* a leading digit covers "0:1" and other forms some YAML 1.1 readers take for sexagesimal numbers */
        return (s[0] >= '0' && s[0] <= '9') || !nvct_cdi_yaml_plain_is_string(s);
}

static int emit_scalar(yaml_emitter_t *em, const char *text, bool is_string) {
        yaml_event_t ev;
        yaml_scalar_style_t style = is_string && needs_quotes(text) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
                                                                      YAML_ANY_SCALAR_STYLE;
        if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *) text, (int) strlen(text), 1, 1, style))
                return -ENOMEM;
        return yaml_emitter_emit(em, &ev) ? 0 : -EIO;
}

static int emit_value(yaml_emitter_t *em, json_t *v) {
        yaml_event_t ev;
        char num[32];
        switch (json_typeof(v)) {
        case JSON_OBJECT: {
                size_t n = json_object_size(v), i = 0;
                const char *k;
                json_t *child;
                _cleanup_free_ const char **keys = calloc(n ? n : 1, sizeof(char *));
                if (!keys)
                        return -ENOMEM;
                json_object_foreach(v, k, child) keys[i++] = k;
                qsort(keys, n, sizeof(char *), cmp_str);
                if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
                    !yaml_emitter_emit(em, &ev))
                        return -EIO;
                for (i = 0; i < n; i++) {
                        int r = emit_scalar(em, keys[i], true);
                        if (r >= 0)
                                r = emit_value(em, json_object_get(v, keys[i]));
                        if (r < 0)
                                return r;
                }
                if (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
                        return -EIO;
                return 0;
        }
        case JSON_ARRAY: {
                size_t i;
                json_t *child;
                if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
                    !yaml_emitter_emit(em, &ev))
                        return -EIO;
                json_array_foreach(v, i, child) {
                        int r = emit_value(em, child);
                        if (r < 0)
                                return r;
                }
                if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
                        return -EIO;
                return 0;
        }
        case JSON_STRING:
                return emit_scalar(em, json_string_value(v), true);
        case JSON_INTEGER:
                snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                return emit_scalar(em, num, false);
        case JSON_TRUE:
                return emit_scalar(em, "true", false);
        case JSON_FALSE:
                return emit_scalar(em, "false", false);
        case JSON_REAL:
        case JSON_NULL:
                break;
        }
        return emit_scalar(em, "null", false);
}

static int emit_yaml(json_t *root, Buf *out) {
        yaml_emitter_t em;
        yaml_event_t ev;
        int r = -EIO;

        if (!yaml_emitter_initialize(&em))
                return -ENOMEM;
        yaml_emitter_set_output(&em, yaml_write, out);
        yaml_emitter_set_unicode(&em, 1);
        yaml_emitter_set_width(&em, -1);
        yaml_emitter_set_indent(&em, 2);
        if (yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) && yaml_emitter_emit(&em, &ev) &&
            yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0) && yaml_emitter_emit(&em, &ev)) {
                r = emit_value(&em, root);
                if (r >= 0 && !(yaml_document_end_event_initialize(&ev, 1) && yaml_emitter_emit(&em, &ev) &&
                                yaml_stream_end_event_initialize(&ev) && yaml_emitter_emit(&em, &ev) &&
                                yaml_emitter_flush(&em)))
                        r = -EIO;
        }
        yaml_emitter_delete(&em);
        if (r >= 0 && out->oom)
                r = -ENOMEM;
        return r;
}

int nvct_cdi_spec_format(const NvctCdiSpec *s, NvctCdiFormat format, char **ret, size_t *ret_len, NvctError *err) {
        bool oom = false;
        _cleanup_json_ json_t *root = spec_json(s, &oom);
        if (!root || oom)
                return nvct_error_set(err, ENOMEM, "format CDI spec");
        if (format == NVCT_CDI_FORMAT_JSON) {
                char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                if (!text)
                        return nvct_error_set(err, ENOMEM, "format CDI spec");
                size_t n = strlen(text);
                char *t = realloc(text, n + 2);
                if (!t) {
                        free(text);
                        return nvct_error_set(err, ENOMEM, "format CDI spec");
                }
                t[n] = '\n';
                t[n + 1] = '\0';
                *ret = t;
                if (ret_len)
                        *ret_len = n + 1;
                return 0;
        }
        _cleanup_buf_ Buf b = BUF_INIT;
        int r = emit_yaml(root, &b);
        if (r < 0)
                return nvct_error_set(err, r, "format CDI spec as YAML");
        size_t n = b.len;
        *ret = buf_steal(&b);
        if (!*ret)
                return nvct_error_set(err, ENOMEM, "format CDI spec");
        if (ret_len)
                *ret_len = n;
        return 0;
}

int nvct_cdi_spec_write(const NvctCdiSpec *s, const char *path, NvctCdiFormat format, NvctError *err) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = nvct_cdi_spec_format(s, format, &text, &len, err);
        if (r < 0)
                return r;
        return write_file_atomic(path, text, len, 0644, err);
}
