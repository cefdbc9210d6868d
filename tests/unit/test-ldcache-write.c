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
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "ldcache-write.h"
#include "rootfs.h"

/*
 * Every case builds a small root with real libraries (gcc) and a cache from the host's ldconfig, then compares
 * what `ldconfig -r COPY DIRS` writes with what nvct_ldcache_update writes, through `ldconfig -p`.
 *
 * Run with "--update ROOT [--repeat N] DIR..." the binary is the integration test's driver instead: it updates
 * ROOT's cache (N times, reporting the median wall time in microseconds) and prints the counters.
 */

static char tmp[] = "/tmp/nvct-test-ldcw.XXXXXX";
static bool have_m32;

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...) {
        char cmd[8192];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd);
}

static char *sh_out(const char *fmt, ...) _printf_(1, 2);
static char *sh_out(const char *fmt, ...) {
        char cmd[8192];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        FILE *f = popen(cmd, "r");
        assert_non_null(f);
        size_t cap = 4096, n = 0;
        char *out = malloc(cap);
        for (size_t k; (k = fread(out + n, 1, cap - n - 1, f)) > 0;) {
                n += k;
                if (cap - n < 2) {
                        cap *= 2;
                        out = realloc(out, cap);
                }
        }
        out[n] = '\0';
        pclose(f);
        return out;
}

/* Library objects, linked once per soname into $tmp/objs. */
static int setup(void **state) {
        (void) state;
        if (!mkdtemp(tmp))
                return -1;
        if (sh("cd %s && mkdir objs && printf 'int nvct_f(void) { return 1; }\\n' >f.c && "
               "gcc -shared -fPIC -Wl,-soname,libalpha.so.1 -o objs/alpha f.c && "
               "gcc -shared -fPIC -Wl,-soname,libbeta.so.2 -o objs/beta f.c && "
               "gcc -shared -fPIC -Wl,-soname,libcuda.so.1 -o objs/cuda f.c && "
               "gcc -shared -fPIC -o objs/nosoname f.c && "
               "gcc -shared -fPIC -Wl,-soname,libgamma.so.10 -o objs/gamma10 f.c && "
               "gcc -shared -fPIC -Wl,-soname,libgamma.so.9 -o objs/gamma9 f.c",
               tmp) != 0)
                return -1;
        /* alpha32 calls into libc, so it needs libc.so.6 (ldconfig's "libc6" type); bare32 does not ("ELF") */
        have_m32 = sh("cd %s && printf '#include <stdio.h>\\nint nvct_f(void) { return puts(\"x\"); }\\n' >g.c && "
                      "gcc -m32 -shared -fPIC -Wl,-soname,libalpha.so.1 -o objs/alpha32 g.c 2>/dev/null && "
                      "gcc -m32 -shared -fPIC -nostdlib -Wl,-soname,libbare.so.1 -o objs/bare32 f.c 2>/dev/null",
                      tmp) == 0;
        return 0;
}

static int teardown(void **state) {
        if (getenv("NVCT_TEST_KEEP"))
                return 0;
        (void) state;
        return sh("rm -rf %s", tmp) == 0 ? 0 : -1;
}

/*
 * A fresh root $tmp/NAME: merged /usr (lib -> usr/lib), ld.so.conf listing /usr/local/lib and the multiarch
 * dirs, one image library, and a cache from the real ldconfig. Then `extra` (shell, run in the root) adds what
 * the case injects, and the root is copied to NAME.a (real ldconfig) and NAME.b (ours).
 */
