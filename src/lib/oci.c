/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "oci.h"
#include "strv.h"

static int json_error(NvctError *err, const char *what, const json_error_t *je) {
        /* jansson names its own flag here; a NUL in any string could truncate a path or a request, so say that */
        if (strstr(je->text, "JSON_ALLOW_NUL"))
                return nvct_error_setx(err, EINVAL, "%s:%d:%d: invalid JSON: a string contains a NUL byte (\\u0000)",
                                       what, je->line, je->column);
        return nvct_error_setx(err, EINVAL, "%s:%d:%d: invalid JSON: %s", what, je->line, je->column, je->text);
}

int nvct_oci_state_parse(const char *json, size_t len, NvctOciState *ret, NvctError *err) {
        json_error_t je;
        NvctOciState s = { 0 };

        if (len > NVCT_OCI_STATE_MAX)
                return nvct_error_setx(err, EFBIG, "OCI state: too large (%zu bytes)", len);
        if (len == 0)
                return nvct_error_setx(err, EINVAL, "OCI state: empty input on stdin");
        json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
        if (!root)
                return json_error(err, "OCI state", &je);
        if (!json_is_object(root)) {
                json_decref(root);
                return nvct_error_setx(err, EINVAL, "OCI state: not a JSON object");
        }
        json_t *pid = json_object_get(root, "pid");
        if (pid && (!json_is_integer(pid) || json_integer_value(pid) < 0 || json_integer_value(pid) > 0x3fffffff)) {
                json_decref(root);
                return nvct_error_setx(err, EINVAL, "OCI state: invalid pid");
        }
        s.pid = pid ? (pid_t) json_integer_value(pid) : 0;
        const char *bundle = json_string_value(json_object_get(root, "bundle"));
        if (!bundle)
                bundle = json_string_value(json_object_get(root, "bundlePath"));
        const char *id = json_string_value(json_object_get(root, "id"));
        const char *rootfs = json_string_value(json_object_get(root, "root"));
        s.bundle = bundle ? strdup(bundle) : NULL;
        s.id = id ? strdup(id) : NULL;
        s.root = rootfs ? strdup(rootfs) : NULL;
        json_decref(root);
        if ((bundle && !s.bundle) || (id && !s.id) || (rootfs && !s.root)) {
                nvct_oci_state_done(&s);
                return nvct_error_set(err, ENOMEM, "OCI state");
        }
        *ret = s;
        return 0;
}

void nvct_oci_state_done(NvctOciState *s) {
        free(s->id);
        free(s->bundle);
        free(s->root);
        *s = (NvctOciState) { 0 };
}

NvctOciSpec *nvct_oci_spec_free(NvctOciSpec *s) {
        if (!s)
                return NULL;
        json_decref(s->json);
        free(s->path);
        free(s->env);
        free(s->env_lens);
        free(s->mounts);
        free(s->annotations);
        strv_free(s->bounding_caps);
        free(s);
        return NULL;
}

static int spec_index(NvctOciSpec *s, NvctError *err) {
        json_t *process = json_object_get(s->json, "process");
        json_t *env = json_object_get(process, "env");
        size_t i;
        json_t *v;

        if (env && !json_is_array(env))
                return nvct_error_setx(err, EINVAL, "%s: process.env is not an array", s->path);
        size_t n = json_array_size(env);
        s->env = calloc(n + 1, sizeof(char *));
        s->env_lens = calloc(n + 1, sizeof(size_t));
        if (!s->env || !s->env_lens)
                return nvct_error_set(err, ENOMEM, "%s", s->path);
        json_array_foreach(env, i, v) {
                if (!json_is_string(v))
                        return nvct_error_setx(err, EINVAL, "%s: process.env[%zu] is not a string", s->path, i);
                s->env[s->n_env] = json_string_value(v);
                s->env_lens[s->n_env++] = json_string_length(v);
        }

        json_t *mounts = json_object_get(s->json, "mounts");
        s->mounts = calloc(json_array_size(mounts) + 1, sizeof(*s->mounts));
        if (!s->mounts)
                return nvct_error_set(err, ENOMEM, "%s", s->path);
        json_array_foreach(mounts, i, v) {
                const char *dst = json_string_value(json_object_get(v, "destination"));
                const char *src = json_string_value(json_object_get(v, "source"));
                if (dst)
                        s->mounts[s->n_mounts++] = (NvctImageMount) { .destination = dst, .source = src ? src : "" };
        }

        json_t *ann = json_object_get(s->json, "annotations");
        const char *key;
        s->annotations = calloc(json_object_size(ann) + 1, sizeof(*s->annotations));
        if (!s->annotations)
                return nvct_error_set(err, ENOMEM, "%s", s->path);
        json_object_foreach(ann, key, v)
                if (json_is_string(v))
                        s->annotations[s->n_annotations++] = (NvctImageAnnotation) { key, json_string_value(v) };

        /* Specs of v1.0.0-rc1..rc5 have a flat capability list; later ones an object of sets. */
        json_t *caps = json_object_get(process, "capabilities");
        json_t *bounding = json_is_array(caps) ? caps : json_object_get(caps, "bounding");
        s->bounding_caps = calloc(1, sizeof(char *));
        if (!s->bounding_caps)
                return nvct_error_set(err, ENOMEM, "%s", s->path);
        json_array_foreach(bounding, i, v)
                if (json_is_string(v) && strv_extend(&s->bounding_caps, json_string_value(v)) < 0)
                        return nvct_error_set(err, ENOMEM, "%s", s->path);
        return 0;
}

