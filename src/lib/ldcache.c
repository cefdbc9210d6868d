/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "ldcache.h"

/*
 * On-disk layout (all integers in the byte order of the machine that wrote the cache; the new header says which):
 *
 * old/libc5:  char magic[11] "ld.so-1.7.0", 1 pad byte, uint32 nlibs, then nlibs × {int32 flags, uint32 key,
 *             uint32 value}; string offsets count from the end of that table.
 * new:        char magic[17] "glibc-ld.so.cache", char version[3] "1.1", uint32 nlibs, uint32 len_strings,
 *             uint8 flags (byte order), 3 pad, uint32 extension_offset, 3 × uint32 unused = 48 bytes, then
 *             nlibs × {int32 flags, uint32 key, uint32 value, uint32 osversion, uint64 hwcap}; string offsets count
 *             from the start of this header.
 * compat:     old, then the new cache at the next 8-byte boundary after the old table.
 */
#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_MAGIC_LEN (sizeof(OLD_MAGIC) - 1)
#define OLD_HEADER_SIZE 16u
#define OLD_ENTRY_SIZE 12u
#define NEW_MAGIC "glibc-ld.so.cache"
#define NEW_MAGIC_LEN (sizeof(NEW_MAGIC) - 1)
#define NEW_VERSION "1.1"
#define NEW_VERSION_LEN (sizeof(NEW_VERSION) - 1)
#define NEW_HEADER_SIZE 48u
#define NEW_ENTRY_SIZE 24u
#define NEW_FLAGS_OFFSET 28u

/* Real caches hold a few thousand entries; this keeps a forged count from driving a huge allocation. */
#define LDCACHE_MAX_ENTRIES 262144u

enum {
        ENDIAN_UNSET = 0,
        ENDIAN_INVALID = 1,
        ENDIAN_LITTLE = 2,
        ENDIAN_BIG = 3,
};

typedef struct Parser {
        const char *what;
        const unsigned char *data;
        size_t size;
        bool swap;
        NvctError *err;
} Parser;

static uint32_t get_u32(const Parser *p, size_t off) {
        uint32_t v;
        memcpy(&v, p->data + off, sizeof(v));
        return p->swap ? __builtin_bswap32(v) : v;
}

static uint64_t get_u64(const Parser *p, size_t off) {
        uint64_t v;
        memcpy(&v, p->data + off, sizeof(v));
        return p->swap ? __builtin_bswap64(v) : v;
}

/* Resolve a string offset relative to base, checking it lies in the file and is NUL-terminated there. */
static int get_string(const Parser *p, size_t base, uint32_t off, size_t idx, const char *field, const char **ret) {
        size_t pos = base + (size_t) off;

        if ((size_t) off >= p->size || pos >= p->size)
                return nvct_error_setx(p->err, EINVAL, "%s: entry %zu: %s offset 0x%x past end of file (size %zu)",
                                       p->what, idx, field, off, p->size);
        if (!memchr(p->data + pos, '\0', p->size - pos))
                return nvct_error_setx(p->err, EINVAL, "%s: entry %zu: %s at offset 0x%zx is not terminated",
                                       p->what, idx, field, pos);
        if (p->data[pos] == '\0')
                return nvct_error_setx(p->err, EINVAL, "%s: entry %zu: empty %s", p->what, idx, field);
        *ret = (const char *) p->data + pos;
        return 0;
}

static int check_count(const Parser *p, uint32_t n, size_t avail, size_t entry_size) {
        if (n > LDCACHE_MAX_ENTRIES)
                return nvct_error_setx(p->err, EINVAL, "%s: entry count %u exceeds the limit of %u", p->what, n,
                                       LDCACHE_MAX_ENTRIES);
        if ((size_t) n > avail / entry_size)
                return nvct_error_setx(p->err, EINVAL,
                                       "%s: entry count %u needs %zu bytes but only %zu remain (size %zu)", p->what,
                                       n, (size_t) n * entry_size, avail, p->size);
        return 0;
}

static int alloc_entries(const Parser *p, uint32_t n, NvctLdcache *c) {
        c->entries = calloc(n > 0 ? n : 1, sizeof(NvctLdcacheEntry));
        if (!c->entries)
                return nvct_error_set(p->err, ENOMEM, "%s", p->what);
        c->n_entries = n;
        return 0;
}