static void make_root(const char *name, const char *extra) {
        assert_int_equal(sh("set -e; R=%s/%s; O=%s/objs; rm -rf $R $R.a $R.b; "
                            "mkdir -p $R/etc/ld.so.conf.d $R/usr/lib/x86_64-linux-gnu $R/usr/lib/i386-linux-gnu "
                            "$R/usr/local/lib; ln -s usr/lib $R/lib; "
                            "printf 'include /etc/ld.so.conf.d/*.conf\\n' >$R/etc/ld.so.conf; "
                            "printf '/usr/local/lib\\n/lib/x86_64-linux-gnu\\n/usr/lib/x86_64-linux-gnu\\n"
                            "/usr/lib/i386-linux-gnu\\n' >$R/etc/ld.so.conf.d/x.conf; "
                            "cp $O/beta $R/usr/lib/x86_64-linux-gnu/libbeta.so.2.0; "
                            "ln -s libbeta.so.2.0 $R/usr/lib/x86_64-linux-gnu/libbeta.so.2; "
                            "cp $O/alpha $R/usr/local/lib/libalpha.so.1; "
                            "ldconfig -r $R; rm -rf $R/var; sleep 0.01; cd $R; %s",
                            tmp, name, tmp, extra),
                         0);
        assert_int_equal(sh("cp -a %s/%s %s/%s.a && cp -a %s/%s %s/%s.b", tmp, name, tmp, name, tmp, name, tmp,
                            name),
                         0);
}

static int update(const char *root, char *const *dirs, NvctLdcacheUpdateStats *stats, NvctError *err) {
        int root_fd = -EBADF;
        int r = rootfs_open_root(root, &root_fd, err);
        if (r < 0)
                return r;
        NvctLdcacheUpdateOpts opts = { .uid = (uid_t) -1, .gid = (gid_t) -1, .stats = stats };
        r = nvct_ldcache_update(root_fd, dirs, &opts, err);
        close(root_fd);
        return r;
}

/* The real ldconfig on NAME.a, ours on NAME.b; `ldconfig -p` of both must match line for line. */
static void compare(const char *name, const char *dirs_sh, char *const *dirs) {
        NvctError err = NVCT_ERROR_INIT;
        char root[256];

        assert_int_equal(sh("ldconfig -r %s/%s.a %s", tmp, name, dirs_sh), 0);
        snprintf(root, sizeof(root), "%s/%s.b", tmp, name);
        int r = update(root, dirs, NULL, &err);
        if (r < 0)
                fail_msg("update %s: %s", name, err.msg);
        _cleanup_free_ char *a = sh_out("ldconfig -p -C %s/%s.a/etc/ld.so.cache | sed 1s/cache.*//", tmp, name);
        _cleanup_free_ char *b = sh_out("ldconfig -p -C %s/%s.b/etc/ld.so.cache | sed 1s/cache.*//", tmp, name);
        if (!streq(a, b))
                fail_msg("%s: ldconfig -p differs\n--- ldconfig\n%s--- nvct\n%s", name, a, b);
        assert_int_equal(sh("ls -A %s/%s.b/etc | grep -q nvct", tmp, name) == 0, 0); /* no temp file left */
}

static void test_libcmp(void **state) {
        (void) state;
        assert_true(nvct_ldcache_libcmp("libfoo.so.10", "libfoo.so.9") > 0);
        assert_true(nvct_ldcache_libcmp("libfoo.so.9", "libfoo.so.10") < 0);
        assert_int_equal(nvct_ldcache_libcmp("libfoo.so.01", "libfoo.so.1"), 0);
        assert_true(nvct_ldcache_libcmp("libfoo.so", "libfoo.so.1") < 0);
        assert_true(nvct_ldcache_libcmp("lib1", "liba") > 0); /* a digit sorts after any other character */
        assert_true(nvct_ldcache_libcmp("liba", "lib1") < 0);
        assert_true(nvct_ldcache_libcmp("libb", "liba") > 0);
        assert_true(nvct_ldcache_libcmp("libx.so.4294967297", "libx.so.2") < 0); /* 32-bit wrap, as glibc */
        assert_true(nvct_ldcache_is_dso_name("libcuda.so.1"));
        assert_true(nvct_ldcache_is_dso_name("ld-linux-x86-64.so.2"));
        assert_true(nvct_ldcache_is_dso_name("ld.so.1"));
        assert_false(nvct_ldcache_is_dso_name("cuda.so.1"));
        assert_false(nvct_ldcache_is_dso_name("libcuda.a"));
}

