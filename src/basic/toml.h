/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * A TOML 1.0 parser and a text-preserving editor.
 *
 * A TomlDoc owns its source text and a tree parsed from it. Every value remembers where it came from, so an edit
 * is a splice of the source text (replace a value, insert a key line, append a table, delete lines) followed by
 * a full re-parse: comments, blank lines and key order survive, and an edit that would produce invalid TOML is
 * refused instead of written. Errors name the position: "config.toml:12:7: expected '=' after key".
 *
 * Paths are NULL-terminated arrays of keys, e.g.
 *   (const char *[]) { "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "nvidia", NULL }.
 * A path component that names an array of tables refers to its last element, as a [header] would.
 */

#define TOML_MAX_INPUT (4u * 1024u * 1024u)
#define TOML_MAX_DEPTH 128u

typedef enum TomlType {
        TOML_STRING,
        TOML_INTEGER,
        TOML_FLOAT,
        TOML_BOOL,
        TOML_DATETIME, /* offset/local date-time, local date or local time, kept as its source text */
        TOML_ARRAY,
        TOML_TABLE,
} TomlType;

typedef struct TomlValue TomlValue;
typedef struct TomlDoc TomlDoc;

/* Parse text (len bytes, need not be NUL-terminated). filename is only used in messages. */
int toml_parse(const char *text, size_t len, const char *filename, TomlDoc **ret, NvctError *err);
/* Read and parse a file (at most TOML_MAX_INPUT bytes). A missing file fails with -ENOENT. */
int toml_parse_file(const char *path, TomlDoc **ret, NvctError *err);
TomlDoc *toml_doc_free(TomlDoc *doc);
static inline void toml_doc_freep(TomlDoc **d) {
        toml_doc_free(*d);
}
#define _cleanup_toml_doc_ _cleanup_(toml_doc_freep)

/* The current source text (NUL-terminated; edits change it). */
const char *toml_doc_text(const TomlDoc *doc, size_t *ret_len);
const char *toml_doc_filename(const TomlDoc *doc);
const TomlValue *toml_doc_root(const TomlDoc *doc);

/* Navigation. Lookups return NULL when absent. */
TomlType toml_value_type(const TomlValue *v);
const char *toml_type_name(TomlType t);
const TomlValue *toml_table_get(const TomlValue *table, const char *key);
const TomlValue *toml_get(const TomlDoc *doc, const char *const *path);
size_t toml_table_size(const TomlValue *table);
const char *toml_table_key_at(const TomlValue *table, size_t i);
const TomlValue *toml_table_value_at(const TomlValue *table, size_t i);
size_t toml_array_size(const TomlValue *array);
const TomlValue *toml_array_at(const TomlValue *array, size_t i);
/* True for an array defined with [[header]]s. */
bool toml_array_is_tables(const TomlValue *array);

/*
 * Typed getters: -EMEDIUMTYPE when v has another type (v may be NULL: -ENOENT). Strings are borrowed from the
 * document; toml_value_string refuses strings holding a NUL character (-EINVAL), toml_value_string_len does not.
 */
int toml_value_string(const TomlValue *v, const char **ret);
int toml_value_string_len(const TomlValue *v, const char **ret, size_t *ret_len);
int toml_value_int(const TomlValue *v, int64_t *ret);
int toml_value_float(const TomlValue *v, double *ret); /* integers convert */
int toml_value_bool(const TomlValue *v, bool *ret);
int toml_value_datetime(const TomlValue *v, const char **ret);
/* An array whose elements are all strings, copied. */
int toml_value_strv(const TomlValue *v, char ***ret);

/*
 * 1-based line and column (in characters) where v starts: a value's first character, a [header]'s line, or for
 * a table only implied by other keys the key that implied it first. toml_key_position gives v's key instead.
 */
void toml_value_position(const TomlDoc *doc, const TomlValue *v, unsigned *ret_line, unsigned *ret_col);
void toml_key_position(const TomlDoc *doc, const TomlValue *v, unsigned *ret_line, unsigned *ret_col);
/* Record "<file>:<line>:<col>: <message>" for v and return -|r|. */
int toml_error_at(const TomlDoc *doc, const TomlValue *v, NvctError *err, int r, const char *fmt, ...)
        _printf_(5, 6);
/* The dotted path of v from the root ("a.b.\"c.d\""), or NULL on allocation failure. Caller frees. */
char *toml_value_path(const TomlValue *v);

/* Parse a dotted key as TOML writes it (a.b."c.d".'e') into its components. */
int toml_path_parse(const char *dotted, char ***ret, NvctError *err);

/*
 * Canonical serialisation of new values (caller frees): basic strings with escapes, decimal integers, floats
 * that always re-read as floats, true/false, and one-line arrays ["a", "b"].
 */
char *toml_format_string(const char *s);
char *toml_format_key(const char *key); /* bare when it can be, quoted otherwise */
char *toml_format_strv(char *const *l);
char *toml_format_int(int64_t i);
char *toml_format_float(double d);
char *toml_format_bool(bool b);

/*
 * Set the value at path to value_text, one TOML value on one line (it is validated). An existing value's text
 * is replaced in place. A new key goes into its table after the table's last key line, replacing a commented-out
 * "#key = ..." line of that table when there is one; a key of an inline table is added inside the braces; a key
 * whose table does not exist gets a new [table] appended at the end. Setting a value where a [table] or an array
 * of tables stands fails with -EISDIR; a path through a value that is not a table fails with -ENOTDIR.
 */
int toml_set(TomlDoc *doc, const char *const *path, const char *value_text, NvctError *err);
int toml_set_string(TomlDoc *doc, const char *const *path, const char *s, NvctError *err);
int toml_set_bool(TomlDoc *doc, const char *const *path, bool b, NvctError *err);
int toml_set_int(TomlDoc *doc, const char *const *path, int64_t i, NvctError *err);
int toml_set_strv(TomlDoc *doc, const char *const *path, char *const *l, NvctError *err);

/*
 * Remove the key at path and everything below it: its key lines, the [headers] and bodies of its tables, or its
 * entry of an inline table. Returns 1 when something was removed, 0 when the path does not exist.
 */
int toml_remove(TomlDoc *doc, const char *const *path, NvctError *err);
