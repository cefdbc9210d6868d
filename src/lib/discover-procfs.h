/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "driver.h"
#include "error.h"

/*
 * Parsers for the NVIDIA driver's procfs files. They are host files, but a compromised or simply unexpected
 * driver must never crash us, so every parser is bounded, validates each field and is fuzzed
 * (tests/fuzz/fuzz-procfs.c). The pure parsers take NUL-terminated text; the readers take a proc root.
 */

/* Size caps for the files we read. */
#define NVCT_PROC_SMALL_MAX (64u * 1024u)
#define NVCT_PROC_LARGE_MAX (1024u * 1024u) /* mig-minors, registry */
#define NVCT_PROC_MAX_GPUS 64
#define NVCT_PROC_MAX_MIG_MINORS 65536
#define NVCT_MINOR_LIMIT (1u << 20)         /* Linux minors are 20 bits */

typedef struct NvctProcGpuInfo {
        char model[128];
        char uuid[96];
        char busid[32];  /* normalized 8-hex-digit domain, "" when the file has no Bus Location */
        unsigned minor;
} NvctProcGpuInfo;

typedef struct NvctProcMajors {
        unsigned nvidia; /* "nvidia-frontend" or "nvidia" */
        unsigned uvm;    /* "nvidia-uvm" */
        unsigned caps;   /* "nvidia-caps" */
        unsigned imex;   /* "nvidia-caps-imex-channels" */
        unsigned drm;    /* "drm" */
} NvctProcMajors;

/* The NVRM version from the first line of driver/nvidia/version ("580.159.04"). EBADMSG on unknown formats. */
int nvct_procfs_parse_version(const char *text, char *ret, size_t size, NvctError *err);

/* gpus/<bus>/information: Model, GPU UUID, Bus Location, Device Minor. */
int nvct_procfs_parse_gpu_information(const char *text, NvctProcGpuInfo *ret, NvctError *err);

/* /proc/devices, "Character devices:" section only. Missing names stay 0. */
int nvct_procfs_parse_devices(const char *text, NvctProcMajors *ret, NvctError *err);

/* driver/nvidia-caps/mig-minors. Lines of unknown shape are skipped; malformed numbers are errors. */
int nvct_procfs_parse_mig_minors(const char *text, NvctMigMinor **ret, size_t *ret_n, NvctError *err);

/* A capabilities access file ("DeviceFileMinor: 12"); *ret_mode gets DeviceFileMode when present (else 0444). */
int nvct_procfs_parse_cap_file(const char *text, unsigned *ret_minor, mode_t *ret_mode, NvctError *err);

/* An unsigned "Key: value" of driver/nvidia/params. -ENOENT when absent, -EBADMSG when not a number. */
int nvct_procfs_param(const char *text, const char *key, unsigned long *ret);

/*
 * A PCI address "D:B:S.F" (domain 1-8 hex digits, bus and slot 1-2, function one digit 0-7), strictly: no sign,
 * no "0x", no spaces, nothing after. ret receives "%08x:%02x:%02x.%x" (lowercase). -EINVAL otherwise.
 */
int nvct_busid_normalize(const char *s, char *ret, size_t size);

/* Parse a decimal number with only digits, at most limit-1, no sign, no spaces. */
int nvct_parse_decimal(const char *s, size_t len, unsigned long limit, unsigned long *ret);

/*
 * roots with every NULL field defaulted (NVCT_ROOTS_DEFAULT; dev_root and ipc_root follow driver_root).
 * Implemented in discover.c; every discovery entry point goes through it.
 */
void nvct_roots_fill_defaults(const NvctRoots *in, NvctRoots *out);

/* Readers. Paths are relative to proc_root ("/proc" on a host). */
int nvct_procfs_read(const char *proc_root, const char *rel, size_t max, char **ret, NvctError *err);
int nvct_procfs_read_version(const char *proc_root, NvctDriver *drv, NvctError *err);
/* Every gpus/<bus> directory, sorted by bus id; fills index, minor, uuid, busid, model, proc_dir. */
int nvct_procfs_read_gpus(const char *proc_root, NvctDriver *drv, NvctError *err);
/* /proc/devices into drv->major_*; ret (optional) also gets the drm major. */
int nvct_procfs_read_majors(const char *proc_root, NvctDriver *drv, NvctProcMajors *ret, NvctError *err);
int nvct_procfs_read_mig_minors(const char *proc_root, NvctDriver *drv, NvctError *err);
/* Minor of a capabilities file given by its container path ("/proc/driver/nvidia/capabilities/…/access"). */
int nvct_procfs_read_cap_minor(const char *proc_root, const char *cap_path, unsigned *ret_minor, mode_t *ret_mode,
                               NvctError *err);
/*
 * MIG devices as procfs shows them, for when NVML is not loaded: capabilities/gpu<minor>/mig/gi<G>/ci<C>/access,
 * sorted by (gi, ci); UUIDs stay empty. Sets mig_enabled when any exist.
 */
int nvct_procfs_read_migs(const char *proc_root, NvctGpu *gpu, NvctError *err);
