/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The document model shared by the parser (toml.c) and the editor (toml-edit.c). Not for other users. */

#include <stdint.h>

#include "toml.h"

enum {
        TF_ROOT = 1 << 0,
        TF_IMPLICIT = 1 << 1, /* created by a header path ([a.b] creates a), not (yet) defined itself */
        TF_HEADER = 1 << 2,   /* defined by a [header], or an element of [[header]]s */
        TF_DOTTED = 1 << 3,   /* created by a dotted key (a.b = 1 creates a) */
        TF_INLINE = 1 << 4,   /* an inline table value { ... } */
        TF_SEALED = 1 << 5,   /* an inline table or static array, or inside one: closed to headers */
        TF_AOT = 1 << 6,      /* an array of tables */
};

/* One "key = value" of an inline table: from the key's first byte to the value's last. */
typedef struct TomlEntry {
        TomlValue *leaf;
        size_t start, end;
} TomlEntry;

/* A top-level "key = value" statement: the whole lines it occupies, trailing comment included. */
typedef struct TomlStmt {
        TomlValue *leaf;
        TomlValue *section;
        size_t line_start, line_end;
} TomlStmt;

/* A comment alone on its line between statements (never one inside a multi-line array). */
typedef struct TomlComment {
        TomlValue *section;
        size_t line_start, line_end, body; /* body: just after the '#' */
} TomlComment;

struct TomlValue {
        TomlType type;
        unsigned flags;
        unsigned depth;  /* tables made by walks: distance from the root (or from the enclosing inline table) */
        unsigned height; /* parsed values: how deep their own nesting goes */
        TomlValue *parent;
        const char *key; /* this value's key in its parent table (NULL for array elements) */
        size_t start, end; /* the value's text; a section's header line start/end */
        size_t key_at;     /* where its key (last component) is written */

        char *str; /* strings and date-times */
        size_t len;
        int64_t i;
        double f;
        bool b;

        /* tables (keys + items) and arrays (items) */
        char **keys;
        TomlValue **items;
        size_t n, cap;
        uint32_t *index; /* open-addressing hash of keys, once a table grows */
        size_t icap;

        /* sections (root, [header] tables, [[header]] elements) */
        size_t body_start, body_end, region_end;
        /* dotted tables: the section whose statements created them */
        TomlValue *owner;
        /* inline tables */
        TomlEntry *entries;
        size_t n_entries, cap_entries;
};

struct TomlDoc {
        char *text;
        size_t len;
        char *filename;
        TomlValue *root;
        TomlStmt *stmts;
        size_t n_stmts, cap_stmts;
        TomlValue **sections; /* [header] tables and [[header]] elements in text order */
        size_t n_sections, cap_sections;
        TomlComment *comments;
        size_t n_comments, cap_comments;
};

TomlValue *toml_table_find(const TomlValue *t, const char *key);
/* Step into a path component: the last element of an array of tables, else the value itself. */
TomlValue *toml_step(TomlValue *v);
bool toml_key_is_bare(const char *key);
/* Grow *array (of elem_size items) so one more fits. */
int toml_grow(void **array, size_t *cap, size_t n, size_t elem_size);
