/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "ldcache.h"

/*
 * Real caches come from the host's ldconfig run with -r on a temp tree holding a few tiny libraries built here
 * (64-bit and, with gcc-multilib, 32-bit). Hostile ones are crafted byte by byte.
 */

static char tmp[] = "/tmp/nvct-test-ldcache.XXXXXX";
static bool have_m32;
static bool have_old, have_compat;

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...) {
        char cmd[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd);
}

static int setup(void **state) {
        (void) state;
        if (!mkdtemp(tmp))
                return -1;
        if (sh("cd %s && mkdir -p lib lib32 etc && echo 'int f(void){return 1;}' > a.c && "
               "gcc -shared -fPIC -Wl,-soname,libfoo.so.1 -o lib/libfoo.so.1.2.3 a.c && "
               "ln -s libfoo.so.1.2.3 lib/libfoo.so.1 && "
               "gcc -shared -fPIC -Wl,-soname,libbar.so.7 -o lib/libbar.so.7.0 a.c && "
               "ln -s libbar.so.7.0 lib/libbar.so.7 && printf '/lib\\n/lib32\\n' > etc/ld.so.conf",
               tmp) != 0)
                return -1;
        have_m32 = sh("cd %s && gcc -m32 -shared -fPIC -Wl,-soname,libfoo.so.1 -o lib32/libfoo.so.1.2.3 a.c "
                      "2>/dev/null && ln -s libfoo.so.1.2.3 lib32/libfoo.so.1", tmp) == 0;
        if (sh("ldconfig -r %s -C /etc/ld.so.cache", tmp) != 0)
                return -1;
        have_old = sh("ldconfig -r %s -c old -C /etc/cache.old 2>/dev/null", tmp) == 0;
        have_compat = sh("ldconfig -r %s -c compat -C /etc/cache.compat 2>/dev/null", tmp) == 0;
        return 0;
}

static int teardown(void **state) {
        (void) state;
        return sh("rm -rf %s", tmp) == 0 ? 0 : -1;
}

static NvctLdcache *load(const char *name, NvctError *err) {
        char path[512];
        snprintf(path, sizeof(path), "%s/etc/%s", tmp, name);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        assert_true(fd >= 0);
        NvctLdcache *c = NULL;
        int r = nvct_ldcache_read_fd(fd, path, &c, err);
        if (r < 0)
                return NULL;
        return c;
}

static char *slurp(const char *name, size_t *len) {
        char path[512];
        char *data = NULL;
        NvctError err = NVCT_ERROR_INIT;
        snprintf(path, sizeof(path), "%s/etc/%s", tmp, name);
        assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 20, &data, len, &err), 0);
        return data;
}

static const NvctLdcacheEntry *find(const NvctLdcache *c, const char *key, uint32_t arch) {
        for (size_t i = 0; i < c->n_entries; i++)
                if (streq(c->entries[i].key, key) && nvct_ldcache_entry_is(&c->entries[i], arch))
                        return &c->entries[i];
        return NULL;
}

static void check_real(const NvctLdcache *c) {
        const NvctLdcacheEntry *e = find(c, "libfoo.so.1", NVCT_LDCACHE_ARCH_X86_64);
        assert_non_null(e);
        assert_string_equal(e->value, "/lib/libfoo.so.1");
        assert_int_equal(e->flags, NVCT_LDCACHE_ARCH_X86_64 | NVCT_LDCACHE_ELF_LIBC6);
        e = find(c, "libbar.so.7", NVCT_LDCACHE_ARCH_X86_64);
        assert_non_null(e);
        assert_string_equal(e->value, "/lib/libbar.so.7");
        assert_null(find(c, "libbar.so.7", NVCT_LDCACHE_ARCH_NONE));
        if (have_m32) {
                e = find(c, "libfoo.so.1", NVCT_LDCACHE_ARCH_NONE);
                assert_non_null(e);
                assert_string_equal(e->value, "/lib32/libfoo.so.1");
                /* ldconfig marks a 32-bit library without libc6 dependency as plain ELF (0x0001). */
                assert_int_equal(e->flags & NVCT_LDCACHE_ARCH_MASK, 0);
                assert_true(e->flags & NVCT_LDCACHE_ELF);
        }
        assert_int_equal(c->n_entries, have_m32 ? 3 : 2);
}

