/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-containerd.h"
#include "strv.h"
#include "toml.h"

#define CRI_V2 "io.containerd.grpc.v1.cri"
#define CRI_V3 "io.containerd.cri.v1.runtime"
#define RUNC_V2 "io.containerd.runc.v2"

static int config_version(const TomlDoc *doc, int64_t *ret, bool *ret_missing, NvctError *err) {
        const TomlValue *v = toml_get(doc, (const char *[]) { "version", NULL });
        int64_t ver;

        *ret_missing = !v;
        if (!v) {
                if (toml_table_get(toml_doc_root(doc), "plugins"))
                        return toml_error_at(doc, toml_table_get(toml_doc_root(doc), "plugins"), err, ENOTSUP,
                                             "a config without 'version' is a version 1 config, which nvct does "
                                             "not edit; convert it with 'containerd config migrate' or add "
                                             "'version = 2'");
                *ret = 2;
                return 0;
        }
        if (toml_value_int(v, &ver) < 0)
                return toml_error_at(doc, v, err, EINVAL, "'version' is %s, not an integer",
                                     toml_type_name(toml_value_type(v)));
        if (ver != 2 && ver != 3)
                return toml_error_at(doc, v, err, ENOTSUP, "config version %lld is not supported (2 or 3 are)",
                                     (long long) ver);
        *ret = ver;
        return 0;
}

static int runtime_edits(TomlDoc *doc, const char *cri, const NvctEngineOptions *o, json_t *undo, NvctError *err) {
        const char *const rt[] = { "plugins", cri, "containerd", "runtimes", o->runtime_name, NULL };
        const char *def = "runc";
        _cleanup_free_ char *path = toml_format_string(o->runtime_path), *name = toml_format_string(o->runtime_name);
        int r = 0;

        if (!path || !name)
                return nvct_error_set(err, ENOMEM, "%s", toml_doc_filename(doc));
        (void) toml_value_string(toml_get(doc, (const char *[]) { "plugins", cri, "containerd",
                                                                  "default_runtime_name", NULL }),
                                 &def);
        if (!toml_get(doc, rt) && !streq(def, o->runtime_name)) {
                r = nvct_toml_copy_table(doc, rt, doc,
                                         (const char *[]) { "plugins", cri, "containerd", "runtimes", def, NULL },
                                         undo, err);
                if (r < 0)
                        return r;
        }
        if (!toml_get(doc, (const char *[]) { "plugins", cri, "containerd", "runtimes", o->runtime_name,
                                              "runtime_type", NULL }))
                r = nvct_toml_set(doc,
                                  (const char *[]) { "plugins", cri, "containerd", "runtimes", o->runtime_name,
                                                     "runtime_type", NULL },
                                  "\"" RUNC_V2 "\"", undo, err);
        if (r >= 0)
                r = nvct_toml_set(doc,
                                  (const char *[]) { "plugins", cri, "containerd", "runtimes", o->runtime_name,
                                                     "options", "BinaryName", NULL },
                                  path, undo, err);
        if (r >= 0 && o->set_as_default)
                r = nvct_toml_set(doc,
                                  (const char *[]) { "plugins", cri, "containerd", "default_runtime_name", NULL },
                                  name, undo, err);
        if (r >= 0 && o->enable_cdi)
                r = nvct_toml_set(doc, (const char *[]) { "plugins", cri, "enable_cdi", NULL }, "true", undo, err);
        return r < 0 ? r : 0;
}

static int add_import(TomlDoc *doc, const char *drop_in, json_t *undo, NvctError *err) {
        const char *const key[] = { "imports", NULL };
        const TomlValue *v = toml_get(doc, key);
        _cleanup_strv_free_ char **l = NULL;

        if (v && toml_value_strv(v, &l) < 0)
                return toml_error_at(doc, v, err, EINVAL, "'imports' is not an array of strings");
        for (size_t i = 0; l && l[i]; i++)
                if (streq(l[i], drop_in) || fnmatch(l[i], drop_in, FNM_PATHNAME) == 0)
                        return 0;
        if (strv_extend(&l, drop_in) < 0)
                return nvct_error_set(err, ENOMEM, "%s", toml_doc_filename(doc));
        int r = toml_set_strv(doc, key, l, err);
        if (r < 0)
                return r;
        if (undo && nvct_undo_record_append(undo, key, drop_in, v != NULL) < 0)
                return nvct_error_set(err, ENOMEM, "%s: journal the edit", toml_doc_filename(doc));
        return 0;
}

