/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "fileio.h"
#include "ldcache-write.h"
#include "ldcache.h"
#include "rootfs.h"
#include "strv.h"

/*
 * Facts about glibc's ld.so.cache ("new" format, glibc >= 2.33 as written by ldconfig):
 *   header (48 bytes): "glibc-ld.so.cache" "1.1", u32 nlibs, u32 len_strings, u8 flags (byte order: 2 little,
 *   3 big), 3 pad, u32 extension_offset (file offset, multiple of 4, 0: none), 3 × u32 unused;
 *   nlibs × {i32 flags, u32 key, u32 value, u32 osversion, u64 hwcap}; string offsets count from the header;
 *   extension directory: u32 magic 0xeaa42174, u32 count, count × {u32 tag, u32 flags, u32 offset, u32 size};
 *   tag 0 is the generator text (no NUL), tag 1 the glibc-hwcaps subdirectory names: u32 string offsets,
 *   sorted by strcmp. An entry of a glibc-hwcaps subdirectory has hwcap bit 62 set, an ISA level in bits
 *   32..41 and the index of its subdirectory name in the low 32 bits.
 */
#define HDR_SIZE 48u
#define ENTRY_SIZE 24u
#define HDR_NLIBS 20u
#define HDR_LEN_STRINGS 24u
#define HDR_FLAGS 28u
#define HDR_EXT_OFFSET 32u
#define OLD_HDR_SIZE 16u
#define OLD_ENTRY_SIZE 12u
#define EXT_MAGIC 0xeaa42174u
#define EXT_TAG_GENERATOR 0u
#define EXT_TAG_HWCAPS 1u
#define EXT_SECTION_SIZE 16u
#define HWCAP_EXTENSION (UINT64_C(1) << 62)
#define HWCAP_ISA_LEVEL_MASK UINT64_C(0x3ff)
#define ENDIAN_CURRENT (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? 2u : 3u)

/* ldconfig's library types (low byte of the flags). */
#define FLAG_ELF 1u
#define FLAG_ELF_LIBC5 2u
#define FLAG_ELF_LIBC6 3u

/* Bounds: real caches hold hundreds to a few thousand entries in a handful of directories. */
#define MAX_OLD_ENTRIES 65536u
#define MAX_OLD_DIRS 256u
#define MAX_DIRS 64u
#define MAX_DIR_ENTRIES 65536u
#define MAX_PHDRS 1024u
#define MAX_GENERATOR 4096u
#define MAX_CONF_FILES 256u
#define MAX_CONF_DEPTH 8u
#define MAX_CONF_SIZE (1u << 20)

typedef struct Entry {
        const char *key;
        const char *value;
        const char *hwcaps;   /* glibc-hwcaps subdirectory name, NULL for a regular entry */
        uint32_t flags;
        uint32_t osversion;
        uint64_t hwcap;       /* as stored; for hwcaps entries the low 32 bits are renumbered when written */
        uint64_t cmp_hwcap;   /* what ldconfig sorts on: 0 for hwcaps entries */
        unsigned bits_hwcap;
        uint64_t rank;        /* ldconfig's insertion order among entries that compare equal */
        char *owned_key;
        char *owned_value;
} Entry;

typedef struct GivenDir {
        char *path;
        int fd;
        dev_t dev;
        ino_t ino;
} GivenDir;

typedef struct OldDir {
        const char *path; /* points into a cache entry value, length len */
        size_t len;
        bool given;
} OldDir;

typedef struct Update {
        int root_fd;
        const NvctLdcacheUpdateOpts *opts;
        NvctError *err;
        NvctLdcache *old;
        struct timespec old_mtime;
        const char *generator;
        size_t generator_len;
        const unsigned char *hwcaps_array; /* u32 string offsets inside old->data */
        size_t n_hwcaps;
        GivenDir dirs[MAX_DIRS];
        size_t n_dirs;
        Entry *entries;
        size_t n_entries;
        size_t cap_entries;
        NvctLdcacheUpdateStats stats;
} Update;

int nvct_ldcache_libcmp(const char *p1, const char *p2) {
        /* Digit runs accumulate in 32 bits with wrap-around, as glibc's int arithmetic does in practice. */
        while (*p1 != '\0') {
                if (*p1 >= '0' && *p1 <= '9') {
                        if (!(*p2 >= '0' && *p2 <= '9'))
                                return 1;
                        uint32_t v1 = 0, v2 = 0;
                        while (*p1 >= '0' && *p1 <= '9')
                                v1 = v1 * 10u + (uint32_t) (*p1++ - '0');
                        while (*p2 >= '0' && *p2 <= '9')
                                v2 = v2 * 10u + (uint32_t) (*p2++ - '0');
                        if (v1 != v2)
                                return (int32_t) (v1 - v2) < 0 ? -1 : 1;
                } else if (*p2 >= '0' && *p2 <= '9')
                        return -1;
                else if (*p1 != *p2)
                        return *p1 - *p2;
                else {
                        p1++;
                        p2++;
                }
        }
        return *p1 - *p2;
}

bool nvct_ldcache_is_dso_name(const char *name) {
        return ((strneq(name, "lib", 3) || strneq(name, "ld-", 3)) && strstr(name, ".so")) ||
               strneq(name, "ld.so.", 6) || strneq(name, "ld64.so.", 8);
}

/* Names ldconfig treats as legacy hwcap or platform subdirectories (and "tls"); we do not reproduce those. */
static bool is_hwcap_name(const char *name) {
        static const char *const names[] = {
                "tls",
#if defined(__x86_64__) || defined(__i386__)
                "x86_64", "avx512_1", "sse2", "i386", "i486", "i586", "i686", "haswell", "xeon_phi",
#endif
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(name, names[i]))
                        return true;
        return false;
}

static void update_log(Update *u, const char *fmt, ...) _printf_(2, 3);
static void update_log(Update *u, const char *fmt, ...) {
        char msg[512];
        va_list ap;

        if (!u->opts || !u->opts->log)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        u->opts->log(u->opts->userdata, msg);
}

static int unsupported(Update *u, const char *fmt, ...) _printf_(2, 3);
static int unsupported(Update *u, const char *fmt, ...) {
        char msg[900];
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return nvct_error_setx(u->err, EOPNOTSUPP, "ld.so.cache: %s (the sandboxed ldconfig must do it)", msg);
}
#define unsupported(u, ...) NVCT_NEGATIVE((unsupported)(u, __VA_ARGS__))

