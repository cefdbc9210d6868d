/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * A bounds-checked reader of glibc's /etc/ld.so.cache. Three layouts exist:
 *   new     "glibc-ld.so.cache1.1" header, 24-byte entries, strings relative to that header (glibc >= 2.32 default);
 *   compat  the libc5 "ld.so-1.7.0" table followed by a new-format cache hidden in its string table;
 *   old     the libc5 table alone (`ldconfig -c old`), 12-byte entries, strings after the table.
 * All three are read; for compat the richer new-format entries are the ones exposed. Every offset and count is
 * validated against the file size before it is used, so a truncated or hostile cache yields an error naming the
 * file and the problem instead of an out-of-bounds read.
 */

/* Entry flags: the low byte is the library type, the high byte the ABI ("arch") the library was built for. */
enum {
        NVCT_LDCACHE_TYPE_MASK = 0x00ff,
        NVCT_LDCACHE_ELF = 0x0001,            /* set in every ELF entry type (ELF, ELF libc6) */
        NVCT_LDCACHE_ELF_LIBC6 = 0x0003,
        NVCT_LDCACHE_ARCH_MASK = 0xff00,
        NVCT_LDCACHE_ARCH_NONE = 0x0000,      /* i386, 32-bit ARM soft-float without the ABI flag, ... */
        NVCT_LDCACHE_ARCH_X86_64 = 0x0300,
        NVCT_LDCACHE_ARCH_PPC64 = 0x0500,
        NVCT_LDCACHE_ARCH_X32 = 0x0800,
        NVCT_LDCACHE_ARCH_ARM_HF = 0x0900,
        NVCT_LDCACHE_ARCH_AARCH64 = 0x0a00,
};

/* Largest cache we accept; real ones are tens to hundreds of KiB. */
#define NVCT_LDCACHE_MAX_SIZE (64u * 1024u * 1024u)

typedef enum NvctLdcacheFormat {
        NVCT_LDCACHE_FORMAT_NEW,
        NVCT_LDCACHE_FORMAT_COMPAT,
        NVCT_LDCACHE_FORMAT_OLD,
} NvctLdcacheFormat;

typedef struct NvctLdcacheEntry {
        const char *key;    /* the library name (soname), e.g. "libcuda.so.1"; points into the cache's copy */
        const char *value;  /* the path ldconfig found it at, e.g. "/usr/lib/x86_64-linux-gnu/libcuda.so.1" */
        uint32_t flags;     /* NVCT_LDCACHE_* type and arch bits */
        uint32_t osversion; /* 0 for the old format */
        uint64_t hwcap;     /* 0 for the old format */
} NvctLdcacheEntry;

typedef struct NvctLdcache {
        NvctLdcacheFormat format;
        NvctLdcacheEntry *entries; /* in file order (ldconfig's priority order) */
        size_t n_entries;
        char *data;                /* the whole file, NUL-terminated; entries point into it */
        size_t size;
} NvctLdcache;

/*
 * Parse a cache held in memory (data is copied). `what` names the file in error messages. Fails with EINVAL
 * (EBADMSG for a bad magic) and a one-line message on anything malformed.
 */
int nvct_ldcache_parse(const void *data, size_t size, const char *what, NvctLdcache **ret, NvctError *err);
/* Read (size-bounded) and parse the cache open at fd. The caller opened it, normally through the rootfs resolver. */
int nvct_ldcache_read_fd(int fd, const char *what, NvctLdcache **ret, NvctError *err);
NvctLdcache *nvct_ldcache_free(NvctLdcache *c);
static inline void nvct_ldcache_freep(NvctLdcache **c) {
        nvct_ldcache_free(*c);
}
#define _cleanup_ldcache_ _cleanup_(nvct_ldcache_freep)

/* True when e is an ELF entry of exactly this arch (NVCT_LDCACHE_ARCH_*). */
bool nvct_ldcache_entry_is(const NvctLdcacheEntry *e, uint32_t arch);

/*
 * The arch flag of this build's native libraries and, with compat32, of its 32-bit companion (i386 on x86-64,
 * ARM hard-float on aarch64). Fails with EOPNOTSUPP where no 32-bit companion exists (ppc64le) or the target is
 * unknown.
 */
int nvct_ldcache_arch(bool compat32, uint32_t *ret);

const char *nvct_ldcache_format_name(NvctLdcacheFormat f);
