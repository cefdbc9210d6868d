/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <jansson.h>

#include "cdi-cache.h"
#include "cdi-spec.h"
#include "error.h"

/*
 * CDI edits → OCI config.json, exactly as the Go library's InjectDevices and ContainerEdits.Apply do it:
 *  1. every name must resolve, or "unresolvable CDI devices a, b" and nothing changes;
 *  2. edits merge in request order, each spec's top-level edits the first time one of its devices is met;
 *  3. env replaces by key; device nodes are filled in from the host by lstat (type, major, minor, fileMode),
 *     take uid/gid from process.user when unset, replace linux.devices entries of the same path and append a
 *     cgroup allow rule; netDevices; mounts replace the same destination, then all mounts are stably sorted by
 *     path depth; hooks are appended per stage; intelRdt replaces; additionalGids are added without 0 or repeats.
 * On any error the OCI document is left as it was.
 */

/* Step 1 and 2: the merged edits of names (qualified), in the library's order. */
int nvct_cdi_collect_edits(const NvctCdiCache *c, char *const *names, NvctCdiEdits *ret, NvctError *err);
/* Step 3 on an OCI document (the root object of config.json). */
int nvct_cdi_apply_edits(json_t *oci, const NvctCdiEdits *edits, NvctError *err);
/* All three. */
int nvct_cdi_inject(const NvctCdiCache *c, json_t *oci, char *const *names, NvctError *err);

/* The number of '/' in the cleaned path (filepath.Clean), the key mounts are sorted by. */
size_t nvct_cdi_path_depth(const char *path);