/* The usual injection: versioned files with soname and .so links, a library without DT_SONAME, a linker
 * script, a non-ELF file, a symlink whose name is neither its soname nor a .so link, two sonames that differ
 * only in their number, and a duplicate directory spelled through the /lib symlink. */
static void test_inject_matches_ldconfig(void **state) {
        (void) state;
        make_root("inject",
                  "D=usr/lib/x86_64-linux-gnu O=../objs; "
                  "cp $O/cuda $D/libcuda.so.580.1; ln -s libcuda.so.580.1 $D/libcuda.so.1; "
                  "ln -s libcuda.so.1 $D/libcuda.so; cp $O/nosoname $D/libnosoname.so.3; "
                  "printf '/* GNU ld script */ GROUP ( libc.so.6 )\\n' >$D/libscript.so; echo junk >$D/libjunk.so.1; "
                  "ln -s libcuda.so.580.1 $D/libcuda-alias.so.7; cp $O/gamma10 $D/libgamma.so.10; "
                  "cp $O/gamma9 $D/libgamma.so.9; ln -s libnosoname.so.3 $D/libnosoname-x.so.5; "
                  "ln -s libnosoname.so.3 $D/libnosoname.so; mkdir $D/libdir.so.1; mkfifo $D/libfifo.so.1; "
                  "ln -s nowhere $D/libdangling.so");
        char *dirs[] = { (char *) "/usr/lib/x86_64-linux-gnu", (char *) "/lib/x86_64-linux-gnu", NULL };
        compare("inject", "/usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu", dirs);
}

/* A compat directory ahead of the injected one: both libcuda.so.1 entries, the compat one first. An extra
 * directory that exists only on our command line, and one that does not exist at all. */
static void test_compat_order(void **state) {
        (void) state;
        make_root("compat",
                  "O=../objs; mkdir -p usr/local/cuda/compat; cp $O/cuda usr/local/cuda/compat/libcuda.so.590.1; "
                  "ln -s libcuda.so.590.1 usr/local/cuda/compat/libcuda.so.1; "
                  "cp $O/cuda usr/lib/x86_64-linux-gnu/libcuda.so.580.1; "
                  "ln -s libcuda.so.580.1 usr/lib/x86_64-linux-gnu/libcuda.so.1; cp $O/alpha usr/local/lib/libalpha.so.1");
        char *dirs[] = { (char *) "/usr/local/cuda/compat", (char *) "/usr/lib/x86_64-linux-gnu/",
                         (char *) "/opt/missing", NULL };
        compare("compat", "/usr/local/cuda/compat /usr/lib/x86_64-linux-gnu /opt/missing", dirs);
}

/* A stale entry of the injected directory disappears; a kept directory's entries stay in place. */
static void test_replaces_stale_entries(void **state) {
        (void) state;
        make_root("stale", "rm usr/lib/x86_64-linux-gnu/libbeta.so.2*; cp ../objs/cuda usr/lib/x86_64-linux-gnu/libcuda.so.1");
        char *dirs[] = { (char *) "/usr/lib/x86_64-linux-gnu", NULL };
        NvctLdcacheUpdateStats st = {};
        compare("stale", "/usr/lib/x86_64-linux-gnu", dirs);
        char root[256];
        NvctError err = NVCT_ERROR_INIT;
        snprintf(root, sizeof(root), "%s/stale.b", tmp);
        assert_int_equal(update(root, dirs, &st, &err), 0);
        assert_int_equal(st.kept, 1);  /* libalpha from /usr/local/lib */
        assert_int_equal(st.added, 1); /* libcuda.so.1 */
        assert_int_equal(st.dirs, 1);
}