static void test_real_new(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_ldcache_ NvctLdcache *c = load("ld.so.cache", &err);
        assert_non_null(c);
        assert_int_equal(c->format, NVCT_LDCACHE_FORMAT_NEW);
        check_real(c);
}

static void test_real_compat(void **state) {
        (void) state;
        if (!have_compat)
                skip();
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_ldcache_ NvctLdcache *c = load("cache.compat", &err);
        assert_non_null(c);
        assert_int_equal(c->format, NVCT_LDCACHE_FORMAT_COMPAT);
        check_real(c);
}

static void test_real_old(void **state) {
        (void) state;
        if (!have_old)
                skip();
        NvctError err = NVCT_ERROR_INIT;
        _cleanup_ldcache_ NvctLdcache *c = load("cache.old", &err);
        assert_non_null(c);
        assert_int_equal(c->format, NVCT_LDCACHE_FORMAT_OLD);
        check_real(c);
}

/* Every truncation of a real cache either fails cleanly or (once all entries and strings are in) parses. */
static void truncations(const char *name) {
        size_t len = 0;
        _cleanup_free_ char *data = slurp(name, &len);
        size_t first_ok = 0;
        for (size_t n = 0; n <= len; n++) {
                NvctError err = NVCT_ERROR_INIT;
                NvctLdcache *c = NULL;
                int r = nvct_ldcache_parse(data, n, "trunc", &c, &err);
                if (r < 0) {
                        assert_null(c);
                        assert_true(strncmp(err.msg, "trunc: ", 7) == 0);
                        assert_null(strchr(err.msg, '\n'));
                        assert_int_equal(first_ok, 0);
                } else {
                        if (!first_ok)
                                first_ok = n;
                        check_real(c);
                        nvct_ldcache_free(c);
                }
        }
        /* Something near the end must be needed: the strings follow the entries. */
        assert_true(first_ok > 48);
}

static void test_truncated(void **state) {
        (void) state;
        truncations("ld.so.cache");
        if (have_compat)
                truncations("cache.compat");
        if (have_old)
                truncations("cache.old");
}

static void test_empty_and_garbage(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        NvctLdcache *c = NULL;

        assert_int_equal(nvct_ldcache_parse("", 0, "/etc/ld.so.cache", &c, &err), -EINVAL);
        assert_string_equal(err.msg, "/etc/ld.so.cache: empty file");
        assert_int_equal(nvct_ldcache_parse("hello world, not a cache", 24, "x", &c, &err), -EBADMSG);
        assert_string_equal(err.msg, "x: not an ld.so.cache (unknown magic)");
        assert_int_equal(nvct_ldcache_parse("ld.so-1.7.0", 11, "x", &c, &err), -EINVAL);
        assert_string_equal(err.msg, "x: truncated header (size 11, need 16)");
        assert_int_equal(nvct_ldcache_parse("glibc-ld.so.cache1.1", 20, "x", &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "truncated header"));

        /* Random bytes: never a crash; almost surely a bad magic. */
        unsigned char buf[4096];
        srand(42);
        for (int round = 0; round < 200; round++) {
                size_t n = (size_t) rand() % sizeof(buf);
                for (size_t i = 0; i < n; i++)
                        buf[i] = (unsigned char) rand();
                if (round % 2)
                        memcpy(buf, "glibc-ld.so.cache1.1", MIN(n, (size_t) 20));
                if (nvct_ldcache_parse(buf, n, "rnd", &c, &err) >= 0)
                        c = nvct_ldcache_free(c);
        }
}

/* A hand-built new-format cache: header, entries, then the strings, in the given byte order. */
typedef struct Crafted {
        unsigned char b[1024];
        size_t len;
} Crafted;

