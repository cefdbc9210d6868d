/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "toml.h"

/*
 * What `nvidia-ctk runtime configure` changes in a container engine's configuration, shared by the docker,
 * containerd and CRI-O editors (engine-*.h).
 *
 * Every editor is a pure text transform: configuration text in, new text out, so the same code serves the real
 * write, --dry-run and the golden tests. An editor that changes nothing returns the input bytes unchanged, so a
 * second run is byte-identical.
 *
 * Edits of a file we do not own (daemon.json, the main config.toml or crio.conf) go into an undo journal: per
 * key, the value it had before (or that it was absent), the value we wrote, and how many of its parent tables we
 * created, and, for TOML, the text splice the edit made. --revert restores a key only while it still holds the value we wrote, so a key the user changed
 * since is never touched, and a user key we did not write is never in the journal at all. Drop-in files are
 * ours alone: they start with NVCT_ENGINE_MARKER and revert removes them whole.
 */

#define NVCT_ENGINE_MARKER "# Written by nvct (nvidia-ctk runtime configure)."

typedef struct NvctEngineOptions {
        const char *runtime_name; /* the runtime's name in the engine: "nvidia" */
        const char *runtime_path; /* the binary the engine runs for it */
        bool set_as_default;
        bool enable_cdi;
        const char *drop_in;      /* containerd, CRI-O: the drop-in path as the engine sees it; NULL edits the
                                     main config itself */
} NvctEngineOptions;

/* The undo journal: a JSON object {"nvct-undo": 1, "engine": NAME, "created": BOOL, "edits": [...]}. */
json_t *nvct_undo_new(const char *engine);
/* Parse a journal file's text; a journal of another engine or format version is refused. */
int nvct_undo_parse(const char *text, size_t len, const char *filename, const char *engine, json_t **ret,
                    NvctError *err);
size_t nvct_undo_n_edits(const json_t *undo);

/*
 * Record that the key at path was set to ours (prior NULL: it was absent; parents: how many trailing components
 * of its parent path did not exist; delta, stolen, may be NULL: {"at": OFFSET, "del": OLD, "ins": NEW}, the text
 * splice of the edit, which revert undoes byte for byte while the file still holds NEW at OFFSET). When the journal already has this path, only ours is updated: the prior
 * value stays the one from before the first configure.
 */
int nvct_undo_record_set(json_t *undo, const char *const *path, json_t *prior, json_t *ours, unsigned parents,
                         json_t *delta);
/* Record that element was appended to the string array at path (key_existed: the array was there before). */
int nvct_undo_record_append(json_t *undo, const char *const *path, const char *element, bool key_existed);

typedef struct NvctUndoEdit {
        char **path;
        bool append;
        json_t *prior;    /* set: the value before, NULL when absent (borrowed from the journal) */
        json_t *ours;     /* set: the value written; append: the element, a string (borrowed) */
        unsigned parents; /* set */
        bool has_delta;       /* set: the text splice below is known */
        size_t delta_at;
        const char *delta_del, *delta_ins;
        bool key_existed; /* append */
} NvctUndoEdit;

/* The i-th edit; path is allocated (nvct_undo_edit_clear frees it). A malformed entry is -EBADMSG. */
int nvct_undo_edit_at(const json_t *undo, size_t i, NvctUndoEdit *ret, NvctError *err);
void nvct_undo_edit_clear(NvctUndoEdit *e);

/*
 * TOML helpers for the containerd and CRI-O editors.
 *
 * nvct_toml_value_text: a value as one line of canonical TOML (tables inline), caller frees; NULL on allocation
 * failure or a string holding NUL.
 */
char *nvct_toml_value_text(const TomlValue *v);
static inline bool nvct_toml_is_table(const TomlValue *v) {
        return v && toml_value_type(v) == TOML_TABLE;
}
/* Set path to value_text unless it already holds exactly that; journal the change when undo is not NULL.
 * Returns 1 when the document changed, 0 when not. */
int nvct_toml_set(TomlDoc *doc, const char *const *path, const char *value_text, json_t *undo, NvctError *err);
/*
 * Copy every leaf (non-table value) of the table at src_path of src (which may be doc itself: it is read from a
 * snapshot, as every edit re-parses doc) below dst_path of doc, in order, through nvct_toml_set. Returns 1 when
 * doc changed, 0 when not or when src has no table there.
 */
int nvct_toml_copy_table(TomlDoc *doc, const char *const *dst_path, const TomlDoc *src, const char *const *src_path,
                         json_t *undo, NvctError *err);
/* Undo the journal's edits on doc, last first. Returns the number of edits undone; *ret_kept (optional) gets
 * the number left alone because the key no longer holds our value. */
int nvct_toml_revert(TomlDoc **doc, const json_t *undo, unsigned *ret_kept, NvctError *err);
/* True when text holds nothing but whitespace. */
bool nvct_text_is_blank(const char *text, size_t len);

/*
 * A unified diff (diff -u, 3 lines of context) from a to b, labelled with the two names; "" when they are
 * equal. a or b may be NULL for a missing file (shown as /dev/null). Returns 0 or -ENOMEM.
 */
int nvct_unified_diff(const char *a, const char *b, const char *label_a, const char *label_b, char **ret);

/* True when text is a drop-in nvct wrote (it starts with NVCT_ENGINE_MARKER). */
bool nvct_engine_is_ours(const char *text);
/* Remove every element equal to s from the string array at path; 1 when something was removed. */
int nvct_toml_strv_remove(TomlDoc *doc, const char *const *path, const char *s, NvctError *err);
