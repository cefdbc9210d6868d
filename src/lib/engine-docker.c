/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine-docker.h"
#include "strv.h"

#define DOCKER_MAX_DEPTH 8

static const char *json_type_name(const json_t *j) {
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                return "an object";
        case JSON_ARRAY:
                return "an array";
        case JSON_STRING:
                return "a string";
        case JSON_INTEGER:
        case JSON_REAL:
                return "a number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "a boolean";
        case JSON_NULL:
                break;
        }
        return "null";
}

static int docker_parse(const char *text, size_t len, const char *filename, json_t **ret, NvctError *err) {
        json_error_t jerr;
        json_t *j;

        if (nvct_text_is_blank(text, len)) {
                *ret = json_object();
                return *ret ? 0 : nvct_error_set(err, ENOMEM, "%s", filename);
        }
        j = json_loadb(text, len, 0, &jerr);
        if (!j)
                return nvct_error_setx(err, EBADMSG, "%s:%d:%d: %s", filename, jerr.line, jerr.column, jerr.text);
        if (!json_is_object(j)) {
                int r = nvct_error_setx(err, EBADMSG, "%s: the top level is %s, not a JSON object", filename,
                                        json_type_name(j));
                json_decref(j);
                return r;
        }
        *ret = j;
        return 0;
}

static int docker_dump(json_t *root, const char *filename, char **ret, NvctError *err) {
        _cleanup_free_ char *s = json_dumps(root, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        if (!s || asprintf(ret, "%s\n", s) < 0)
                return nvct_error_set(err, ENOMEM, "%s: encode JSON", filename);
        return 0;
}

static char *dotted(const char *const *path) {
        return strv_join((char *const *) path, ".");
}

/* Set path to value (stolen). Returns 1 when that changed the document, 0 when it already held value. */
static int docker_set(json_t *root, const char *const *path, json_t *value, json_t *undo, const char *filename,
                      NvctError *err) {
        size_t n = strv_length((char *const *) path);
        json_t *obj = root;
        unsigned created = 0;
        int r;

        if (!value)
                return nvct_error_set(err, ENOMEM, "%s", filename);
        for (size_t i = 0; i + 1 < n; i++) {
                json_t *c = json_object_get(obj, path[i]);
                if (!c) {
                        c = json_object();
                        if (!c || json_object_set_new(obj, path[i], c) < 0) {
                                json_decref(value);
                                return nvct_error_set(err, ENOMEM, "%s", filename);
                        }
                        created++;
                } else if (!json_is_object(c)) {
                        _cleanup_free_ char *d = dotted(path);
                        r = nvct_error_setx(err, EINVAL, "%s: cannot set %s: \"%s\" is %s, not an object", filename,
                                            d ?: path[0], path[i], json_type_name(c));
                        json_decref(value);
                        return r;
                }
                obj = c;
        }
        json_t *cur = json_object_get(obj, path[n - 1]);
        if (cur && json_equal(cur, value)) {
                json_decref(value);
                return 0;
        }
        if (undo && nvct_undo_record_set(undo, path, cur ? json_deep_copy(cur) : NULL, json_deep_copy(value),
                                         created, NULL) < 0) {
                json_decref(value);
                return nvct_error_set(err, ENOMEM, "%s: journal the edit", filename);
        }
        if (json_object_set_new(obj, path[n - 1], value) < 0)
                return nvct_error_set(err, ENOMEM, "%s", filename);
        return 1;
}

int nvct_docker_configure(const char *text, size_t len, const char *filename, const NvctEngineOptions *o,
                          json_t *undo, char **ret, NvctError *err) {
        json_t *root = NULL;
        int r, changed = 0;

        r = docker_parse(text, len, filename, &root, err);
        if (r < 0)
                return r;
        r = docker_set(root, (const char *[]) { "runtimes", o->runtime_name, NULL },
                       json_pack("{s:s, s:[]}", "path", o->runtime_path, "args"), undo, filename, err);
        if (r >= 0) {
                changed |= r;
                if (o->set_as_default)
                        r = docker_set(root, (const char *[]) { "default-runtime", NULL },
                                       json_string(o->runtime_name), undo, filename, err);
        }
        if (r >= 0) {
                changed |= r;
                if (o->enable_cdi)
                        r = docker_set(root, (const char *[]) { "features", "cdi", NULL }, json_true(), undo,
                                       filename, err);
        }
        if (r >= 0)
                changed |= r;
        if (r >= 0 && !changed) {
                *ret = strndup(text, len);
                r = *ret ? 0 : nvct_error_set(err, ENOMEM, "%s", filename);
        } else if (r >= 0)
                r = docker_dump(root, filename, ret, err);
        json_decref(root);
        return r;
}

/* Undo one "set"; returns 1 when undone, 0 when the key no longer holds our value. */
static int docker_revert_one(json_t *root, const NvctUndoEdit *e) {
        size_t n = strv_length(e->path);
        json_t *objs[DOCKER_MAX_DEPTH + 1];

        if (n == 0 || n > DOCKER_MAX_DEPTH)
                return 0;
        objs[0] = root;
        for (size_t i = 0; i + 1 < n; i++) {
                objs[i + 1] = json_object_get(objs[i], e->path[i]);
                if (!json_is_object(objs[i + 1]))
                        return 0;
        }
        json_t *obj = objs[n - 1], *cur = json_object_get(obj, e->path[n - 1]);
        if (!cur || !json_equal(cur, e->ours))
                return 0;
        if (e->prior)
                return json_object_set(obj, e->path[n - 1], e->prior) < 0 ? -ENOMEM : 1;
        json_object_del(obj, e->path[n - 1]);
        for (unsigned k = 1; k <= e->parents && k < n; k++) {
                size_t idx = n - k;
                if (json_object_size(objs[idx]) != 0)
                        break;
                json_object_del(objs[idx - 1], e->path[idx - 1]);
        }
        return 1;
}

int nvct_docker_revert(const char *text, size_t len, const char *filename, const json_t *undo, char **ret,
                       unsigned *ret_kept, NvctError *err) {
        json_t *root = NULL;
        unsigned kept = 0;
        int r, undone = 0;

        r = docker_parse(text, len, filename, &root, err);
        if (r < 0)
                return r;
        for (size_t i = nvct_undo_n_edits(undo); r >= 0 && i > 0; i--) {
                NvctUndoEdit e;
                r = nvct_undo_edit_at(undo, i - 1, &e, err);
                if (r < 0)
                        break;
                r = e.append ? 0 : docker_revert_one(root, &e);
                nvct_undo_edit_clear(&e);
                if (r < 0)
                        r = nvct_error_set(err, ENOMEM, "%s", filename);
                else if (r == 0)
                        kept++;
                else
                        undone++;
        }
        if (r >= 0 && undone == 0) {
                *ret = strndup(text, len);
                r = *ret ? 0 : nvct_error_set(err, ENOMEM, "%s", filename);
        } else if (r >= 0)
                r = docker_dump(root, filename, ret, err);
        json_decref(root);
        if (r >= 0 && ret_kept)
                *ret_kept = kept;
        return r;
}

bool nvct_docker_is_empty(const char *text, size_t len) {
        json_t *j = nvct_text_is_blank(text, len) ? NULL : json_loadb(text, len, 0, NULL);
        bool empty = nvct_text_is_blank(text, len) || (json_is_object(j) && json_object_size(j) == 0);
        json_decref(j);
        return empty;
}
