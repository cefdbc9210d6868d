/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "engine.h"
#include "error.h"

/*
 * docker's daemon.json. configure sets runtimes.<name> = {"path": PATH, "args": []}, default-runtime (with
 * set_as_default) and features.cdi = true (with enable_cdi); every other key stays as it was, in its order.
 * The result is printed with a 4-space indent, as NVIDIA's tool writes it, and ends with a newline.
 * Empty text is an empty configuration. Malformed JSON is reported as "<filename>:<line>:<column>: <reason>".
 * *ret is the new text, or a copy of the input when nothing needed to change. undo may be NULL.
 */
int nvct_docker_configure(const char *text, size_t len, const char *filename, const NvctEngineOptions *o,
                          json_t *undo, char **ret, NvctError *err);

/* Undo the journal's edits (see engine.h); *ret_kept counts the keys left alone because they changed since. */
int nvct_docker_revert(const char *text, size_t len, const char *filename, const json_t *undo, char **ret,
                       unsigned *ret_kept, NvctError *err);

/* True when text is an empty JSON object (what revert leaves of a file configure created). */
bool nvct_docker_is_empty(const char *text, size_t len);
