/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "driver.h"
#include "error.h"

/*
 * Driver file discovery: libraries (from ld.so.cache), binaries, IPC endpoints, GSP firmware and graphics
 * configs, all resolved inside roots->driver_root (IPC inside roots->ipc_root) with the rootfs resolver. Only
 * regular files reached through the resolver are accepted as sources; symlinks are followed inside the root and
 * the real file is what gets listed.
 *
 * drv->files is appended to in the order `nvidia-container-cli list` prints: binaries, 64-bit libraries in table
 * order, 32-bit libraries (with NVCT_DISCOVER_COMPAT32 in flags), IPC, firmware, then configs and X.Org modules.
 * drv->lib_dirs receives the distinct directories of the accepted 64-bit libraries. On failure drv is unchanged.
 * A missing or malformed ld.so.cache is an error; a library, binary or config that is absent is not.
 */
int nvct_discover_files(const NvctRoots *roots, const char *driver_version, unsigned flags, NvctDriver *drv,
                        NvctError *err);

/* One row of the library tables: a basename prefix and the capabilities that select it. */
typedef struct NvctLibraryRule {
        const char *prefix;   /* e.g. "libcuda.so" */
        unsigned caps;        /* NVCT_CAP_* bits any of which selects it */
} NvctLibraryRule;

/* The library rules in listing order. */
const NvctLibraryRule *nvct_library_rules(size_t *ret_n);

/*
 * The capabilities that select a library by its basename ("libcuda.so.580.159.04" -> compute|video);
 * 0 for anything not in the tables, including the deliberately excluded libraries.
 */
unsigned nvct_library_caps(const char *basename);
/* True for driver libraries NVIDIA deliberately never injects (libnvidia-gtk3, libnvidia-wfb, nvidia_drv, ...). */
bool nvct_library_excluded(const char *basename);
/* The capabilities that select a driver binary by basename ("nvidia-smi" -> utility); 0 if none. */
unsigned nvct_binary_caps(const char *basename);

/* Free the strings of one NvctFile and zero it. */
void nvct_file_done(NvctFile *f);
