/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "driver.h"

/*
 * NVML, behind a process boundary. libnvidia-ml.so.1 is third-party code that is slow to initialise and must not
 * run with our privileges, so it is only ever loaded in a short-lived helper ("nvct:[nvml]"): forked, never
 * exec'd, with an empty environment, no stray fds, the NVML identity from the options, no capabilities and
 * no_new_privs. The helper answers with one fixed-size record over a pipe and exits; the parent enforces a
 * timeout, always reaps it, and validates the record before trusting any of it.
 *
 * Callers set opts->nvml_uid/nvml_gid to (uid_t)-1/(gid_t)-1 to keep the current identity; any other value is
 * switched to (and fails without the privilege to do so). opts may be NULL: current identity, 10 s timeout.
 */

#define NVCT_NVML_MAX_GPUS 64          /* what one answer can carry; more is an error, never a silent cut */
#define NVCT_NVML_MAX_MIGS 8           /* MIG devices per GPU (hardware allows 7) */
#define NVCT_NVML_DEFAULT_TIMEOUT_MS 10000
/* An hour: past it a hung NVML is not worth waiting for, and the value still fits every timer. */
#define NVCT_NVML_MAX_TIMEOUT_MS 3600000u
#define NVCT_CUDA_CACHE_DIR "/run/nvct"

/*
 * Locate libnvidia-ml.so.1 (drv->files, then drv->lib_dirs, then the standard library directories, all inside
 * roots->driver_root), run the helper and merge its answer into drv: GPUs are matched by PCI bus id, then UUID,
 * then minor; index becomes the NVML enumeration order; brand, arch, memory, MIG state and MIG devices are
 * filled; GPUs procfs did not list are appended. Sets drv->cuda_version and drv->nvml_used.
 */
int nvct_nvml_fill(const NvctRoots *roots, const NvctDiscoverOptions *opts, NvctDriver *drv, NvctError *err);

/*
 * The CUDA driver version without NVML when possible. <cache_dir>/cuda-version (cache_dir NULL: /run/nvct)
 * is keyed on drv->version, the identity of the NVML library file (device, inode, size, mtime) and the boot id.
 * Returns 1 on a hit (only drv->cuda_version is set), 0 after a miss (nvct_nvml_fill ran and the cache was
 * rewritten atomically when possible; a cache that cannot be written is not an error).
 */
int nvct_cuda_version_cached(const NvctRoots *roots, const NvctDiscoverOptions *opts, NvctDriver *drv,
                             const char *cache_dir, NvctError *err);

/* "Nvidia", "Tesla", … for an nvmlBrandType_t value; "Unknown" for anything outside the table. */
const char *nvct_nvml_brand_name(int brand);

/*
 * Find and open (O_PATH) the NVML library as nvct_nvml_fill does. Returns the fd; *ret_path (optional, caller
 * frees) receives the host path it was found at.
 */
int nvct_nvml_open_library(const NvctRoots *roots, const NvctDriver *drv, char **ret_path, NvctError *err);

/* Format an nvmlSystemGetCudaDriverVersion value: 13000 -> "13.0", 12040 -> "12.4". */
void nvct_cuda_version_format(int v, char *buf, size_t size);

/*
 * Static builds cannot dlopen NVML (built against the host's glibc) in-process: they run it in the small dynamic
 * helper at path, exec'd by the sandboxed child with an empty environment. NULL (the default) queries in-process.
 */
void nvct_nvml_use_helper(const char *path);
/* main() of that helper (nvct-nvml); argv: lib_fd answer_fd progress_fd. */
int nvct_nvml_helper_main(int argc, char **argv);