static int entries_grow(Update *u, Entry **ret) {
        if (u->n_entries == u->cap_entries) {
                size_t cap = u->cap_entries ? u->cap_entries * 2 : 256;
                Entry *n = realloc(u->entries, cap * sizeof(Entry));
                if (!n)
                        return nvct_error_set(u->err, ENOMEM, "ld.so.cache entries");
                u->entries = n;
                u->cap_entries = cap;
        }
        *ret = &u->entries[u->n_entries++];
        memset(*ret, 0, sizeof(**ret));
        return 0;
}

static uint32_t data_u32(const NvctLdcache *c, size_t off) {
        uint32_t v;
        memcpy(&v, c->data + off, sizeof(v));
        return v;
}

/* ---- the old cache ---------------------------------------------------------------------------------------- */

static int old_open(Update *u, int *ret_fd) {
        NvctError e = NVCT_ERROR_INIT;
        _cleanup_close_ int fd = rootfs_open(u->root_fd, "/etc/ld.so.cache", O_RDONLY | O_NONBLOCK, ROOTFS_NOFOLLOW,
                                             &e);
        struct stat st;

        if (fd == -ENOENT)
                return unsupported(u, "the image has no /etc/ld.so.cache: one built from our directories alone would "
                                      "hide the image's ld.so.conf directories");
        if (fd == -ELOOP)
                return unsupported(u, "/etc/ld.so.cache is a symlink");
        if (fd < 0)
                return unsupported(u, "cannot open /etc/ld.so.cache: %s", e.msg);
        if (fstat(fd, &st) < 0)
                return nvct_error_set(u->err, errno, "stat /etc/ld.so.cache");
        if (!S_ISREG(st.st_mode))
                return unsupported(u, "/etc/ld.so.cache is not a regular file (mode 0%o)", (unsigned) st.st_mode);
        if ((uint64_t) st.st_size > NVCT_LDCACHE_MAX_SIZE)
                return unsupported(u, "/etc/ld.so.cache is %lld bytes (limit %u)", (long long) st.st_size,
                                   NVCT_LDCACHE_MAX_SIZE);
        u->old_mtime = st.st_mtim;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* Where the new-format header starts: 0, or after the libc5 table of a compat cache (8-byte aligned). */
static size_t old_new_base(const NvctLdcache *c) {
        if (c->format == NVCT_LDCACHE_FORMAT_NEW)
                return 0;
        size_t table_end = OLD_HDR_SIZE + (size_t) data_u32(c, 12) * OLD_ENTRY_SIZE;
        return (table_end + 7) & ~(size_t) 7;
}

static int old_extensions(Update *u, size_t base) {
        const NvctLdcache *c = u->old;
        uint32_t ext = data_u32(c, base + HDR_EXT_OFFSET);

        if (ext == 0)
                return 0;
        if (ext % 4 != 0 || (size_t) ext > c->size || c->size - ext < 8 || data_u32(c, ext) != EXT_MAGIC)
                return unsupported(u, "malformed extension directory at offset 0x%x", ext);
        uint32_t count = data_u32(c, ext + 4);
        if (count > 16 || (c->size - ext - 8) / EXT_SECTION_SIZE < count)
                return unsupported(u, "extension directory with %u sections does not fit", count);
        for (uint32_t i = 0; i < count; i++) {
                size_t s = ext + 8 + (size_t) i * EXT_SECTION_SIZE;
                uint32_t tag = data_u32(c, s), off = data_u32(c, s + 8), size = data_u32(c, s + 12);
                if ((size_t) off > c->size || size > c->size - off)
                        return unsupported(u, "extension section %u past the end of the file", i);
                if (tag == EXT_TAG_GENERATOR) {
                        if (size > MAX_GENERATOR)
                                return unsupported(u, "generator text of %u bytes", size);
                        u->generator = c->data + off;
                        u->generator_len = size;
                } else if (tag == EXT_TAG_HWCAPS) {
                        /* the string offsets count from the new header; with a compat prefix glibc is ambiguous */
                        if (base != 0 || off % 4 != 0 || size % 4 != 0)
                                return unsupported(u, "glibc-hwcaps section we cannot carry over faithfully");
                        u->hwcaps_array = (const unsigned char *) c->data + off;
                        u->n_hwcaps = size / 4;
                } else
                        return unsupported(u, "unknown extension tag %u", tag);
        }
        return 0;
}

static int old_load(Update *u) {
        _cleanup_close_ int fd = -EBADF;
        NvctError e = NVCT_ERROR_INIT;

        int r = old_open(u, &fd);
        if (r < 0)
                return r;
        r = nvct_ldcache_read_fd(fd, "/etc/ld.so.cache", &u->old, &e);
        if (r == -ENOMEM)
                return nvct_error_set(u->err, ENOMEM, "/etc/ld.so.cache");
        if (r < 0)
                return unsupported(u, "%s", e.msg);
        if (u->old->format == NVCT_LDCACHE_FORMAT_OLD)
                return unsupported(u, "old-format (libc5) cache only");
        if (u->old->n_entries > MAX_OLD_ENTRIES)
                return unsupported(u, "%zu entries (limit %u)", u->old->n_entries, MAX_OLD_ENTRIES);
        size_t base = old_new_base(u->old);
        unsigned endian = (unsigned char) u->old->data[base + HDR_FLAGS] & 3u;
        if (endian != 0 && endian != ENDIAN_CURRENT)
                return unsupported(u, "cache of the other byte order");
        return old_extensions(u, base);
}

/* The ABIs this ldconfig build writes; a cache listing others was made for another machine. */
static bool flags_native(uint32_t flags) {
        uint32_t type = flags & NVCT_LDCACHE_TYPE_MASK, arch = flags & NVCT_LDCACHE_ARCH_MASK;
#if defined(__x86_64__)
        if (arch == NVCT_LDCACHE_ARCH_NONE)
                return type == FLAG_ELF || type == FLAG_ELF_LIBC5 || type == FLAG_ELF_LIBC6;
        return (arch == NVCT_LDCACHE_ARCH_X86_64 || arch == NVCT_LDCACHE_ARCH_X32) && type == FLAG_ELF_LIBC6;
#elif defined(__aarch64__)
        return arch == NVCT_LDCACHE_ARCH_AARCH64 && type == FLAG_ELF_LIBC6;
#else
        (void) type;
        (void) arch;
        return false;
#endif
}

/* ---- given directories ------------------------------------------------------------------------------------ */

static bool skippable_open_error(int r) {
        return r == -ENOENT || r == -ENOTDIR || r == -ELOOP || r == -EACCES || r == -EXDEV;
}

static int dirs_open(Update *u, char *const *dirs) {
        for (char *const *d = dirs; d && *d; d++) {
                if ((*d)[0] != '/')
                        return nvct_error_setx(u->err, EINVAL, "ld.so.cache: relative directory \"%s\"", *d);
                size_t len = strlen(*d);
                while (len > 0 && (*d)[len - 1] == '/')
                        len--;
                if (len == 0) /* ldconfig ignores "/" */
                        continue;
                _cleanup_free_ char *path = strndup(*d, len);
                if (!path)
                        return nvct_error_set(u->err, ENOMEM, "ld.so.cache");
                const char *last = strrchr(path, '/') + 1;
                if (is_hwcap_name(last))
                        return unsupported(u, "%s is a hwcap subdirectory name", path);

                NvctError e = NVCT_ERROR_INIT;
                _cleanup_close_ int fd = rootfs_open(u->root_fd, path, O_RDONLY | O_DIRECTORY, ROOTFS_DIRECTORY, &e);
                if (skippable_open_error(fd))
                        continue;
                if (fd < 0)
                        return nvct_error_setx(u->err, -fd, "ld.so.cache: open %s: %s", path, e.msg);
                struct stat st, sub;
                if (fstat(fd, &st) < 0)
                        return nvct_error_set(u->err, errno, "stat %s", path);
                bool dup = false;
                for (size_t i = 0; i < u->n_dirs; i++)
                        dup = dup || (u->dirs[i].dev == st.st_dev && u->dirs[i].ino == st.st_ino);
                if (dup) /* ldconfig: "given more than once" */
                        continue;
                if (u->n_dirs == MAX_DIRS)
                        return nvct_error_setx(u->err, E2BIG, "ld.so.cache: more than %u directories", MAX_DIRS);
                if (fstatat(fd, "glibc-hwcaps", &sub, AT_SYMLINK_NOFOLLOW) == 0)
                        return unsupported(u, "%s has a glibc-hwcaps subdirectory", path);
                u->dirs[u->n_dirs++] = (GivenDir) {
                        .path = TAKE_PTR(path), .fd = TAKE_FD(fd), .dev = st.st_dev, .ino = st.st_ino,
                };
        }
        return 0;
}

/* ---- entries kept from the old cache ---------------------------------------------------------------------- */

static bool timespec_newer(const struct timespec *a, const struct timespec *b) {
        return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Is this directory (of a kept entry, or a config path) one of ours? Also checks it is not newer than the cache. */
static int old_dir_check(Update *u, const char *path, bool must_exist, bool *ret_given) {
        NvctError e = NVCT_ERROR_INIT;
        _cleanup_close_ int fd = rootfs_open(u->root_fd, path, O_PATH, 0, &e);
        struct stat st;

        *ret_given = false;
        if (fd < 0 && !must_exist && fd == -ENOENT)
                return 0;
        if (fd < 0)
                return unsupported(u, "the cache lists %s, which is gone: the cache is stale", path);
        if (fstat(fd, &st) < 0)
                return nvct_error_set(u->err, errno, "stat %s", path);
        for (size_t i = 0; i < u->n_dirs; i++)
                if (u->dirs[i].dev == st.st_dev && u->dirs[i].ino == st.st_ino) {
                        *ret_given = true;
                        return 0;
                }
        if (!(u->opts && (u->opts->flags & NVCT_LDCACHE_UPDATE_TRUST_CACHE)) &&
            timespec_newer(&st.st_mtim, &u->old_mtime))
                return unsupported(u, "%s changed after the cache was built: the cache is stale", path);
        return 0;
}

static int conf_parse(Update *u, const char *path, unsigned depth, unsigned *n_files);

/* A directory line of ld.so.conf: "DIR" or "DIR=TYPE", trailing blanks and slashes ignored, as ldconfig does. */
static int conf_dir(Update *u, const char *line) {
        _cleanup_free_ char *dir = strdup(line);
        bool given;

        if (!dir)
                return nvct_error_set(u->err, ENOMEM, "ld.so.conf");
        char *eq = strchr(dir, '=');
        if (eq)
                *eq = '\0';
        size_t len = strlen(dir);
        while (len > 0 && (dir[len - 1] == ' ' || dir[len - 1] == '\t' || dir[len - 1] == '/'))
                dir[--len] = '\0';
        if (len == 0)
                return 0;
        return old_dir_check(u, dir, false, &given);
}

/* "include PATTERN": glob(3) order (strcmp in the C locale), hidden files only when named explicitly. */
static int conf_include(Update *u, const char *conf, const char *pattern, unsigned depth, unsigned *n_files) {
        _cleanup_free_ char *full = NULL;
        if (pattern[0] != '/') {
                const char *slash = strrchr(conf, '/');
                if (asprintf(&full, "%.*s/%s", (int) (slash ? slash - conf : 1), conf, pattern) < 0)
                        return nvct_error_set(u->err, ENOMEM, "ld.so.conf");
                pattern = full;
        }
        const char *base = strrchr(pattern, '/') + 1;
        _cleanup_free_ char *dir = strndup(pattern, (size_t) (base - pattern));
        if (!dir)
                return nvct_error_set(u->err, ENOMEM, "ld.so.conf");
        if (strpbrk(dir, "*?[\\"))
                return unsupported(u, "ld.so.conf include pattern %s has a wildcard in its directory", pattern);
        if (!strpbrk(base, "*?[\\"))
                return conf_parse(u, pattern, depth + 1, n_files);

        NvctError e = NVCT_ERROR_INIT;
        int fd = rootfs_open(u->root_fd, dir, O_RDONLY | O_DIRECTORY, ROOTFS_DIRECTORY, &e);
        if (skippable_open_error(fd))
                return 0;
        if (fd < 0)
                return unsupported(u, "cannot read %s: %s", dir, e.msg);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                closep(&fd);
                return nvct_error_set(u->err, errno, "opendir %s", dir);
        }
        _cleanup_strv_free_ char **names = NULL;
        for (struct dirent *de; (de = readdir(d));) {
                if (fnmatch(base, de->d_name, FNM_PERIOD) != 0)
                        continue;
                if (strv_length(names) >= MAX_CONF_FILES)
                        return unsupported(u, "more than %u files match %s", MAX_CONF_FILES, pattern);
                if (strv_extendf(&names, "%s%s", dir, de->d_name) < 0)
                        return nvct_error_set(u->err, ENOMEM, "ld.so.conf");
        }
        strv_sort(names);
        for (char **n = names; n && *n; n++) {
                int r = conf_parse(u, *n, depth + 1, n_files);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int conf_line(Update *u, const char *path, char *cp, unsigned depth, unsigned *n_files) {
        char *hash = strchr(cp, '#');
        if (hash)
                *hash = '\0';
        while (*cp == ' ' || *cp == '\t' || *cp == '\r' || *cp == '\v' || *cp == '\f')
                cp++;
        if (*cp == '\0')
                return 0;
        if (strneq(cp, "include", 7) && (cp[7] == ' ' || cp[7] == '\t')) {
                char *save = NULL;
                for (char *w = strtok_r(cp + 8, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                        int r = conf_include(u, path, w, depth, n_files);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        if (strncasecmp(cp, "hwcap", 5) == 0 && (cp[5] == ' ' || cp[5] == '\t'))
                return 0; /* ldconfig ignores hwcap lines */
        return conf_dir(u, cp);
}

/* One ld.so.conf file: itself and every directory it names must be no newer than the cache. */
static int conf_parse(Update *u, const char *path, unsigned depth, unsigned *n_files) {
        NvctError e = NVCT_ERROR_INIT;
        _cleanup_free_ char *data = NULL;
        size_t size = 0;
        bool given;

        if (depth > MAX_CONF_DEPTH || ++*n_files > MAX_CONF_FILES)
                return unsupported(u, "ld.so.conf includes nest too deep or too many files");
        _cleanup_close_ int fd = rootfs_open(u->root_fd, path, O_RDONLY | O_NONBLOCK, 0, &e);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return unsupported(u, "cannot read %s: %s", path, e.msg);
        int r = old_dir_check(u, path, false, &given);
        if (r < 0)
                return r;
        r = read_fd(fd, path, MAX_CONF_SIZE, &data, &size, &e);
        if (r < 0)
                return unsupported(u, "%s", e.msg);
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                r = conf_line(u, path, line, depth, n_files);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * A library added to any directory ldconfig reads (ld.so.conf, its includes, the built-in system directories)
 * after the cache was written would be missed by an update that keeps the old entries: those directories,
 * and the configuration files, must all be older than the cache.
 */
static int old_config_check(Update *u) {
        static const char *const system_dirs[] = {
#if defined(__x86_64__)
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
#elif defined(__aarch64__)
                "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
#endif
        };
        unsigned n_files = 0;
        bool given;

        if (u->opts && (u->opts->flags & NVCT_LDCACHE_UPDATE_TRUST_CACHE))
                return 0;
        int r = old_dir_check(u, "/etc/ld.so.conf.d", false, &given);
        if (r >= 0)
                r = conf_parse(u, "/etc/ld.so.conf", 0, &n_files);
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(system_dirs); i++)
                r = conf_dir(u, system_dirs[i]);
        return r;
}

static int old_entry_hwcaps(Update *u, const NvctLdcacheEntry *oe, Entry *ne) {
        ne->hwcap = oe->hwcap;
        if (((oe->hwcap >> 32) & ~HWCAP_ISA_LEVEL_MASK) != (HWCAP_EXTENSION >> 32)) {
                ne->cmp_hwcap = oe->hwcap;
                ne->bits_hwcap = (unsigned) __builtin_popcountll(oe->hwcap);
                return 0;
        }
        uint32_t idx = (uint32_t) oe->hwcap;
        if (idx >= u->n_hwcaps)
                return unsupported(u, "entry %s refers to glibc-hwcaps name %u of %zu", oe->value, idx, u->n_hwcaps);
        uint32_t off;
        memcpy(&off, u->hwcaps_array + (size_t) idx * 4, sizeof(off));
        if ((size_t) off >= u->old->size || !memchr(u->old->data + off, '\0', u->old->size - off))
                return unsupported(u, "glibc-hwcaps name %u at a bad offset", idx);
        ne->hwcaps = u->old->data + off;
        return 0;
}

static int old_find_dir(Update *u, OldDir *dirs, size_t *n_dirs, const char *value, bool *ret_given) {
        const char *slash = strrchr(value, '/');
        if (value[0] != '/' || !slash)
                return unsupported(u, "entry value \"%s\" is not an absolute path", value);
        size_t len = slash == value ? 1 : (size_t) (slash - value);
        for (size_t i = 0; i < *n_dirs; i++)
                if (dirs[i].len == len && strneq(dirs[i].path, value, len)) {
                        *ret_given = dirs[i].given;
                        return 0;
                }
        if (*n_dirs == MAX_OLD_DIRS)
                return unsupported(u, "the cache spans more than %u directories", MAX_OLD_DIRS);
        _cleanup_free_ char *dir = strndup(value, len);
        if (!dir)
                return nvct_error_set(u->err, ENOMEM, "ld.so.cache");
        int r = old_dir_check(u, dir, true, ret_given);
        if (r < 0)
                return r;
        dirs[(*n_dirs)++] = (OldDir) { .path = value, .len = len, .given = *ret_given };
        return 0;
}

static int old_keep(Update *u) {
        _cleanup_free_ OldDir *dirs = calloc(MAX_OLD_DIRS, sizeof(OldDir));
        size_t n_dirs = 0;

        if (!dirs)
                return nvct_error_set(u->err, ENOMEM, "ld.so.cache");
        for (size_t i = 0; i < u->old->n_entries; i++) {
                const NvctLdcacheEntry *oe = &u->old->entries[i];
                bool given = false;
                if (!flags_native(oe->flags))
                        return unsupported(u, "entry %s has flags 0x%04x, not an ABI of this machine", oe->key,
                                           oe->flags);
                int r = old_find_dir(u, dirs, &n_dirs, oe->value, &given);
                if (r < 0)
                        return r;
                if (given) {
                        u->stats.dropped++;
                        continue;
                }
                Entry *ne;
                r = entries_grow(u, &ne);
                if (r < 0)
                        return r;
                ne->key = oe->key;
                ne->value = oe->value;
                ne->flags = oe->flags;
                ne->osversion = oe->osversion;
                /* after every entry of the given directories (they lead ldconfig's command line), in file order */
                ne->rank = ((uint64_t) MAX_DIRS << 32) | i;
                r = old_entry_hwcaps(u, oe, ne);
                if (r < 0)
                        return r;
                u->stats.kept++;
        }
        return 0;
}

/* ---- scanning a directory as ldconfig does ---------------------------------------------------------------- */

typedef struct Cand {
        char *name;
        bool is_link;    /* a symlink on disk */
        bool lib;        /* classified as a library */
        bool link_kept;  /* ldconfig's is_link after its soname rule */
        bool implicit;   /* no DT_SONAME: the soname is the file name */
        uint32_t flags;
        char *soname;
        dev_t dev;
        ino_t ino;
} Cand;

typedef struct Scan {
        Update *u;
        const GivenDir *dir;
        size_t dir_idx;
        Cand *c;
        size_t n;
} Scan;

static void scan_done(Scan *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->c[i].name);
                free(s->c[i].soname);
        }
        free(s->c);
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off) {
        ssize_t k = pread(fd, buf, len, (off_t) off);
        if (k < 0)
                return -errno;
        return (size_t) k == len ? 0 : -EIO;
}

/* PT_DYNAMIC present and non-empty (ldconfig skips objects without one) and the PT_INTERP string. */
static int read_phdr_facts(int fd, bool is64, uint64_t size, bool *ret_dynamic, char interp[static 64]) {
        unsigned char h[64];
        int r = pread_full(fd, h, sizeof(h), 0);
        if (r < 0)
                return r;
        uint64_t phoff;
        uint16_t phentsize, phnum;
        if (is64) {
                memcpy(&phoff, h + 32, 8);
                memcpy(&phentsize, h + 54, 2);
                memcpy(&phnum, h + 56, 2);
        } else {
                uint32_t o;
                memcpy(&o, h + 28, 4);
                phoff = o;
                memcpy(&phentsize, h + 42, 2);
                memcpy(&phnum, h + 44, 2);
        }
        *ret_dynamic = false;
        interp[0] = '\0';
        if (phnum > MAX_PHDRS || phentsize < (is64 ? 56 : 32) || phoff > size ||
            (uint64_t) phnum * phentsize > size - phoff)
                return 0;
        size_t len = (size_t) phnum * phentsize;
        _cleanup_free_ unsigned char *tab = malloc(len ? len : 1);
        if (!tab)
                return -ENOMEM;
        r = pread_full(fd, tab, len, phoff);
        if (r < 0)
                return r;
        for (uint16_t i = 0; i < phnum; i++) {
                const unsigned char *p = tab + (size_t) i * phentsize;
                uint32_t type;
                uint64_t off, filesz;
                        memcpy(&type, p, 4);
                if (is64) {
                        memcpy(&off, p + 8, 8);
                        memcpy(&filesz, p + 32, 8);
                } else {
                        uint32_t o, f;
                        memcpy(&o, p + 4, 4);
                        memcpy(&f, p + 16, 4);
                        off = o;
                        filesz = f;
                }
                if (type == 2 /* PT_DYNAMIC */ && filesz > 0)
                        *ret_dynamic = true;
                else if (type == 3 /* PT_INTERP */ && off < size) {
                        ssize_t k = pread(fd, interp, 63, (off_t) off);
                        interp[k > 0 ? k : 0] = '\0';
                }
        }
        return 0;
}

/* ldconfig's library type for an i386 object: libc6 when its interpreter or a DT_NEEDED says so. */
static uint32_t i386_type(const NvctElfInfo *info, const char *interp) {
        static const char *const interps[] = {
                "/lib/ld-linux-x86-64.so.2", "/lib/ld-linux.so.2", "/libx32/ld-linux-x32.so.2",
                "/lib64/ld-linux-x86-64.so.2",
        };
        for (size_t i = 0; i < ELEMENTSOF(interps); i++)
                if (streq(interp, interps[i]))
                        return FLAG_ELF_LIBC6;
        for (char **n = info->needed; n && *n; n++)
                if (streq(*n, "libc.so.6") || streq(*n, "libm.so.6"))
                        return FLAG_ELF_LIBC6;
        return FLAG_ELF;
}

static bool machine_flags(const NvctElfInfo *info, const char *interp, uint32_t *ret) {
#if defined(__x86_64__)
        if (info->machine == NVCT_ELF_EM_X86_64) {
                *ret = (info->elf_class == 64 ? NVCT_LDCACHE_ARCH_X86_64 : NVCT_LDCACHE_ARCH_X32) | FLAG_ELF_LIBC6;
                return true;
        }
        if (info->machine == NVCT_ELF_EM_386 && info->elf_class == 32) {
                *ret = i386_type(info, interp);
                return true;
        }
#elif defined(__aarch64__)
        (void) interp;
        if (info->machine == NVCT_ELF_EM_AARCH64 && info->elf_class == 64) {
                *ret = NVCT_LDCACHE_ARCH_AARCH64 | FLAG_ELF_LIBC6;
                return true;
        }
#else
        (void) info;
        (void) interp;
        (void) ret;
#endif
        return false;
}

/* 1 with c->flags/soname set when ldconfig would take the file open at fd, 0 when it would skip it. */
static int classify_fd(Scan *s, int fd, const char *path, Cand *c) {
        unsigned char magic[4];
        struct stat st;

        if (fstat(fd, &st) < 0)
                return nvct_error_set(s->u->err, errno, "stat %s", path);
        if (!S_ISREG(st.st_mode) || st.st_size < 64) /* ldconfig's minimum: an ELF64 header */
                return 0;
        c->dev = st.st_dev;
        c->ino = st.st_ino;
        s->u->stats.files_read++;
        if (pread_full(fd, magic, sizeof(magic), 0) < 0)
                return 0;
        uint32_t info_word;
        memcpy(&info_word, magic, 4);
        if ((info_word & 0xffff) == 0413 || (info_word & 0xffff) == 0314)
                return unsupported(s->u, "%s is an a.out library", path);
        if (memcmp(magic, "\177ELF", 4) != 0)
                return 0;

        NvctElfInfo info;
        NvctError e = NVCT_ERROR_INIT;
        int r = nvct_elf_read_fd(fd, path, &info, &e);
        if (r == -ENOMEM)
                return nvct_error_set(s->u->err, ENOMEM, "%s", path);
        if (r < 0)
                return 0; /* malformed: ldconfig skips it too */
        bool host_big = __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
        bool dynamic = false;
        char interp[64];
        int ret = 0;
        if (info.big_endian == host_big && info.type == NVCT_ELF_ET_DYN &&
            read_phdr_facts(fd, info.elf_class == 64, (uint64_t) st.st_size, &dynamic, interp) >= 0 && dynamic &&
            machine_flags(&info, interp, &c->flags)) {
                c->implicit = !info.soname;
                c->soname = strdup(info.soname ? info.soname : c->name);
                ret = c->soname ? 1 : nvct_error_set(s->u->err, ENOMEM, "%s", path);
        }
        nvct_elf_info_done(&info);
        return ret;
}

static int cand_cmp_inode(const void *a, const void *b) {
        const Cand *x = *(Cand *const *) a, *y = *(Cand *const *) b;
        if (x->dev != y->dev)
                return x->dev < y->dev ? -1 : 1;
        return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static char *dir_child(const GivenDir *d, const char *name) {
        char *p;
        return asprintf(&p, "%s/%s", d->path, name) < 0 ? NULL : p;
}

/* A symlink: resolved inside the root, read only when it reaches a regular file no sibling file already is. */
static int classify_link(Scan *s, Cand *c, Cand **files, size_t n_files) {
        _cleanup_free_ char *path = dir_child(s->dir, c->name);
        NvctError e = NVCT_ERROR_INIT;
        struct stat st;

        if (!path)
                return nvct_error_set(s->u->err, ENOMEM, "ld.so.cache");
        _cleanup_close_ int pfd = rootfs_open(s->u->root_fd, path, O_PATH, 0, &e);
        if (pfd < 0)
                return pfd == -ENOMEM ? nvct_error_set(s->u->err, ENOMEM, "%s", path) : 0; /* dangling: skipped */
        if (fstat(pfd, &st) < 0)
                return nvct_error_set(s->u->err, errno, "stat %s", path);
        if (!S_ISREG(st.st_mode))
                return 0;
        Cand key = { .dev = st.st_dev, .ino = st.st_ino }, *kp = &key;
        Cand **hit = n_files ? bsearch(&kp, files, n_files, sizeof(Cand *), cand_cmp_inode) : NULL;
        if (hit && (*hit)->lib) {
                c->dev = st.st_dev;
                c->ino = st.st_ino;
                c->flags = (*hit)->flags;
                /* without DT_SONAME ldconfig names the library after the link, not after its target */
                c->implicit = (*hit)->implicit;
                c->soname = strdup(c->implicit ? c->name : (*hit)->soname);
                return c->soname ? 1 : nvct_error_set(s->u->err, ENOMEM, "%s", path);
        }
        if (hit)
                return 0;
        _cleanup_close_ int fd = rootfs_open(s->u->root_fd, path, O_RDONLY | O_NONBLOCK, 0, &e);
        if (fd < 0)
                return 0;
        return classify_fd(s, fd, path, c);
}

static int classify_file(Scan *s, Cand *c) {
        _cleanup_free_ char *path = dir_child(s->dir, c->name);
        if (!path)
                return nvct_error_set(s->u->err, ENOMEM, "ld.so.cache");
        _cleanup_close_ int fd = openat(s->dir->fd, c->name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOMEM ? nvct_error_set(s->u->err, ENOMEM, "%s", path) : 0;
        return classify_fd(s, fd, path, c);
}

static int scan_add_cand(Scan *s, const char *name, bool is_link) {
        if (s->n % 64 == 0) {
                Cand *n = realloc(s->c, (s->n + 64) * sizeof(Cand));
                if (!n)
                        return nvct_error_set(s->u->err, ENOMEM, "ld.so.cache");
                s->c = n;
        }
        Cand *c = &s->c[s->n];
        *c = (Cand) { .name = strdup(name), .is_link = is_link };
        if (!c->name)
                return nvct_error_set(s->u->err, ENOMEM, "ld.so.cache");
        s->n++;
        return 0;
}

static bool is_prelink_temp(const char *name) {
        size_t len = strlen(name);
        const char *suffix = ".#prelink#";
        size_t sl = strlen(suffix);
        if (len >= sl && streq(name + len - sl, suffix))
                return true;
        return len >= sl + 7 && strneq(name + len - sl - 7, ".#prelink#.", sl + 1);
}

/* The directory's entries in readdir order: ldconfig's candidates (regular files and symlinks with DSO names). */
static int scan_list(Scan *s) {
        int fd = fcntl(s->dir->fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return nvct_error_set(s->u->err, errno, "dup %s", s->dir->path);
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d) {
                closep(&fd);
                return nvct_error_set(s->u->err, errno, "opendir %s", s->dir->path);
        }
        size_t seen = 0;
        for (struct dirent *de; (errno = 0, de = readdir(d));) {
                if (++seen > MAX_DIR_ENTRIES)
                        return unsupported(s->u, "%s has more than %u entries", s->dir->path, MAX_DIR_ENTRIES);
                unsigned type = de->d_type;
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (type == DT_UNKNOWN) {
                        struct stat st;
                        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                                continue;
                        type = S_ISREG(st.st_mode) ? DT_REG : S_ISLNK(st.st_mode) ? DT_LNK :
                               S_ISDIR(st.st_mode) ? DT_DIR : DT_UNKNOWN;
                }
                if (type != DT_REG && type != DT_LNK && type != DT_DIR)
                        continue;
                if (!nvct_ldcache_is_dso_name(de->d_name)) {
                        if (type != DT_REG && is_hwcap_name(de->d_name))
                                return unsupported(s->u, "%s/%s may be a hwcap subdirectory", s->dir->path,
                                                   de->d_name);
                        continue;
                }
                if (type == DT_DIR || is_prelink_temp(de->d_name))
                        continue;
                int r = scan_add_cand(s, de->d_name, type == DT_LNK);
                if (r < 0)
                        return r;
        }
        if (errno != 0)
                return nvct_error_set(s->u->err, errno, "readdir %s", s->dir->path);
        return 0;
}

static int scan_classify(Scan *s) {
        _cleanup_free_ Cand **files = calloc(s->n ? s->n : 1, sizeof(Cand *));
        size_t n_files = 0;
        int r;

        if (!files)
                return nvct_error_set(s->u->err, ENOMEM, "ld.so.cache");
        for (size_t i = 0; i < s->n; i++) {
                if (s->c[i].is_link)
                        continue;
                r = classify_file(s, &s->c[i]);
                if (r < 0)
                        return r;
                s->c[i].lib = r > 0;
                if (s->c[i].ino != 0)
                        files[n_files++] = &s->c[i];
        }
        qsort(files, n_files, sizeof(Cand *), cand_cmp_inode);
        for (size_t i = 0; i < s->n; i++) {
                Cand *c = &s->c[i];
                if (!c->is_link)
                        continue;
                r = classify_link(s, c, files, n_files);
                if (r < 0)
                        return r;
                c->lib = r > 0;
                if (!c->lib)
                        continue;
                /* ldconfig keeps a link as a link only when its name is the soname or the soname's ".so" prefix */
                size_t len = strlen(c->name);
                c->link_kept = streq(c->name, c->soname) ||
                               (len >= 3 && streq(c->name + len - 3, ".so") && strneq(c->name, c->soname, len));
                if (c->link_kept) {
                        free(c->soname);
                        c->soname = strdup(c->name);
                        if (!c->soname)
                                return nvct_error_set(s->u->err, ENOMEM, "ld.so.cache");
                }
        }
        return 0;
}

static int cand_cmp_soname(const void *a, const void *b) {
        const Cand *x = *(Cand *const *) a, *y = *(Cand *const *) b;
        int r = strcmp(x->soname, y->soname);
        return r != 0 ? r : (x < y ? -1 : x > y);
}

/* ldconfig's create_links would change nothing for this library: the soname name already reaches it. */
static int scan_check_link(Scan *s, const Cand *lib, const char *soname) {
        _cleanup_free_ char *path = dir_child(s->dir, soname);
        NvctError e = NVCT_ERROR_INIT;
        struct stat st;

        if (!path)
                return nvct_error_set(s->u->err, ENOMEM, "ld.so.cache");
        _cleanup_close_ int fd = rootfs_open(s->u->root_fd, path, O_PATH, 0, &e);
        if (fd < 0)
                return unsupported(s->u, "%s does not reach %s: ldconfig would create the soname link", path,
                                   lib->name);
        if (fstat(fd, &st) < 0)
                return nvct_error_set(s->u->err, errno, "stat %s", path);
        if (st.st_dev == lib->dev && st.st_ino == lib->ino)
                return 0;
        if (fstatat(s->dir->fd, soname, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
                return 0; /* a real file under the soname: ldconfig warns and leaves it */
        return unsupported(s->u, "%s points elsewhere than %s: ldconfig would repoint it", path, lib->name);
}

static uint32_t merge_flags(uint32_t old, uint32_t new) {
        if (old == FLAG_ELF && (new == FLAG_ELF_LIBC5 || new == FLAG_ELF_LIBC6))
                return new;
        if ((old == FLAG_ELF_LIBC5 || old == FLAG_ELF_LIBC6) && new == FLAG_ELF)
                return new;
        return old;
}

/* One soname's candidates, in readdir order: ldconfig's choice (a file over a link, then the newest name). */
static int scan_emit(Scan *s, Cand **group, size_t n) {
        const Cand *best = group[0];
        uint32_t flags = best->flags;
        bool best_link = best->link_kept;

        for (size_t i = 1; i < n; i++) {
                const Cand *c = group[i];
                if ((!c->link_kept && best_link) ||
                    (c->link_kept == best_link && nvct_ldcache_libcmp(best->name, c->name) < 0)) {
                        flags = merge_flags(flags, c->flags);
                        best = c;
                        best_link = c->link_kept;
                }
        }
        if (!best_link && !streq(best->name, best->soname)) {
                int r = scan_check_link(s, best, best->soname);
                if (r < 0)
                        return r;
        }
        Entry *ne;
        int r = entries_grow(s->u, &ne);
        if (r < 0)
                return r;
        ne->owned_key = strdup(best->soname);
        ne->owned_value = dir_child(s->dir, best->soname);
        if (!ne->owned_key || !ne->owned_value)
                return nvct_error_set(s->u->err, ENOMEM, "ld.so.cache");
        ne->key = ne->owned_key;
        ne->value = ne->owned_value;
        ne->flags = flags;
        /* ldconfig prepends each new soname to its list: the first seen in readdir order is inserted last */
        ne->rank = ((uint64_t) s->dir_idx << 32) | (uint32_t) (UINT32_MAX - (size_t) (group[0] - s->c));
        s->u->stats.added++;
        return 0;
}

static int scan_dir(Update *u, size_t idx) {
        _cleanup_(scan_done) Scan s = { .u = u, .dir = &u->dirs[idx], .dir_idx = idx };
        int r = scan_list(&s);
        if (r >= 0)
                r = scan_classify(&s);
        if (r < 0)
                return r;

        _cleanup_free_ Cand **libs = calloc(s.n ? s.n : 1, sizeof(Cand *));
        size_t n = 0;
        if (!libs)
                return nvct_error_set(u->err, ENOMEM, "ld.so.cache");
        for (size_t i = 0; i < s.n; i++)
                if (s.c[i].lib)
                        libs[n++] = &s.c[i];
        qsort(libs, n, sizeof(Cand *), cand_cmp_soname);
        for (size_t i = 0; i < n;) {
                size_t j = i + 1;
                while (j < n && streq(libs[j]->soname, libs[i]->soname))
                        j++;
                r = scan_emit(&s, libs + i, j - i);
                if (r < 0)
                        return r;
                i = j;
        }
        u->stats.dirs++;
        return 0;
}

/* ---- writing ---------------------------------------------------------------------------------------------- */

/* ldconfig's order: key descending by _dl_cache_libcmp, then flags, hwcaps entries first, hwcap, osversion. */
static int entry_cmp(const void *a, const void *b) {
        const Entry *e1 = a, *e2 = b;
        int r = nvct_ldcache_libcmp(e2->key, e1->key);
        if (r != 0)
                return r;
        if (e1->flags != e2->flags)
                return e1->flags < e2->flags ? 1 : -1;
        if (!!e1->hwcaps != !!e2->hwcaps)
                return e1->hwcaps ? -1 : 1;
        if (e1->hwcaps && (r = strcmp(e1->hwcaps, e2->hwcaps)) != 0)
                return r;
        if (e1->bits_hwcap != e2->bits_hwcap)
                return e2->bits_hwcap > e1->bits_hwcap ? 1 : -1;
        if (e1->cmp_hwcap != e2->cmp_hwcap)
                return e2->cmp_hwcap > e1->cmp_hwcap ? 1 : -1;
        if (e1->osversion != e2->osversion)
                return e2->osversion > e1->osversion ? 1 : -1;
        return e1->rank < e2->rank ? -1 : e1->rank > e2->rank;
}

static int str_ptr_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

typedef struct Image {
        unsigned char *buf;
        size_t size;
        size_t strings; /* next free byte of the string table */
} Image;

static uint32_t image_string(Image *img, const char *s) {
        size_t len = strlen(s) + 1, off = img->strings;
        memcpy(img->buf + off, s, len);
        img->strings += len;
        return (uint32_t) off;
}

static void put_u32(Image *img, size_t off, uint32_t v) {
        memcpy(img->buf + off, &v, sizeof(v));
}

static int serialize(Update *u, const char *generator, size_t generator_len, Image *img) {
        _cleanup_free_ const char **names = calloc(u->n_entries ? u->n_entries : 1, sizeof(char *));
        size_t n_names = 0, strings = 0;

        if (!names)
                return nvct_error_set(u->err, ENOMEM, "ld.so.cache");
        qsort(u->entries, u->n_entries, sizeof(Entry), entry_cmp);
        for (size_t i = 0; i < u->n_entries; i++) {
                const Entry *e = &u->entries[i];
                if (i == 0 || !streq(e->key, u->entries[i - 1].key))
                        strings += strlen(e->key) + 1;
                strings += strlen(e->value) + 1;
                if (e->hwcaps)
                        names[n_names++] = e->hwcaps;
        }
        qsort(names, n_names, sizeof(char *), str_ptr_cmp);
        size_t uniq = 0;
        for (size_t i = 0; i < n_names; i++)
                if (uniq == 0 || !streq(names[uniq - 1], names[i])) {
                        names[uniq++] = names[i];
                        strings += strlen(names[i]) + 1;
                }
        n_names = uniq;

        size_t table = HDR_SIZE + u->n_entries * ENTRY_SIZE, ext = (table + strings + 3) & ~(size_t) 3;
        bool has_ext = generator || n_names > 0;
        size_t n_sections = (generator ? 1 : 0) + (n_names ? 1 : 0);
        size_t ext_size = has_ext ? 8 + n_sections * EXT_SECTION_SIZE + n_names * 4 + generator_len : 0;
        if (ext + ext_size > NVCT_LDCACHE_MAX_SIZE || u->n_entries > UINT32_MAX)
                return nvct_error_setx(u->err, EFBIG, "ld.so.cache: the new cache would be too large");
        img->size = ext + ext_size;
        img->buf = calloc(1, img->size);
        if (!img->buf)
                return nvct_error_set(u->err, ENOMEM, "ld.so.cache");
        img->strings = table;

        memcpy(img->buf, "glibc-ld.so.cache1.1", 20);
        put_u32(img, HDR_NLIBS, (uint32_t) u->n_entries);
        put_u32(img, HDR_LEN_STRINGS, (uint32_t) strings);
        img->buf[HDR_FLAGS] = ENDIAN_CURRENT;
        put_u32(img, HDR_EXT_OFFSET, has_ext ? (uint32_t) ext : 0);

        uint32_t key_off = 0;
        for (size_t i = 0; i < u->n_entries; i++) {
                const Entry *e = &u->entries[i];
                size_t off = HDR_SIZE + i * ENTRY_SIZE;
                uint64_t hwcap = e->hwcap;
                if (i == 0 || !streq(e->key, u->entries[i - 1].key))
                        key_off = image_string(img, e->key);
                if (e->hwcaps) {
                        const char **hit = bsearch(&e->hwcaps, names, n_names, sizeof(char *), str_ptr_cmp);
                        hwcap = (hwcap & ~(uint64_t) UINT32_MAX) | (uint32_t) (hit - names);
                }
                put_u32(img, off, e->flags);
                put_u32(img, off + 4, key_off);
                put_u32(img, off + 8, image_string(img, e->value));
                put_u32(img, off + 12, e->osversion);
                memcpy(img->buf + off + 16, &hwcap, sizeof(hwcap));
        }
        if (!has_ext)
                return 0;

        /* ldconfig's layout: directory, glibc-hwcaps name offsets, generator text */
        size_t hw = ext + 8 + n_sections * EXT_SECTION_SIZE, gen = hw + n_names * 4, sec = ext + 8;
        put_u32(img, ext, EXT_MAGIC);
        put_u32(img, ext + 4, (uint32_t) n_sections);
        if (generator) {
                put_u32(img, sec, EXT_TAG_GENERATOR);
                put_u32(img, sec + 8, (uint32_t) gen);
                put_u32(img, sec + 12, (uint32_t) generator_len);
                memcpy(img->buf + gen, generator, generator_len);
                sec += EXT_SECTION_SIZE;
        }
        if (n_names) {
                put_u32(img, sec, EXT_TAG_HWCAPS);
                put_u32(img, sec + 8, (uint32_t) hw);
                put_u32(img, sec + 12, (uint32_t) (n_names * 4));
                for (size_t i = 0; i < n_names; i++)
                        put_u32(img, hw + i * 4, image_string(img, names[i]));
        }
        return 0;
}

static int write_all(int fd, const unsigned char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int write_cache(Update *u, const Image *img) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int pfd = rootfs_open_parent(u->root_fd, "/etc/ld.so.cache", 0, &name, u->err);
        char tmp[64];
        int fd = -EBADF, r;

        if (pfd < 0)
                return pfd;
        for (int attempt = 0; fd < 0; attempt++) {
                uint32_t rnd;
                if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
                        rnd = (uint32_t) getpid() ^ (uint32_t) attempt * 2654435761u;
                snprintf(tmp, sizeof(tmp), ".ld.so.cache.nvct-%08x", rnd);
                fd = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd < 0 && (errno != EEXIST || attempt >= 16))
                        return nvct_error_set(u->err, errno, "create /etc/%s", tmp);
        }
        r = write_all(fd, img->buf, img->size);
        if (r >= 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r >= 0 && u->opts && fchown(fd, u->opts->uid, u->opts->gid) < 0)
                r = -errno;
        if (close(fd) < 0 && r >= 0)
                r = -errno;
        if (r >= 0 && renameat(pfd, tmp, pfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(pfd, tmp, 0);
                return nvct_error_set(u->err, r, "write /etc/ld.so.cache");
        }
        return 0;
}

static void update_done(Update *u) {
        for (size_t i = 0; i < u->n_entries; i++) {
                free(u->entries[i].owned_key);
                free(u->entries[i].owned_value);
        }
        free(u->entries);
        for (size_t i = 0; i < u->n_dirs; i++) {
                free(u->dirs[i].path);
                closep(&u->dirs[i].fd);
        }
        nvct_ldcache_free(u->old);
}

int nvct_ldcache_update(int root_fd, char *const *dirs, const NvctLdcacheUpdateOpts *opts, NvctError *err) {
        _cleanup_(update_done) Update u = { .root_fd = root_fd, .opts = opts, .err = err };
        Image img = {};
        int r;

        r = old_load(&u);
        if (r >= 0)
                r = dirs_open(&u, dirs);
        if (r >= 0)
                r = old_config_check(&u);
        if (r >= 0)
                r = old_keep(&u);
        for (size_t i = 0; r >= 0 && i < u.n_dirs; i++)
                r = scan_dir(&u, i);
        if (r < 0)
                return r;

        const char *generator = opts && opts->generator ? opts->generator : u.generator;
        size_t generator_len = opts && opts->generator ? strlen(opts->generator) : u.generator_len;
        r = serialize(&u, generator, generator_len, &img);
        if (r >= 0)
                r = write_cache(&u, &img);
        free(img.buf);
        if (r < 0)
                return r;
        update_log(&u, "ld.so.cache: %zu entries kept, %zu replaced by %zu from %zu directories (%zu files read)",
                   u.stats.kept, u.stats.dropped, u.stats.added, u.stats.dirs, u.stats.files_read);
        if (opts && opts->stats)
                *opts->stats = u.stats;
        return 0;
}