static void test_i386(void **state) {
        (void) state;
        if (!have_m32)
                skip();
        make_root("i386",
                  "D=usr/lib/i386-linux-gnu; cp ../objs/alpha32 $D/libalpha.so.1.0; ln -s libalpha.so.1.0 $D/libalpha.so.1; "
                  "cp ../objs/bare32 $D/libbare.so.1");
        char *dirs[] = { (char *) "/usr/lib/x86_64-linux-gnu", (char *) "/usr/lib/i386-linux-gnu", NULL };
        compare("i386", "/usr/lib/x86_64-linux-gnu /usr/lib/i386-linux-gnu", dirs);
        _cleanup_free_ char *p = sh_out("ldconfig -p -C %s/i386.b/etc/ld.so.cache", tmp);
        if (!strstr(p, "libalpha.so.1 (libc6) => /usr/lib/i386-linux-gnu/libalpha.so.1") ||
            !strstr(p, "libbare.so.1 (ELF) => /usr/lib/i386-linux-gnu/libbare.so.1"))
                fail_msg("32-bit entries missing:\n%s", p);
}

/* A glibc-hwcaps subdirectory in a kept directory: its entries and the extension section are carried over. */
static void test_hwcaps_carried_over(void **state) {
        (void) state;
        make_root("hwcaps", "mkdir -p usr/local/lib/glibc-hwcaps/x86-64-v2 && "
                            "cp ../objs/alpha usr/local/lib/glibc-hwcaps/x86-64-v2/libalpha.so.1 && "
                            "touch -d '2000-01-01' usr/local/lib/glibc-hwcaps/x86-64-v2 usr/local/lib/glibc-hwcaps usr/local/lib && "
                            "ldconfig -r . && rm -rf var && cp ../objs/cuda usr/lib/x86_64-linux-gnu/libcuda.so.1");
        char *dirs[] = { (char *) "/usr/lib/x86_64-linux-gnu", NULL };
        compare("hwcaps", "/usr/lib/x86_64-linux-gnu", dirs);
        _cleanup_free_ char *p = sh_out("ldconfig -p -C %s/hwcaps.b/etc/ld.so.cache", tmp);
        assert_non_null(strstr(p, "hwcap: \"x86-64-v2\""));
}

static void expect_unsupported(const char *name, const char *extra, char *const *dirs, const char *why) {
        NvctError err = NVCT_ERROR_INIT;
        char root[256];
        make_root(name, extra);
        snprintf(root, sizeof(root), "%s/%s.b", tmp, name);
        int r = update(root, dirs, NULL, &err);
        if (r != -EOPNOTSUPP)
                fail_msg("%s: expected EOPNOTSUPP, got %d (%s)", name, r, err.msg);
        if (!strstr(err.msg, why))
                fail_msg("%s: message \"%s\" lacks \"%s\"", name, err.msg, why);
        assert_int_equal(sh("ls -A %s/etc | grep -q nvct", root) == 0, 0);
}

