/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "error.h"

/*
 * containerd's config.toml, versions 2 (containerd 1.x, CRI plugin "io.containerd.grpc.v1.cri") and 3
 * (containerd 2.x, "io.containerd.cri.v1.runtime"). A file without a version key is taken as version 2 when it
 * has no plugins yet (and gets "version = 2"); a version 1 config is refused.
 *
 * The runtime entry plugins.<cri>.containerd.runtimes.<name> is a copy of the default runtime's entry (runc
 * unless default_runtime_name says otherwise) with options.BinaryName = PATH, or runtime_type
 * "io.containerd.runc.v2" when there is none to copy. set_as_default sets containerd.default_runtime_name,
 * enable_cdi sets plugins.<cri>.enable_cdi.
 *
 * With o->drop_in, the main config only gets the drop-in path appended to its top-level imports (unless an
 * import already names it or a glob there matches it), and the drop-in holds the edits. containerd 1.x merges
 * an imported file plugin by plugin, replacing the main config's whole CRI table, so the drop-in carries a copy
 * of the main config's CRI table with the edits on top. Without o->drop_in the main config is edited in place.
 *
 * *ret_main: the new main text (the input bytes when unchanged); *ret_drop_in: the drop-in text (NULL without
 * o->drop_in). Malformed TOML is reported as "<filename>:<line>:<column>: <reason>". undo may be NULL.
 */
int nvct_containerd_configure(const char *text, size_t len, const char *filename, const NvctEngineOptions *o,
                              json_t *undo, char **ret_main, char **ret_drop_in, NvctError *err);

/*
 * Revert: undo the journal's edits of the main config (undo may be NULL), and when the drop-in at o->drop_in
 * is ours (drop_in_text, NULL when there is none), drop its import and set *ret_remove_drop_in.
 */
int nvct_containerd_revert(const char *text, size_t len, const char *filename, const char *drop_in_text,
                           const NvctEngineOptions *o, const json_t *undo, char **ret_main, bool *ret_remove_drop_in,
                           unsigned *ret_kept, NvctError *err);