static void put32(unsigned char *p, uint32_t v, bool big) {
        for (int i = 0; i < 4; i++)
                p[i] = (unsigned char) (big ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void craft(Crafted *c, bool big, const char *const *keys, const char *const *values, size_t n) {
        memset(c, 0, sizeof(*c));
        memcpy(c->b, "glibc-ld.so.cache1.1", 20);
        put32(c->b + 20, (uint32_t) n, big);
        c->b[28] = big ? 3 : 2;
        size_t s = 48 + n * 24;
        for (size_t i = 0; i < n; i++) {
                unsigned char *e = c->b + 48 + i * 24;
                put32(e, 0x0303, big);
                put32(e + 4, (uint32_t) s, big);
                strcpy((char *) c->b + s, keys[i]);
                s += strlen(keys[i]) + 1;
                put32(e + 8, (uint32_t) s, big);
                strcpy((char *) c->b + s, values[i]);
                s += strlen(values[i]) + 1;
                put32(e + 12, 7, big);
        }
        put32(c->b + 24, (uint32_t) (s - 48 - n * 24), big);
        c->len = s;
}

static const char *const keys[] = { "libcuda.so.1", "libnvidia-ml.so.1" };
static const char *const values[] = { "/usr/lib/libcuda.so.1", "/usr/lib/libnvidia-ml.so.1" };

static void test_crafted_byte_orders(void **state) {
        (void) state;
        for (int big = 0; big <= 1; big++) {
                Crafted k;
                NvctError err = NVCT_ERROR_INIT;
                _cleanup_ldcache_ NvctLdcache *c = NULL;
                craft(&k, big, keys, values, 2);
                assert_int_equal(nvct_ldcache_parse(k.b, k.len, "x", &c, &err), 0);
                assert_int_equal(c->n_entries, 2);
                assert_string_equal(c->entries[1].key, "libnvidia-ml.so.1");
                assert_string_equal(c->entries[1].value, "/usr/lib/libnvidia-ml.so.1");
                assert_int_equal(c->entries[1].flags, 0x0303);
                assert_int_equal(c->entries[1].osversion, 7);
        }
}

static void test_hostile(void **state) {
        (void) state;
        Crafted k;
        NvctError err = NVCT_ERROR_INIT;
        NvctLdcache *c = NULL;
        char want[256];

        /* A key offset past the end. */
        craft(&k, false, keys, values, 2);
        put32(k.b + 48 + 24 + 4, 0x1234, false);
        assert_int_equal(nvct_ldcache_parse(k.b, k.len, "/etc/ld.so.cache", &c, &err), -EINVAL);
        snprintf(want, sizeof(want), "/etc/ld.so.cache: entry 1: key offset 0x1234 past end of file (size %zu)",
                 k.len);
        assert_string_equal(err.msg, want);

        /* An offset that wraps when added to the base. */
        craft(&k, false, keys, values, 2);
        put32(k.b + 48 + 8, 0xffffffff, false);
        assert_int_equal(nvct_ldcache_parse(k.b, k.len, "x", &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "entry 0: value offset 0xffffffff past end of file"));

        /* The last string loses its terminator. */
        craft(&k, false, keys, values, 2);
        assert_int_equal(nvct_ldcache_parse(k.b, k.len - 1, "x", &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "entry 1: value at offset"));
        assert_non_null(strstr(err.msg, "is not terminated"));

        /* Huge counts, in both layouts. */
        craft(&k, false, keys, values, 2);
        put32(k.b + 20, 0xffffffff, false);
        assert_int_equal(nvct_ldcache_parse(k.b, k.len, "x", &c, &err), -EINVAL);
        assert_string_equal(err.msg, "x: entry count 4294967295 exceeds the limit of 262144");
        put32(k.b + 20, 1000, false);
        assert_int_equal(nvct_ldcache_parse(k.b, k.len, "x", &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "x: entry count 1000 needs 24000 bytes but only"));

        unsigned char old[32] = "ld.so-1.7.0";
        put32(old + 12, 100, false);
        assert_int_equal(nvct_ldcache_parse(old, sizeof(old), "x", &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "entry count 100 needs 1200 bytes but only 16 remain"));

        /* An empty key, a bad version and an invalid byte-order mark. */
        craft(&k, false, keys, values, 2);
        put32(k.b + 48 + 4, 30, false); /* a padding byte of the header */
        assert_int_equal(nvct_ldcache_parse(k.b, k.len, "x", &c, &err), -EINVAL);
        assert_string_equal(err.msg, "x: entry 0: empty key");
        craft(&k, false, keys, values, 2);
        memcpy(k.b + 17, "2.0", 3);
        assert_int_equal(nvct_ldcache_parse(k.b, k.len, "x", &c, &err), -EPROTONOSUPPORT);
        assert_string_equal(err.msg, "x: unsupported cache version \"2.0\"");
        craft(&k, false, keys, values, 2);
        k.b[28] = 1;
        assert_int_equal(nvct_ldcache_parse(k.b, k.len, "x", &c, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "byte order"));
        assert_null(c);
}

/* The compat layout: an old table whose strings hide a new-format cache at the next 8-byte boundary. */
static void test_crafted_compat_and_old(void **state) {
        (void) state;
        Crafted k;
        unsigned char b[2048] = "ld.so-1.7.0";
        NvctError err = NVCT_ERROR_INIT;

        craft(&k, false, keys, values, 2);
        put32(b + 12, 1, false);      /* one old entry: table ends at 28, new header at 32 */
        put32(b + 16, 0x0303, false);
        memcpy(b + 32, k.b, k.len);
        /* Old string offsets count from the end of the old table (28); make them name the same strings. */
        uint32_t key0 = 32 + 48 + 48 - 28;
        put32(b + 20, key0, false);
        put32(b + 24, key0 + (uint32_t) strlen(keys[0]) + 1, false);

        _cleanup_ldcache_ NvctLdcache *c = NULL;
        assert_int_equal(nvct_ldcache_parse(b, 32 + k.len, "x", &c, &err), 0);
        assert_int_equal(c->format, NVCT_LDCACHE_FORMAT_COMPAT);
        assert_int_equal(c->n_entries, 2);
        assert_string_equal(c->entries[0].value, "/usr/lib/libcuda.so.1");

        /* Destroy the hidden header: what remains is an old-only cache with one entry. */
        memset(b + 32, 'x', 17);
        _cleanup_ldcache_ NvctLdcache *o = NULL;
        assert_int_equal(nvct_ldcache_parse(b, 32 + k.len, "x", &o, &err), 0);
        assert_int_equal(o->format, NVCT_LDCACHE_FORMAT_OLD);
        assert_int_equal(o->n_entries, 1);
        assert_string_equal(o->entries[0].key, "libcuda.so.1");
        assert_string_equal(o->entries[0].value, "/usr/lib/libcuda.so.1");
}

static void test_read_fd_refuses_non_regular(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        NvctLdcache *c = NULL;
        _cleanup_close_ int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_true(nvct_ldcache_read_fd(fd, "dir", &c, &err) < 0);
        assert_string_equal(err.msg, "dir: not a regular file");
        assert_null(c);
}

static void test_arch(void **state) {
        (void) state;
        uint32_t a = 0xffff;
#if defined(__x86_64__) && !defined(__ILP32__)
        assert_int_equal(nvct_ldcache_arch(false, &a), 0);
        assert_int_equal(a, NVCT_LDCACHE_ARCH_X86_64);
        assert_int_equal(nvct_ldcache_arch(true, &a), 0);
        assert_int_equal(a, NVCT_LDCACHE_ARCH_NONE);
#else
        (void) nvct_ldcache_arch(false, &a);
#endif
        assert_string_equal(nvct_ldcache_format_name(NVCT_LDCACHE_FORMAT_COMPAT), "compat");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_real_new),
                cmocka_unit_test(test_real_compat),
                cmocka_unit_test(test_real_old),
                cmocka_unit_test(test_truncated),
                cmocka_unit_test(test_empty_and_garbage),
                cmocka_unit_test(test_crafted_byte_orders),
                cmocka_unit_test(test_hostile),
                cmocka_unit_test(test_crafted_compat_and_old),
                cmocka_unit_test(test_read_fd_refuses_non_regular),
                cmocka_unit_test(test_arch),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