static int parse_old(Parser *p, uint32_t n, NvctLdcache *c) {
        size_t strings = OLD_HEADER_SIZE + (size_t) n * OLD_ENTRY_SIZE;
        int r = alloc_entries(p, n, c);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                size_t off = OLD_HEADER_SIZE + i * OLD_ENTRY_SIZE;
                NvctLdcacheEntry *e = &c->entries[i];

                e->flags = get_u32(p, off);
                r = get_string(p, strings, get_u32(p, off + 4), i, "key", &e->key);
                if (r < 0)
                        return r;
                r = get_string(p, strings, get_u32(p, off + 8), i, "value", &e->value);
                if (r < 0)
                        return r;
        }
        c->format = NVCT_LDCACHE_FORMAT_OLD;
        return 0;
}

static int parse_new_byte_order(Parser *p, size_t base) {
        const bool little = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;

        switch (p->data[base + NEW_FLAGS_OFFSET] & 3) {
        case ENDIAN_UNSET: /* written before glibc 2.32 recorded it: the host's own order */
                p->swap = false;
                return 0;
        case ENDIAN_LITTLE:
                p->swap = !little;
                return 0;
        case ENDIAN_BIG:
                p->swap = little;
                return 0;
        default:
                return nvct_error_setx(p->err, EINVAL, "%s: header marks the byte order as invalid", p->what);
        }
}

static int parse_new(Parser *p, size_t base, NvctLdcache *c) {
        size_t avail = p->size - base;

        if (avail < NEW_HEADER_SIZE)
                return nvct_error_setx(p->err, EINVAL, "%s: truncated header at offset 0x%zx (size %zu, need %zu)",
                                       p->what, base, p->size, base + NEW_HEADER_SIZE);
        if (memcmp(p->data + base + NEW_MAGIC_LEN, NEW_VERSION, NEW_VERSION_LEN) != 0)
                return nvct_error_setx(p->err, EPROTONOSUPPORT, "%s: unsupported cache version \"%.3s\"", p->what,
                                       (const char *) p->data + base + NEW_MAGIC_LEN);
        int r = parse_new_byte_order(p, base);
        if (r < 0)
                return r;

        uint32_t n = get_u32(p, base + NEW_MAGIC_LEN + NEW_VERSION_LEN);
        r = check_count(p, n, avail - NEW_HEADER_SIZE, NEW_ENTRY_SIZE);
        if (r < 0)
                return r;
        r = alloc_entries(p, n, c);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                size_t off = base + NEW_HEADER_SIZE + i * NEW_ENTRY_SIZE;
                NvctLdcacheEntry *e = &c->entries[i];

                e->flags = get_u32(p, off);
                r = get_string(p, base, get_u32(p, off + 4), i, "key", &e->key);
                if (r < 0)
                        return r;
                r = get_string(p, base, get_u32(p, off + 8), i, "value", &e->value);
                if (r < 0)
                        return r;
                e->osversion = get_u32(p, off + 12);
                e->hwcap = get_u64(p, off + 16);
        }
        return 0;
}

static bool has_new_magic(const Parser *p, size_t base) {
        return base <= p->size && p->size - base >= NEW_MAGIC_LEN &&
               memcmp(p->data + base, NEW_MAGIC, NEW_MAGIC_LEN) == 0;
}

static int parse_libc5(Parser *p, NvctLdcache *c) {
        if (p->size < OLD_HEADER_SIZE)
                return nvct_error_setx(p->err, EINVAL, "%s: truncated header (size %zu, need %u)", p->what, p->size,
                                       OLD_HEADER_SIZE);
        uint32_t n = get_u32(p, OLD_MAGIC_LEN + 1);
        int r = check_count(p, n, p->size - OLD_HEADER_SIZE, OLD_ENTRY_SIZE);
        if (r < 0)
                return r;

        /* The new format, when present, starts at the first 8-byte boundary after the old table. */
        size_t table_end = OLD_HEADER_SIZE + (size_t) n * OLD_ENTRY_SIZE;
        size_t new_base = (table_end + 7) & ~(size_t) 7;
        if (has_new_magic(p, new_base)) {
                r = parse_new(p, new_base, c);
                if (r < 0)
                        return r;
                c->format = NVCT_LDCACHE_FORMAT_COMPAT;
                return 0;
        }
        return parse_old(p, n, c);
}

