/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "error.h"

/*
 * CRI-O's crio.conf. The runtime entry crio.runtime.runtimes.<name> is a copy of the default runtime's entry
 * from the main config when it has one, with runtime_path = PATH and runtime_type = "oci"; set_as_default sets
 * crio.runtime.default_runtime. CRI-O always has CDI, so enable_cdi changes nothing.
 *
 * With o->drop_in, the main config is left as it is (CRI-O reads every file of crio.conf.d and merges key by
 * key) and the drop-in holds the edits; without it the main config is edited in place. Arguments and results
 * are those of nvct_containerd_configure().
 */
int nvct_crio_configure(const char *text, size_t len, const char *filename, const NvctEngineOptions *o,
                        json_t *undo, char **ret_main, char **ret_drop_in, NvctError *err);

int nvct_crio_revert(const char *text, size_t len, const char *filename, const char *drop_in_text,
                     const json_t *undo, char **ret_main, bool *ret_remove_drop_in, unsigned *ret_kept,
                     NvctError *err);

/* The podman/CRI-O hooks.d file of --config-mode=oci-hook: a prestart hook that always runs hook_path. */
int nvct_crio_oci_hook(const char *hook_path, char **ret, NvctError *err);