int nvct_oci_spec_load(const char *path, NvctOciSpec **ret, NvctError *err) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        json_error_t je;
        int r;

        r = read_file_at(AT_FDCWD, path, NVCT_OCI_CONFIG_MAX, &text, &len, err);
        if (r < 0)
                return r;
        NvctOciSpec *s = calloc(1, sizeof(*s));
        if (!s || !(s->path = strdup(path))) {
                free(s);
                return nvct_error_set(err, ENOMEM, "%s", path);
        }
        s->json = json_loadb(text, len, 0, &je);
        if (!s->json) {
                nvct_oci_spec_free(s);
                return json_error(err, path, &je);
        }
        const char *missing = !json_is_object(s->json)                                ? "a JSON object" :
                              !json_is_string(json_object_get(s->json, "ociVersion")) ? "ociVersion" :
                              !json_is_object(json_object_get(s->json, "process"))    ? "process" :
                              !json_is_string(json_object_get(json_object_get(s->json, "root"), "path")) ?
                                                                                        "root.path" :
                                                                                        NULL;
        if (missing) {
                nvct_oci_spec_free(s);
                return nvct_error_setx(err, EINVAL, "%s: invalid OCI spec: missing %s", path, missing);
        }
        r = spec_index(s, err);
        if (r < 0) {
                nvct_oci_spec_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

void nvct_oci_spec_image(const NvctOciSpec *spec, NvctImage *ret) {
        *ret = (NvctImage) {
                .env = spec->env,
                .n_env = spec->n_env,
                .env_lens = spec->env_lens,
                .mounts = spec->mounts,
                .n_mounts = spec->n_mounts,
                .annotations = spec->annotations,
                .n_annotations = spec->n_annotations,
                .privileged = nvct_caps_list_has_sys_admin(spec->bounding_caps),
        };
}

const char *nvct_oci_spec_root_path(const NvctOciSpec *spec) {
        return json_string_value(json_object_get(json_object_get(spec->json, "root"), "path"));
}

void nvct_oci_spec_user(const NvctOciSpec *spec, uid_t *uid, gid_t *gid) {
        json_t *user = json_object_get(json_object_get(spec->json, "process"), "user");
        *uid = (uid_t) json_integer_value(json_object_get(user, "uid"));
        *gid = (gid_t) json_integer_value(json_object_get(user, "gid"));
}

int nvct_oci_spec_save(const NvctOciSpec *spec, NvctError *err) {
        struct stat st;
        mode_t mode = 0644;
        if (stat(spec->path, &st) == 0)
                mode = st.st_mode & 07777;
        _cleanup_free_ char *text = json_dumps(spec->json, JSON_COMPACT);
        if (!text)
                return nvct_error_set(err, ENOMEM, "serialize %s", spec->path);
        size_t len = strlen(text);
        _cleanup_free_ char *with_nl = malloc(len + 2);
        if (!with_nl)
                return nvct_error_set(err, ENOMEM, "serialize %s", spec->path);
        memcpy(with_nl, text, len + 1);
        with_nl[len] = '\n';
        with_nl[len + 1] = '\0';
        return write_file_atomic_volatile(spec->path, with_nl, len + 1, mode, err);
}

static const char *base_name(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

static bool hook_matches(json_t *hook, const char *const *names) {
        const char *path = json_string_value(json_object_get(hook, "path"));
        if (!path)
                return false;
        for (const char *const *n = names; *n; n++)
                if (streq(base_name(path), *n))
                        return true;
        return false;
}

bool nvct_oci_has_hook(const NvctOciSpec *spec, const char *stage, const char *const *names) {
        json_t *hooks = json_object_get(json_object_get(spec->json, "hooks"), stage);
        size_t i;
        json_t *h;
        json_array_foreach(hooks, i, h)
                if (hook_matches(h, names))
                        return true;
        return false;
}

int nvct_oci_remove_hooks(NvctOciSpec *spec, const char *stage, const char *const *names) {
        json_t *hooks = json_object_get(json_object_get(spec->json, "hooks"), stage);
        int removed = 0;
        for (size_t i = json_array_size(hooks); i-- > 0;)
                if (hook_matches(json_array_get(hooks, i), names)) {
                        json_array_remove(hooks, i);
                        removed++;
                }
        return removed;
}

static json_t *strv_to_json(char *const *l) {
        json_t *a = json_array();
        for (char *const *p = l; a && p && *p; p++)
                if (json_array_append_new(a, json_string(*p)) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

/* Get or create an object/array member. */
static json_t *json_child(json_t *parent, const char *key, bool array) {
        json_t *c = json_object_get(parent, key);
        if (c && (array ? json_is_array(c) : json_is_object(c)))
                return c;
        c = array ? json_array() : json_object();
        if (!c || json_object_set_new(parent, key, c) < 0)
                return NULL;
        return c;
}

int nvct_oci_add_hook(NvctOciSpec *spec, const char *stage, const char *path, char *const *args, char *const *env,
                      int timeout, NvctError *err) {
        json_t *hooks = json_child(spec->json, "hooks", false);
        json_t *list = hooks ? json_child(hooks, stage, true) : NULL;
        json_t *h = json_pack("{s:s}", "path", path);
        if (!list || !h)
                goto oom;
        if (args && json_object_set_new(h, "args", strv_to_json(args)) < 0)
                goto oom;
        if (env && json_object_set_new(h, "env", strv_to_json(env)) < 0)
                goto oom;
        if (timeout > 0 && json_object_set_new(h, "timeout", json_integer(timeout)) < 0)
                goto oom;
        if (json_array_append_new(list, h) < 0) {
                h = NULL;
                goto oom;
        }
        return 0;
oom:
        json_decref(h);
        return nvct_error_set(err, ENOMEM, "%s: add %s hook", spec->path, stage);
}

int nvct_oci_add_devices(NvctOciSpec *spec, const NvctPlanDevice *devices, size_t n, NvctError *err) {
        json_t *linux_ = json_child(spec->json, "linux", false);
        json_t *devs = linux_ ? json_child(linux_, "devices", true) : NULL;
        json_t *res = linux_ ? json_child(linux_, "resources", false) : NULL;
        json_t *rules = res ? json_child(res, "devices", true) : NULL;
        if (!rules)
                return nvct_error_set(err, ENOMEM, "%s: linux.devices", spec->path);

        for (size_t k = 0; k < n; k++) {
                const NvctPlanDevice *d = &devices[k];
                char type[2] = { d->type ? d->type : 'c', 0 };
                for (size_t i = json_array_size(devs); i-- > 0;)
                        if (streq(json_string_value(json_object_get(json_array_get(devs, i), "path")) ?: "",
                                  d->container_path))
                                json_array_remove(devs, i);
                json_t *dev = json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I}", "path", d->container_path, "type", type,
                                        "major", (json_int_t) d->major, "minor", (json_int_t) d->minor, "fileMode",
                                        (json_int_t) (d->mode & 0777 ? d->mode & 0777 : 0666), "uid",
                                        (json_int_t) d->uid, "gid", (json_int_t) d->gid);
                json_t *rule = json_pack("{s:b,s:s,s:I,s:I,s:s}", "allow", 1, "type", type, "major",
                                         (json_int_t) d->major, "minor", (json_int_t) d->minor, "access",
                                         d->access[0] ? d->access : "rw");
                if (!dev || !rule || json_array_append_new(devs, dev) < 0 || json_array_append_new(rules, rule) < 0)
                        return nvct_error_set(err, ENOMEM, "%s: linux.devices", spec->path);
        }
        return 0;
}