static int new_drop_in(const TomlDoc *main, int64_t version, const char *cri, TomlDoc **ret, NvctError *err) {
        _cleanup_free_ char *text = NULL;
        _cleanup_toml_doc_ TomlDoc *d = NULL;
        int r;

        if (asprintf(&text,
                     NVCT_ENGINE_MARKER "\n"
                     "# containerd imports it from %s; 'nvidia-ctk runtime configure --revert' removes it.\n"
                     "# It repeats the main config's CRI plugin table: containerd replaces that table whole.\n"
                     "version = %lld\n",
                     toml_doc_filename(main), (long long) version) < 0)
                return nvct_error_set(err, ENOMEM, "drop-in");
        r = toml_parse(text, strlen(text), "drop-in", &d, err);
        if (r < 0)
                return r;
        r = nvct_toml_copy_table(d, (const char *[]) { "plugins", cri, NULL }, main,
                                 (const char *[]) { "plugins", cri, NULL }, NULL, err);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

static char *doc_text(const TomlDoc *d) {
        size_t n;
        const char *t = toml_doc_text(d, &n);
        return strndup(t, n);
}

int nvct_containerd_configure(const char *text, size_t len, const char *filename, const NvctEngineOptions *o,
                              json_t *undo, char **ret_main, char **ret_drop_in, NvctError *err) {
        _cleanup_toml_doc_ TomlDoc *main = NULL, *drop = NULL;
        int64_t version = 2;
        bool missing = false;
        int r;

        r = toml_parse(text, len, filename, &main, err);
        if (r < 0)
                return r;
        r = config_version(main, &version, &missing, err);
        if (r < 0)
                return r;
        const char *cri = version == 3 ? CRI_V3 : CRI_V2;
        if (missing && (r = nvct_toml_set(main, (const char *[]) { "version", NULL }, "2", undo, err)) < 0)
                return r;
        if (o->drop_in) {
                r = new_drop_in(main, version, cri, &drop, err);
                if (r >= 0)
                        r = runtime_edits(drop, cri, o, NULL, err);
                if (r >= 0)
                        r = add_import(main, o->drop_in, undo, err);
        } else
                r = runtime_edits(main, cri, o, undo, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *m = doc_text(main), *d = drop ? doc_text(drop) : NULL;
        if (!m || (drop && !d))
                return nvct_error_set(err, ENOMEM, "%s", filename);
        *ret_main = TAKE_PTR(m);
        *ret_drop_in = TAKE_PTR(d);
        return 0;
}

int nvct_containerd_revert(const char *text, size_t len, const char *filename, const char *drop_in_text,
                           const NvctEngineOptions *o, const json_t *undo, char **ret_main, bool *ret_remove_drop_in,
                           unsigned *ret_kept, NvctError *err) {
        _cleanup_toml_doc_ TomlDoc *main = NULL;
        unsigned kept = 0;
        int r;

        r = toml_parse(text, len, filename, &main, err);
        if (r < 0)
                return r;
        if (undo && (r = nvct_toml_revert(&main, undo, &kept, err)) < 0)
                return r;
        *ret_remove_drop_in = o->drop_in && nvct_engine_is_ours(drop_in_text);
        /* A dangling import would stop containerd from starting, journal or not. */
        if (*ret_remove_drop_in &&
            (r = nvct_toml_strv_remove(main, (const char *[]) { "imports", NULL }, o->drop_in, err)) < 0)
                return r;
        *ret_main = doc_text(main);
        if (!*ret_main)
                return nvct_error_set(err, ENOMEM, "%s", filename);
        if (ret_kept)
                *ret_kept = kept;
        return 0;
}
