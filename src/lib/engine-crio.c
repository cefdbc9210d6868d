/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine-crio.h"
#include "toml.h"

static int crio_edits(TomlDoc *doc, const TomlDoc *main, const NvctEngineOptions *o, json_t *undo, NvctError *err) {
        const char *const rt[] = { "crio", "runtime", "runtimes", o->runtime_name, NULL };
        _cleanup_free_ char *path = toml_format_string(o->runtime_path), *name = toml_format_string(o->runtime_name);
        const char *def = NULL;
        int r = 0;

        if (!path || !name)
                return nvct_error_set(err, ENOMEM, "%s", toml_doc_filename(doc));
        if (!toml_get(doc, rt) && !toml_get(main, rt) &&
            toml_value_string(toml_get(main, (const char *[]) { "crio", "runtime", "default_runtime", NULL }),
                              &def) >= 0 &&
            !streq(def, o->runtime_name)) {
                r = nvct_toml_copy_table(doc, rt, main,
                                         (const char *[]) { "crio", "runtime", "runtimes", def, NULL }, undo, err);
        }
        if (r >= 0)
                r = nvct_toml_set(doc, (const char *[]) { "crio", "runtime", "runtimes", o->runtime_name,
                                                          "runtime_path", NULL },
                                  path, undo, err);
        if (r >= 0)
                r = nvct_toml_set(doc, (const char *[]) { "crio", "runtime", "runtimes", o->runtime_name,
                                                          "runtime_type", NULL },
                                  "\"oci\"", undo, err);
        if (r >= 0 && o->set_as_default)
                r = nvct_toml_set(doc, (const char *[]) { "crio", "runtime", "default_runtime", NULL }, name, undo,
                                  err);
        return r < 0 ? r : 0;
}

static char *doc_text(const TomlDoc *d) {
        size_t n;
        const char *t = toml_doc_text(d, &n);
        return strndup(t, n);
}

int nvct_crio_configure(const char *text, size_t len, const char *filename, const NvctEngineOptions *o,
                        json_t *undo, char **ret_main, char **ret_drop_in, NvctError *err) {
        _cleanup_toml_doc_ TomlDoc *main = NULL, *drop = NULL;
        _cleanup_free_ char *header = NULL;
        int r;

        r = toml_parse(text, len, filename, &main, err);
        if (r < 0)
                return r;
        if (o->drop_in) {
                if (asprintf(&header,
                             NVCT_ENGINE_MARKER "\n"
                             "# CRI-O reads it after %s; 'nvidia-ctk runtime configure --revert' removes it.\n",
                             filename) < 0)
                        return nvct_error_set(err, ENOMEM, "%s", filename);
                r = toml_parse(header, strlen(header), o->drop_in, &drop, err);
                if (r >= 0)
                        r = crio_edits(drop, main, o, NULL, err);
        } else
                r = crio_edits(main, main, o, undo, err);
        if (r < 0)
                return r;
        _cleanup_free_ char *m = doc_text(main), *d = drop ? doc_text(drop) : NULL;
        if (!m || (drop && !d))
                return nvct_error_set(err, ENOMEM, "%s", filename);
        *ret_main = TAKE_PTR(m);
        *ret_drop_in = TAKE_PTR(d);
        return 0;
}

int nvct_crio_revert(const char *text, size_t len, const char *filename, const char *drop_in_text,
                     const json_t *undo, char **ret_main, bool *ret_remove_drop_in, unsigned *ret_kept,
                     NvctError *err) {
        _cleanup_toml_doc_ TomlDoc *main = NULL;
        unsigned kept = 0;
        int r;

        r = toml_parse(text, len, filename, &main, err);
        if (r < 0)
                return r;
        if (undo && (r = nvct_toml_revert(&main, undo, &kept, err)) < 0)
                return r;
        *ret_remove_drop_in = nvct_engine_is_ours(drop_in_text);
        *ret_main = doc_text(main);
        if (!*ret_main)
                return nvct_error_set(err, ENOMEM, "%s", filename);
        if (ret_kept)
                *ret_kept = kept;
        return 0;
}

int nvct_crio_oci_hook(const char *hook_path, char **ret, NvctError *err) {
        _cleanup_free_ char *dir_copy = strdup(hook_path), *env = NULL;
        if (!dir_copy || asprintf(&env, "PATH=%s:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                                  dirname(dir_copy)) < 0)
                return nvct_error_set(err, ENOMEM, "oci hook");
        json_t *j = json_pack("{s:s, s:{s:s, s:[s, s], s:[s]}, s:{s:b, s:[s]}, s:[s]}", "version", "1.0.0", "hook",
                              "path", hook_path, "args", "nvidia-container-runtime-hook", "prestart", "env", env,
                              "when", "always", 1, "commands", ".*", "stages", "prestart");
        char *s = j ? json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(j);
        if (!s || asprintf(ret, "%s\n", s) < 0) {
                free(s);
                return nvct_error_set(err, ENOMEM, "oci hook");
        }
        free(s);
        return 0;
}