static void test_hostile_and_unsupported(void **state) {
        (void) state;
        char *dirs[] = { (char *) "/usr/lib/x86_64-linux-gnu", NULL };
        expect_unsupported("h-symlink", "rm etc/ld.so.cache; ln -s /proc/1/root/etc/passwd etc/ld.so.cache", dirs,
                           "symlink");
        expect_unsupported("h-fifo", "rm etc/ld.so.cache; mkfifo etc/ld.so.cache", dirs, "not a regular file");
        expect_unsupported("h-huge", "truncate -s 10G etc/ld.so.cache", dirs, "limit");
        expect_unsupported("h-garbage", "head -c 4096 /dev/urandom >etc/ld.so.cache", dirs, "ld.so.cache");
        expect_unsupported("h-none", "rm etc/ld.so.cache", dirs, "no /etc/ld.so.cache");
        expect_unsupported("h-old", "ldconfig -c old -r .", dirs, "old-format");
        expect_unsupported("h-stale", "cp ../objs/gamma9 usr/local/lib/libgamma.so.9", dirs, "stale");
        expect_unsupported("h-conf", "echo /opt/lib >etc/ld.so.conf.d/y.conf", dirs, "stale");
        /* a configured directory without cache entries gets a library later: only ld.so.conf knows to look */
        expect_unsupported("h-newdir", "mkdir -p opt/new && cp ../objs/gamma9 opt/new/libgamma.so.9 && "
                                       "touch -d 2000-01-01 etc/ld.so.conf.d etc/ld.so.conf.d/x.conf opt && "
                                       "echo /opt/new >>etc/ld.so.conf.d/x.conf && touch -d 2000-01-01 etc/ld.so.conf.d/x.conf && "
                                       "ldconfig -r . && rm -rf var && sleep 0.01 && cp ../objs/beta opt/new/libbeta.so.2",
                           dirs, "/opt/new changed after");
        expect_unsupported("h-include", "echo 'include /etc/more/*.conf' >>etc/ld.so.conf && mkdir etc/more && "
                                        "echo /opt/inc >etc/more/a.conf && touch -d 2000-01-01 etc/more etc/more/a.conf && "
                                        "mkdir -p opt/inc && touch -d 2000-01-01 opt/inc opt && ldconfig -r . && rm -rf var && "
                                        "sleep 0.01 && cp ../objs/beta opt/inc/libbeta.so.2",
                           dirs, "/opt/inc changed after");
        expect_unsupported("h-nolink", "cp ../objs/cuda usr/lib/x86_64-linux-gnu/libcuda.so.580.1", dirs,
                           "would create the soname link");
        expect_unsupported("h-wronglink",
                           "cp ../objs/cuda usr/lib/x86_64-linux-gnu/libcuda.so.580.1; "
                           "cp ../objs/cuda usr/lib/x86_64-linux-gnu/libcuda.so.570.1; "
                           "ln -s libcuda.so.570.1 usr/lib/x86_64-linux-gnu/libcuda.so.1",
                           dirs, "would repoint");
        expect_unsupported("h-glibc-hwcaps", "mkdir -p usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3", dirs,
                           "glibc-hwcaps");
        expect_unsupported("h-tls", "mkdir usr/lib/x86_64-linux-gnu/tls", dirs, "hwcap");
        /* an entry whose flags say aarch64 (0x0a03): patch the x86-64 flags of the first entry */
        expect_unsupported("h-arch", "printf '\\003\\012' | dd of=etc/ld.so.cache bs=1 seek=48 conv=notrunc status=none",
                           dirs, "not an ABI of this machine");
        /* an extension section with an unknown tag: the generator section's tag becomes 7 */
        expect_unsupported("h-ext",
                           "off=$(od -An -tu4 -j32 -N4 etc/ld.so.cache | tr -d ' '); "
                           "printf '\\007' | dd of=etc/ld.so.cache bs=1 seek=$((off + 8)) conv=notrunc status=none",
                           dirs, "unknown extension");
}

/* The symlink planted as the cache is not followed, and nothing outside the root changes. */
static void test_hostile_targets_untouched(void **state) {
        (void) state;
        make_root("h-escape", "echo secret >../outside; rm etc/ld.so.cache; ln -s ../../../outside etc/ld.so.cache");
        char root[256];
        NvctError err = NVCT_ERROR_INIT;
        char *dirs[] = { (char *) "/usr/lib/x86_64-linux-gnu", NULL };
        snprintf(root, sizeof(root), "%s/h-escape.b", tmp);
        assert_int_equal(update(root, dirs, NULL, &err), -EOPNOTSUPP);
        _cleanup_free_ char *o = sh_out("cat %s/outside", tmp);
        assert_string_equal(o, "secret\n");
        /* /etc itself a symlink out of the root: the resolver keeps it inside, so the root has no /etc cache */
        make_root("h-etc", "mkdir ../fake-etc; cp etc/ld.so.cache ../fake-etc/; rm -rf etc; ln -s ../../fake-etc etc");
        snprintf(root, sizeof(root), "%s/h-etc.b", tmp);
        nvct_error_clear(&err);
        int r = update(root, dirs, NULL, &err);
        assert_true(r == -EOPNOTSUPP || r == 0);
        assert_int_equal(sh("ls -A %s/fake-etc | grep -q nvct", tmp) == 0, 0);
}

