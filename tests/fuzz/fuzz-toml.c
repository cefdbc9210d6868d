/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parse arbitrary input; when it parses, edit it (replace, add, create a table, remove) along paths taken from
 * the document itself and check that every successful edit leaves a document that re-parses and holds the value
 * that was set.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "toml.h"

/* The path to the n-th value in a depth-first walk, through the last element of arrays of tables. */
static bool pick_path(const TomlValue *t, unsigned *n, char ***path) {
        for (size_t i = 0; i < toml_table_size(t); i++) {
                const TomlValue *v = toml_table_value_at(t, i);
                if (strv_extend(path, toml_table_key_at(t, i)) < 0)
                        abort();
                if ((*n)-- == 0)
                        return true;
                if (toml_array_is_tables(v) && toml_array_size(v) > 0)
                        v = toml_array_at(v, toml_array_size(v) - 1);
                if (toml_value_type(v) == TOML_TABLE && pick_path(v, n, path))
                        return true;
                size_t len = strv_length(*path);
                free((*path)[len - 1]);
                (*path)[len - 1] = NULL;
        }
        return false;
}

static void check_reparse(TomlDoc *d) {
        NvctError err = NVCT_ERROR_INIT;
        TomlDoc *again = NULL;
        size_t len;
        const char *text = toml_doc_text(d, &len);
        if (toml_parse(text, len, "again", &again, &err) < 0) {
                fprintf(stderr, "edited document does not re-parse: %s\n%s\n", err.msg, text);
                abort();
        }
        toml_doc_free(again);
}

/* The editor must never build text that fails to parse: that error means a bug, not bad input. */
static void check_edit_error(int r, const NvctError *err) {
        static const char prefix[] = "editing fuzz.toml would produce invalid TOML";
        if (r < 0 && strneq(err->msg, prefix, sizeof(prefix) - 1)) {
                fprintf(stderr, "edit produced invalid TOML: %s\n", err->msg);
                abort();
        }
}

static void edit_once(TomlDoc *d, uint8_t op, unsigned which) {
        NvctError err = NVCT_ERROR_INIT;
        char **path = NULL;
        unsigned n = which;
        static const char *const values[] = { "1", "\"s\"", "[1, \"x\"]", "{ a = 1 }", "true", "1979-05-27" };

        if (!pick_path(toml_doc_root(d), &n, &path))
                strv_free(path), path = NULL;
        if (op % 4 == 2 || op % 4 == 3)
                if (strv_extend(&path, op % 4 == 2 ? "new-key" : "new table") < 0 ||
                    (op % 4 == 3 && strv_extend(&path, "k") < 0))
                        abort();
        if (!path)
                return;
        const char *const *p = (const char *const *) path;
        if (op % 4 == 1) {
                int r = toml_remove(d, p, &err);
                check_edit_error(r, &err);
                if (r > 0 && toml_get(d, p)) {
                        fprintf(stderr, "removed key is still there\n");
                        abort();
                }
        } else {
                const char *val = values[(op / 4) % ELEMENTSOF(values)];
                int r = toml_set(d, p, val, &err);
                check_edit_error(r, &err);
                if (r >= 0 && !toml_get(d, p)) {
                        fprintf(stderr, "set key is missing\n%s\n", toml_doc_text(d, NULL));
                        abort();
                }
        }
        check_reparse(d);
        strv_free(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NvctError err = NVCT_ERROR_INIT;
        TomlDoc *d = NULL;
        size_t k = size > 4 ? 4 : size;

        /* The first bytes choose the edits; the rest is the document. */
        if (toml_parse((const char *) data + k, size - k, "fuzz.toml", &d, &err) < 0)
                return 0;
        for (size_t i = 0; i < k; i++)
                edit_once(d, data[i], data[i] >> 3);
        toml_doc_free(d);
        return 0;
}