/* Takes ownership of data (size bytes plus a terminating NUL). */
static int ldcache_parse_owned(char *data, size_t size, const char *what, NvctLdcache **ret, NvctError *err) {
        _cleanup_ldcache_ NvctLdcache *c = calloc(1, sizeof(*c));
        if (!c) {
                free(data);
                return nvct_error_set(err, ENOMEM, "%s", what);
        }
        c->data = data;
        c->size = size;

        Parser p = { .what = what, .data = (const unsigned char *) data, .size = size, .err = err };
        int r;
        if (size == 0)
                return nvct_error_setx(err, EINVAL, "%s: empty file", what);
        if (size >= OLD_MAGIC_LEN && memcmp(data, OLD_MAGIC, OLD_MAGIC_LEN) == 0)
                r = parse_libc5(&p, c);
        else if (has_new_magic(&p, 0)) {
                r = parse_new(&p, 0, c);
                c->format = NVCT_LDCACHE_FORMAT_NEW;
        } else
                return nvct_error_setx(err, EBADMSG, "%s: not an ld.so.cache (unknown magic)", what);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

int nvct_ldcache_parse(const void *data, size_t size, const char *what, NvctLdcache **ret, NvctError *err) {
        if (size > NVCT_LDCACHE_MAX_SIZE)
                return nvct_error_setx(err, EFBIG, "%s: file too large (%zu bytes, limit %u)", what, size,
                                       NVCT_LDCACHE_MAX_SIZE);
        char *copy = malloc(size + 1);
        if (!copy)
                return nvct_error_set(err, ENOMEM, "%s", what);
        if (size > 0)
                memcpy(copy, data, size);
        copy[size] = '\0';
        return ldcache_parse_owned(copy, size, what, ret, err);
}

int nvct_ldcache_read_fd(int fd, const char *what, NvctLdcache **ret, NvctError *err) {
        char *data = NULL;
        size_t size = 0;
        int r = read_fd(fd, what, NVCT_LDCACHE_MAX_SIZE, &data, &size, err);
        if (r < 0)
                return r;
        return ldcache_parse_owned(data, size, what, ret, err);
}

NvctLdcache *nvct_ldcache_free(NvctLdcache *c) {
        if (c) {
                free(c->entries);
                free(c->data);
                free(c);
        }
        return NULL;
}

bool nvct_ldcache_entry_is(const NvctLdcacheEntry *e, uint32_t arch) {
        return (e->flags & NVCT_LDCACHE_ELF) && (e->flags & NVCT_LDCACHE_ARCH_MASK) == arch;
}

int nvct_ldcache_arch(bool compat32, uint32_t *ret) {
#if defined(__x86_64__) && defined(__ILP32__)
        *ret = compat32 ? NVCT_LDCACHE_ARCH_NONE : NVCT_LDCACHE_ARCH_X32;
        return 0;
#elif defined(__x86_64__)
        *ret = compat32 ? NVCT_LDCACHE_ARCH_NONE : NVCT_LDCACHE_ARCH_X86_64;
        return 0;
#elif defined(__aarch64__)
        *ret = compat32 ? NVCT_LDCACHE_ARCH_ARM_HF : NVCT_LDCACHE_ARCH_AARCH64;
        return 0;
#elif defined(__powerpc64__)
        if (compat32)
                return -EOPNOTSUPP;
        *ret = NVCT_LDCACHE_ARCH_PPC64;
        return 0;
#elif defined(__i386__)
        if (compat32)
                return -EOPNOTSUPP;
        *ret = NVCT_LDCACHE_ARCH_NONE;
        return 0;
#else
        (void) compat32;
        (void) ret;
        return -EOPNOTSUPP;
#endif
}

const char *nvct_ldcache_format_name(NvctLdcacheFormat f) {
        switch (f) {
        case NVCT_LDCACHE_FORMAT_NEW:
                return "new";
        case NVCT_LDCACHE_FORMAT_COMPAT:
                return "compat";
        case NVCT_LDCACHE_FORMAT_OLD:
                return "old";
        }
        return "unknown";
}