static void test_owner_and_mode(void **state) {
        (void) state;
        make_root("owner", "cp ../objs/cuda usr/lib/x86_64-linux-gnu/libcuda.so.1");
        char root[256];
        NvctError err = NVCT_ERROR_INIT;
        char *dirs[] = { (char *) "/usr/lib/x86_64-linux-gnu", NULL };
        snprintf(root, sizeof(root), "%s/owner.b", tmp);
        int root_fd = -EBADF;
        assert_int_equal(rootfs_open_root(root, &root_fd, &err), 0);
        NvctLdcacheUpdateOpts opts = { .uid = 1234, .gid = 5678 };
        assert_int_equal(nvct_ldcache_update(root_fd, dirs, &opts, &err), 0);
        close(root_fd);
        char path[300];
        struct stat st;
        snprintf(path, sizeof(path), "%s/etc/ld.so.cache", root);
        assert_int_equal(lstat(path, &st), 0);
        assert_true(S_ISREG(st.st_mode));
        assert_int_equal(st.st_mode & 07777, 0644);
        assert_int_equal(st.st_uid, 1234);
        assert_int_equal(st.st_gid, 5678);
        /* a second update over our own cache is stable */
        assert_int_equal(update(root, dirs, NULL, &err), 0);
}

static int cmp_long(const void *a, const void *b) {
        long x = *(const long *) a, y = *(const long *) b;
        return x < y ? -1 : x > y;
}

/* The integration test's driver: update ROOT's cache, optionally many times, and report. */
static int tool(int argc, char **argv) {
        int repeat = 1, i = 2;
        if (argc < 3)
                return 2;
        const char *root = argv[i++];
        if (i + 1 < argc && streq(argv[i], "--repeat")) {
                repeat = atoi(argv[i + 1]);
                i += 2;
        }
        if (repeat < 1 || repeat > 10000)
                return 2;
        long *us = calloc((size_t) repeat, sizeof(long));
        NvctLdcacheUpdateStats st = {};
        NvctError err = NVCT_ERROR_INIT;
        for (int k = 0; k < repeat; k++) {
                struct timespec a, b;
                clock_gettime(CLOCK_MONOTONIC, &a);
                int r = update(root, argv + i, &st, &err);
                clock_gettime(CLOCK_MONOTONIC, &b);
                if (r < 0) {
                        fprintf(stderr, "nvct_ldcache_update: %s\n", err.msg);
                        free(us);
                        return r == -EOPNOTSUPP ? 3 : 1;
                }
                us[k] = (b.tv_sec - a.tv_sec) * 1000000L + (b.tv_nsec - a.tv_nsec) / 1000L;
        }
        qsort(us, (size_t) repeat, sizeof(long), cmp_long);
        printf("kept=%zu dropped=%zu added=%zu dirs=%zu files=%zu median_us=%ld\n", st.kept, st.dropped, st.added,
               st.dirs, st.files_read, us[repeat / 2]);
        free(us);
        return 0;
}

int main(int argc, char **argv) {
        if (argc > 1 && streq(argv[1], "--update"))
                return tool(argc, argv);
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_libcmp),
                cmocka_unit_test(test_inject_matches_ldconfig),
                cmocka_unit_test(test_compat_order),
                cmocka_unit_test(test_replaces_stale_entries),
                cmocka_unit_test(test_i386),
                cmocka_unit_test(test_hwcaps_carried_over),
                cmocka_unit_test(test_hostile_and_unsupported),
                cmocka_unit_test(test_hostile_targets_untouched),
                cmocka_unit_test(test_owner_and_mode),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
