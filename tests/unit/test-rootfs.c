/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Table-driven tests for the in-root resolver, in the manner of the kernel's openat2 resolve_test.c. The same
 * table runs with openat2, with the forced userspace walk, and in children whose seccomp filter makes openat2
 * fail with ENOSYS or EPERM (which the resolver must detect on its own).
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rootfs.h"

typedef enum Op {
        OP_OPEN,          /* O_PATH */
        OP_OPEN_RD,       /* O_RDONLY|O_NONBLOCK */
        OP_OPEN_NOFOLLOW, /* O_PATH + ROOTFS_NOFOLLOW */
        OP_OPEN_DIR,      /* O_PATH + ROOTFS_DIRECTORY */
        OP_PARENT,        /* rootfs_open_parent without MKDIR_PARENTS; expect is the parent */
        OP_MKDIR_P,
        OP_CREATE_FILE,
        OP_CREATE_DIR,
        OP_SYMLINK,       /* target "nvct-target"; expect is where the link must be */
} Op;

typedef struct Row {
        Op op;
        const char *path;
        const char *expect; /* in-root path; "@" expands to the outside dir, "$" to our pid */
        int error;          /* expected errno instead */
        int error2;         /* an equally acceptable errno (EACCES before ELOOP for another process's links) */
        bool exists;        /* create ops: the object already existed */
        const char *cleanup;
        bool magic;         /* needs procfs mounted at <root>/proc */
} Row;

#define ROW(op, path, expect, error, exists, cleanup, magic) { op, path, expect, error, 0, exists, cleanup, magic }

#define CANARY "nvct-rootfs-canary"

static char root_path[PATH_MAX], outside[PATH_MAX];
static int root_fd = -EBADF;
static bool proc_mounted;
static char long_ok[PATH_MAX], long_bad[PATH_MAX + 2], comp255[300], comp256[300], mid256[320];

static const Row table[] = {
        /* plain and root-relative */
        ROW(OP_OPEN, "", "/", 0, false, NULL, false),
        ROW(OP_OPEN, "/", "/", 0, false, NULL, false),
        ROW(OP_OPEN, ".", "/", 0, false, NULL, false),
        ROW(OP_OPEN, "..", "/", 0, false, NULL, false),
        ROW(OP_OPEN, "/etc/passwd", "/etc/passwd", 0, false, NULL, false),
        ROW(OP_OPEN_RD, "etc/passwd", "/etc/passwd", 0, false, NULL, false),
        ROW(OP_OPEN, "missing", NULL, ENOENT, false, NULL, false),
        ROW(OP_OPEN, "missing/x", NULL, ENOENT, false, NULL, false),
        ROW(OP_OPEN, "etc/passwd/x", NULL, ENOTDIR, false, NULL, false),
        ROW(OP_OPEN, "etc/passwd/", NULL, ENOTDIR, false, NULL, false),
        ROW(OP_OPEN_DIR, "etc/passwd", NULL, ENOTDIR, false, NULL, false),
        ROW(OP_OPEN_DIR, "usr/bin", "/tmp", 0, false, NULL, false),
        /* ".." chains are clamped at the root */
        ROW(OP_OPEN, "../../../etc/passwd", "/etc/passwd", 0, false, NULL, false),
        ROW(OP_OPEN, "/usr/../../../etc", "/etc", 0, false, NULL, false),
        ROW(OP_OPEN, "dotdot", "/etc", 0, false, NULL, false),
        ROW(OP_OPEN, "usr/lib/x86_64-linux-gnu", "/etc", 0, false, NULL, false),
        ROW(OP_OPEN, "usr/lib/x86_64-linux-gnu/passwd", "/etc/passwd", 0, false, NULL, false),
        /* absolute links restart at the root */
        ROW(OP_OPEN, "usr/bin", "/tmp", 0, false, NULL, false),
        ROW(OP_OPEN, "usr/bin/../etc", "/etc", 0, false, NULL, false),
        ROW(OP_OPEN, "abs-outside", "@", 0, false, NULL, false),
        ROW(OP_OPEN, "dangling", NULL, ENOENT, false, NULL, false),
        /* final-component symlinks */
        ROW(OP_OPEN, "etc/link-to-passwd", "/etc/passwd", 0, false, NULL, false),
        ROW(OP_OPEN_NOFOLLOW, "etc/link-to-passwd", NULL, ELOOP, false, NULL, false),
        ROW(OP_OPEN_NOFOLLOW, "usr/bin/../etc", "/etc", 0, false, NULL, false),
        ROW(OP_OPEN_NOFOLLOW, "usr/bin/", "/tmp", 0, false, NULL, false),
        ROW(OP_OPEN_NOFOLLOW, "dangling", NULL, ELOOP, false, NULL, false),
        /* loops and chains: 40 links are allowed, 41 are not */
        ROW(OP_OPEN, "loop-a", NULL, ELOOP, false, NULL, false),
        ROW(OP_OPEN, "loop-b/x", NULL, ELOOP, false, NULL, false),
        ROW(OP_OPEN, "c40-0", "/etc", 0, false, NULL, false),
        ROW(OP_OPEN, "c41-0", NULL, ELOOP, false, NULL, false),
        ROW(OP_OPEN, "c1k-0", NULL, ELOOP, false, NULL, false),
        /* magic links are refused, plain procfs links are not */
        ROW(OP_OPEN, "self-root", NULL, ELOOP, false, NULL, true),
        ROW(OP_OPEN, "self-root/etc/passwd", NULL, ELOOP, false, NULL, true),
        { OP_OPEN, "pid1-root/etc", NULL, ELOOP, EACCES, false, NULL, true },
        ROW(OP_OPEN, "self-cwd", NULL, ELOOP, false, NULL, true),
        ROW(OP_OPEN, "/proc/self/root", NULL, ELOOP, false, NULL, true),
        ROW(OP_OPEN, "/proc/self/fd/0", NULL, ELOOP, false, NULL, true),
        ROW(OP_OPEN_NOFOLLOW, "/proc/self/cwd", NULL, ELOOP, false, NULL, true),
        ROW(OP_OPEN_RD, "proc-self/status", "/proc/$/status", 0, false, NULL, true),
        ROW(OP_CREATE_FILE, "self-root/" CANARY, NULL, ELOOP, false, NULL, true),
        { OP_MKDIR_P, "pid1-root/tmp/x", NULL, ELOOP, EACCES, false, NULL, true },
        /* parents */
        ROW(OP_PARENT, "usr/bin/x", "/tmp", 0, false, NULL, false),
        ROW(OP_PARENT, "dotdot/x/", "/etc", 0, false, NULL, false),
        ROW(OP_PARENT, "/", "/", 0, false, NULL, false),
        ROW(OP_PARENT, "a/..", NULL, EINVAL, false, NULL, false),
        ROW(OP_PARENT, "missing/x", NULL, ENOENT, false, NULL, false),
        ROW(OP_PARENT, "loop-a/x", NULL, ELOOP, false, NULL, false),
        /* mkdir -p */
        ROW(OP_MKDIR_P, "m1/m2/m3", "/m1/m2/m3", 0, false, "/m1", false),
        ROW(OP_MKDIR_P, "usr/bin/m4/m5", "/tmp/m4/m5", 0, false, "/tmp/m4", false),
        ROW(OP_MKDIR_P, "etc", "/etc", 0, false, NULL, false),
        ROW(OP_MKDIR_P, "dangling-dir/x", NULL, ENOENT, false, NULL, false),
        ROW(OP_MKDIR_P, "etc/passwd/x", NULL, ENOTDIR, false, NULL, false),
        ROW(OP_MKDIR_P, "c41-0/x", NULL, ELOOP, false, NULL, false),
        /* files: created relative to a parent fd, never through a final symlink */
        ROW(OP_CREATE_FILE, "usr/bin/" CANARY, "/tmp/" CANARY, 0, false, "/tmp/" CANARY, false),
        ROW(OP_CREATE_FILE, "dotdot/newfile", "/etc/newfile", 0, false, "/etc/newfile", false),
        ROW(OP_CREATE_FILE, "abs-outside/" CANARY, "@/" CANARY, 0, false, "@/" CANARY, false),
        ROW(OP_CREATE_FILE, "new-parent/a/b/file", "/new-parent/a/b/file", 0, false, "/new-parent", false),
        ROW(OP_CREATE_FILE, "etc/passwd", "/etc/passwd", 0, true, NULL, false),
        ROW(OP_CREATE_FILE, "dangling", NULL, ELOOP, false, NULL, false),
        ROW(OP_CREATE_FILE, "dangling-dir/" CANARY, NULL, ENOENT, false, NULL, false),
        ROW(OP_CREATE_FILE, "etc/link-to-passwd", NULL, ELOOP, false, NULL, false),
        ROW(OP_CREATE_FILE, "etc", NULL, EEXIST, false, NULL, false),
        ROW(OP_CREATE_FILE, ".", NULL, EEXIST, false, NULL, false),
        ROW(OP_CREATE_FILE, "a/..", NULL, EINVAL, false, NULL, false),
        ROW(OP_CREATE_FILE, "loop-a/x", NULL, ELOOP, false, NULL, false),
        ROW(OP_CREATE_FILE, "etc/passwd/x", NULL, ENOTDIR, false, NULL, false),
        /* directories */
        ROW(OP_CREATE_DIR, "usr/bin/newd", "/tmp/newd", 0, false, "/tmp/newd", false),
        ROW(OP_CREATE_DIR, "etc", "/etc", 0, true, NULL, false),
        ROW(OP_CREATE_DIR, "dangling", NULL, ELOOP, false, NULL, false),
        ROW(OP_CREATE_DIR, "etc/passwd", NULL, EEXIST, false, NULL, false),
        /* symlinks land where their (symlinked) parent resolves */
        ROW(OP_SYMLINK, "usr/bin/newlink", "/tmp/newlink", 0, false, "/tmp/newlink", false),
        ROW(OP_SYMLINK, "sym-parent/lib/newlink", "/usr/lib/newlink", 0, false, "/usr/lib/newlink", false),
        ROW(OP_SYMLINK, "etc", NULL, EISDIR, false, NULL, false),
        ROW(OP_SYMLINK, "/", NULL, EISDIR, false, NULL, false),
        ROW(OP_SYMLINK, "missing/x", NULL, ENOENT, false, NULL, false),
        /* length limits, never truncated (the long paths are filled in at setup) */
        ROW(OP_OPEN, long_ok, "/", 0, false, NULL, false),
        ROW(OP_OPEN, long_bad, NULL, ENAMETOOLONG, false, NULL, false),
        ROW(OP_CREATE_FILE, long_bad, NULL, ENAMETOOLONG, false, NULL, false),
        ROW(OP_MKDIR_P, long_bad, NULL, ENAMETOOLONG, false, NULL, false),
        ROW(OP_OPEN, comp255, NULL, ENOENT, false, NULL, false),
        ROW(OP_OPEN, comp256, NULL, ENAMETOOLONG, false, NULL, false),
        ROW(OP_OPEN, mid256, NULL, ENAMETOOLONG, false, NULL, false),
        ROW(OP_CREATE_FILE, comp256, NULL, ENAMETOOLONG, false, NULL, false),
        ROW(OP_MKDIR_P, mid256, NULL, ENAMETOOLONG, false, NULL, false),
        ROW(OP_SYMLINK, comp256, NULL, ENAMETOOLONG, false, NULL, false),
};

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw) {
        (void) st, (void) type, (void) ftw;
        return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

static void rm_rf(const char *p) {
        (void) nftw(p, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void expand(const char *in, char *out, size_t size) {
        size_t o = 0;
        for (const char *c = in; *c && o + 1 < size; c++) {
                int n = 0;
                if (*c == '@')
                        n = snprintf(out + o, size - o, "%s", outside);
                else if (*c == '$')
                        n = snprintf(out + o, size - o, "%d", (int) getpid());
                else
                        out[o++] = *c;
                if (n > 0)
                        o += (size_t) n;
        }
        out[MIN(o, size - 1)] = '\0';
}

/* Host path of an in-root path. */
static void host_path(const char *in_root, char *out, size_t size) {
        char e[PATH_MAX];
        expand(in_root, e, sizeof(e));
        snprintf(out, size, "%s%s", root_path, streq(e, "/") ? "" : e);
}

static size_t dir_entries(const char *path) {
        _cleanup_closedir_ DIR *d = opendir(path);
        size_t n = 0;
        if (!d)
                return SIZE_MAX;
        for (struct dirent *de; (de = readdir(d));)
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        n++;
        return n;
}

static int do_op(const Row *row, bool *created, NvctError *err) {
        _cleanup_free_ char *name = NULL;
        switch (row->op) {
        case OP_OPEN:
                return rootfs_open(root_fd, row->path, O_PATH, 0, err);
        case OP_OPEN_RD:
                return rootfs_open(root_fd, row->path, O_RDONLY | O_NONBLOCK, 0, err);
        case OP_OPEN_NOFOLLOW:
                return rootfs_open(root_fd, row->path, O_PATH, ROOTFS_NOFOLLOW, err);
        case OP_OPEN_DIR:
                return rootfs_open(root_fd, row->path, O_PATH, ROOTFS_DIRECTORY, err);
        case OP_PARENT:
                return rootfs_open_parent(root_fd, row->path, 0, &name, err);
        case OP_MKDIR_P:
                return rootfs_mkdir_p(root_fd, row->path, 0755, err);
        case OP_CREATE_FILE:
                return rootfs_create_file(root_fd, row->path, 0644, created, err);
        case OP_CREATE_DIR:
                return rootfs_create_dir(root_fd, row->path, 0755, created, err);
        case OP_SYMLINK: {
                int r = rootfs_symlink(root_fd, "nvct-target", row->path, 0, err);
                return r < 0 ? r : dup(root_fd);
        }
        }
        return -EINVAL;
}

static int check_row(const Row *row, int r, bool created, const NvctError *err) {
        char want[PATH_MAX], got[PATH_MAX];

        if (row->error) {
                bool match = r == -row->error || (row->error2 && r == -row->error2);
                if (!match || err->code != -r || !strneq(err->msg, "rootfs ", 7)) {
                        fprintf(stderr, "# expected %s, got r=%d code=%d msg=\"%s\"\n", strerror(row->error), r,
                                err->code, err->msg);
                        return 1;
                }
                return 0;
        }
        if (r < 0) {
                fprintf(stderr, "# expected success, got %s\n", err->msg);
                return 1;
        }
        host_path(row->expect, want, sizeof(want));
        if (row->op == OP_SYMLINK) {
                ssize_t n = readlink(want, got, sizeof(got) - 1);
                got[n < 0 ? 0 : n] = '\0';
                if (!streq(got, "nvct-target")) {
                        fprintf(stderr, "# no link at %s\n", want);
                        return 1;
                }
                return 0;
        }
        if (fd_get_path(r, got, sizeof(got)) < 0 || !streq(got, want)) {
                fprintf(stderr, "# resolved to %s, expected %s\n", got, want);
                return 1;
        }
        if ((row->op == OP_CREATE_FILE || row->op == OP_CREATE_DIR) && created == row->exists) {
                fprintf(stderr, "# created=%d, expected %d\n", created, !row->exists);
                return 1;
        }
        return 0;
}

/* Runs the table; returns the number of failed rows (reported on stderr). */
static int run_table(const char *mode) {
        int failures = 0;

        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                const Row *row = &table[i];
                NvctError err = NVCT_ERROR_INIT;
                bool created = false;

                if (row->magic && !proc_mounted)
                        continue;
                int r = do_op(row, &created, &err);
                int bad = check_row(row, r, created, &err);
                if (r >= 0)
                        close(r);
                if (row->cleanup) {
                        char p[PATH_MAX];
                        host_path(row->cleanup, p, sizeof(p));
                        rm_rf(p);
                }
                /* Nothing may ever appear outside the root. */
                char canary[PATH_MAX];
                snprintf(canary, sizeof(canary), "/tmp/%s", CANARY);
                if (dir_entries(outside) != 0 || access(canary, F_OK) == 0 || access("/nvct-dangling-dir", F_OK) == 0 ||
                    access("/nonexistent-host-file", F_OK) == 0) {
                        fprintf(stderr, "# ESCAPE after row %zu\n", i);
                        bad = 1;
                }
                if (bad) {
                        fprintf(stderr, "# [%s] row %zu op %d path \"%.80s\" failed\n", mode, i, row->op, row->path);
                        failures++;
                }
        }
        return failures;
}

static void mk(const char *rel, bool dir) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", root_path, rel);
        if (dir)
                assert_int_equal(mkdir(p, 0755), 0);
        else {
                int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                assert_true(fd >= 0);
                close(fd);
        }
}

static void ln(const char *target, const char *rel) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", root_path, rel);
        assert_int_equal(symlink(target, p), 0);
}

static void chain(const char *prefix, unsigned n) {
        for (unsigned i = 0; i < n; i++) {
                char name[64], next[64];
                snprintf(name, sizeof(name), "%s-%u", prefix, i);
                snprintf(next, sizeof(next), "%s-%u", prefix, i + 1);
                ln(i + 1 == n ? "/etc" : next, name);
        }
}

static int setup(void **state) {
        (void) state;
        char tmpl[] = "/tmp/nvct-test-rootfs-XXXXXX", otmpl[] = "/tmp/nvct-test-outside-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        assert_non_null(mkdtemp(otmpl));
        assert_non_null(realpath(tmpl, root_path));
        assert_non_null(realpath(otmpl, outside));

        mk("etc", true);
        mk("etc/passwd", false);
        mk("tmp", true);
        mk("usr", true);
        mk("usr/lib", true);
        mk("proc", true);
        ln("/tmp", "usr/bin");
        ln("../../../../../../etc", "dotdot");
        ln("../../../../../../../etc", "usr/lib/x86_64-linux-gnu");
        ln(outside, "abs-outside");
        char mirror[PATH_MAX];
        snprintf(mirror, sizeof(mirror), "mkdir -p '%s%s'", root_path, outside);
        assert_int_equal(system(mirror), 0);
        ln("/nonexistent-host-file", "dangling");
        ln("/nvct-dangling-dir/sub", "dangling-dir");
        ln("passwd", "etc/link-to-passwd");
        ln("usr", "sym-parent");
        ln("loop-a", "loop-a");
        ln("loop-c", "loop-b");
        ln("loop-b", "loop-c");
        ln("/proc/self/root", "self-root");
        ln("/proc/1/root", "pid1-root");
        ln("/proc/self/cwd/..", "self-cwd");
        ln("/proc/self", "proc-self");
        chain("c40", 40);
        chain("c41", 41);
        chain("c1k", 1000);

        size_t o = 0;
        while (o + 2 < PATH_MAX - 1) {
                memcpy(long_ok + o, "./", 2);
                o += 2;
        }
        long_ok[o++] = '.';
        long_ok[o] = '\0';
        assert_int_equal(strlen(long_ok), PATH_MAX - 1);
        for (o = 0; o < PATH_MAX; o += 2)
                memcpy(long_bad + o, "./", 2);
        long_bad[PATH_MAX] = '\0';
        memset(comp255, 'x', 255);
        memset(comp256, 'x', 256);
        snprintf(mid256, sizeof(mid256), "etc/%s/y", comp256);

        /* A live procfs inside the root makes /proc/<pid>/root reachable, as in a real container. */
        if (geteuid() == 0 && unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0) {
                char p[PATH_MAX];
                snprintf(p, sizeof(p), "%s/proc", root_path);
                proc_mounted = mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0;
        }
        if (!proc_mounted)
                fprintf(stderr, "# procfs not mounted in the fixture: magic-link rows skipped\n");

        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(rootfs_open_root(root_path, &root_fd, &err), 0);
        return 0;
}

static int teardown(void **state) {
        (void) state;
        char p[PATH_MAX];
        if (root_fd >= 0)
                close(root_fd);
        if (proc_mounted) {
                snprintf(p, sizeof(p), "%s/proc", root_path);
                (void) umount2(p, MNT_DETACH);
        }
        rm_rf(root_path);
        rm_rf(outside);
        return 0;
}

static void test_table_openat2(void **state) {
        (void) state;
        rootfs_force_fallback(false);
        assert_true(rootfs_have_openat2());
        assert_int_equal(run_table("openat2"), 0);
}

static void test_table_fallback(void **state) {
        (void) state;
        rootfs_force_fallback(true);
        assert_int_equal(run_table("fallback"), 0);
        rootfs_force_fallback(false);
}

/* The child inherits "openat2 works" from the parent's probe; the filter must still be noticed. */
static void table_under_seccomp(int e, const char *mode) {
        rootfs_force_fallback(false);
        assert_true(rootfs_have_openat2());
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
                if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t) e), SCMP_SYS(openat2), 0) < 0 ||
                    seccomp_load(ctx) < 0)
                        _exit(200);
                int failures = run_table(mode);
                if (rootfs_have_openat2()) {
                        fprintf(stderr, "# [%s] openat2 still reported as usable\n", mode);
                        failures++;
                }
                _exit(MIN(failures, 199));
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_table_seccomp_enosys(void **state) {
        (void) state;
        table_under_seccomp(ENOSYS, "seccomp-ENOSYS");
}

static void test_table_seccomp_eperm(void **state) {
        (void) state;
        table_under_seccomp(EPERM, "seccomp-EPERM");
}

static void test_messages(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(rootfs_open(root_fd, "/loop-a", O_PATH, 0, &err), -ELOOP);
        assert_string_equal(err.msg, "rootfs /loop-a: Too many levels of symbolic links");
        nvct_error_clear(&err);
        assert_int_equal(rootfs_open(root_fd, "usr/lib/x86_64-linux-gnu/missing", O_PATH, 0, &err), -ENOENT);
        assert_string_equal(err.msg, "rootfs /usr/lib/x86_64-linux-gnu/missing: No such file or directory");
        nvct_error_clear(&err);
        assert_int_equal(rootfs_open(root_fd, "etc/passwd", O_CREAT | O_RDWR, 0, &err), -EINVAL);
}

static void test_parent_name(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        char *name = NULL, got[PATH_MAX], want[PATH_MAX];
        int fd = rootfs_open_parent(root_fd, "/usr/bin/ldconfig//", 0, &name, &err);
        assert_true(fd >= 0);
        assert_string_equal(name, "ldconfig");
        snprintf(want, sizeof(want), "%s/tmp", root_path);
        assert_true(fd_get_path(fd, got, sizeof(got)) > 0);
        assert_string_equal(got, want);
        close(fd);
        free(name);
        name = NULL;
        fd = rootfs_open_parent(root_fd, "/", 0, &name, &err);
        assert_true(fd >= 0);
        assert_string_equal(name, ".");
        close(fd);
        free(name);
        name = NULL;
        fd = rootfs_open_parent(root_fd, "nvct-p1/nvct-p2/f", ROOTFS_MKDIR_PARENTS, &name, &err);
        assert_true(fd >= 0);
        snprintf(want, sizeof(want), "%s/nvct-p1/nvct-p2", root_path);
        assert_true(fd_get_path(fd, got, sizeof(got)) > 0);
        assert_string_equal(got, want);
        close(fd);
        free(name);
        snprintf(want, sizeof(want), "%s/nvct-p1", root_path);
        rm_rf(want);
}

static void test_symlink_replace_and_unlink(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        char p[PATH_MAX], got[PATH_MAX];
        snprintf(p, sizeof(p), "%s/tmp", root_path);
        size_t before = dir_entries(p);
        snprintf(p, sizeof(p), "%s/tmp/replace-me", root_path);

        assert_int_equal(rootfs_symlink(root_fd, "one", "usr/bin/replace-me", 0, &err), 0);
        assert_int_equal(rootfs_symlink(root_fd, "two", "usr/bin/replace-me", 0, &err), 0);
        ssize_t n = readlink(p, got, sizeof(got) - 1);
        assert_true(n == 3);
        got[n] = '\0';
        assert_string_equal(got, "two");
        /* No temporary names left behind. */
        snprintf(p, sizeof(p), "%s/tmp", root_path);
        assert_int_equal(dir_entries(p), before + 1);

        /* unlink removes the link itself, never its target; a missing path is not an error. */
        assert_int_equal(rootfs_unlink(root_fd, "usr/bin/replace-me", false, &err), 0);
        assert_int_equal(dir_entries(p), before);
        assert_int_equal(rootfs_unlink(root_fd, "usr/bin/replace-me", false, &err), 0);
        assert_int_equal(rootfs_unlink(root_fd, "missing/x", false, &err), 0);
        assert_int_equal(rootfs_unlink(root_fd, "/", true, &err), -EBUSY);

        bool created = false;
        int fd = rootfs_create_dir(root_fd, "usr/bin/gone", 0755, &created, &err);
        assert_true(fd >= 0 && created);
        close(fd);
        assert_int_equal(rootfs_unlink(root_fd, "usr/bin/gone", true, &err), 0);
        assert_int_equal(dir_entries(p), before);
        snprintf(p, sizeof(p), "%s/etc/link-to-passwd", root_path);
        assert_int_equal(rootfs_unlink(root_fd, "etc/link-to-passwd", false, &err), 0);
        snprintf(got, sizeof(got), "%s/etc/passwd", root_path);
        assert_int_equal(access(got, F_OK), 0);
        assert_int_equal(symlink("passwd", p), 0);
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* While a child swaps a directory with a symlink to the outside, files created through it must stay inside. */
static void race(bool fallback) {
        char r2[] = "/tmp/nvct-race-XXXXXX", o2[] = "/tmp/nvct-race-out-XXXXXX", p[PATH_MAX], q[PATH_MAX];
        assert_non_null(mkdtemp(r2));
        assert_non_null(mkdtemp(o2));
        snprintf(p, sizeof(p), "%s/d", r2);
        assert_int_equal(mkdir(p, 0755), 0);
        snprintf(q, sizeof(q), "%s/l", r2);
        assert_int_equal(symlink(o2, q), 0);
        char mirror[PATH_MAX + 32];
        snprintf(mirror, sizeof(mirror), "mkdir -p '%s%s'", r2, o2);
        assert_int_equal(system(mirror), 0);

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                double end = now() + 1.0;
                while (now() < end)
                        (void) renameat2(AT_FDCWD, p, AT_FDCWD, q, RENAME_EXCHANGE);
                _exit(0);
        }

        rootfs_force_fallback(fallback);
        int rfd = -EBADF;
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(rootfs_open_root(r2, &rfd, &err), 0);
        unsigned ok = 0, failed = 0;
        for (unsigned i = 0; waitpid(pid, NULL, WNOHANG) == 0; i++) {
                char name[64];
                bool created;
                snprintf(name, sizeof(name), "d/f%u", i);
                nvct_error_clear(&err);
                int fd = rootfs_create_file(rfd, name, 0644, &created, &err);
                if (fd >= 0) {
                        ok++;
                        close(fd);
                } else
                        failed++;
        }
        close(rfd);
        rootfs_force_fallback(false);

        size_t escapes = dir_entries(o2);
        snprintf(mirror, sizeof(mirror), "%s%s", r2, o2);
        size_t inside = dir_entries(mirror);
        struct stat st;
        inside += dir_entries(lstat(p, &st) == 0 && S_ISDIR(st.st_mode) ? p : q);
        fprintf(stderr, "# race (%s): %u created, %u failed, %zu inside, %zu escaped\n",
                fallback ? "fallback" : "openat2", ok, failed, inside, escapes);
        rm_rf(r2);
        rm_rf(o2);
        assert_int_equal(escapes, 0);
        assert_true(ok > 0);
        assert_int_equal(inside, ok);
}

static void test_race_openat2(void **state) {
        (void) state;
        race(false);
}

static void test_race_fallback(void **state) {
        (void) state;
        race(true);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_table_openat2),
                cmocka_unit_test(test_table_fallback),
                cmocka_unit_test(test_table_seccomp_enosys),
                cmocka_unit_test(test_table_seccomp_eperm),
                cmocka_unit_test(test_messages),
                cmocka_unit_test(test_parent_name),
                cmocka_unit_test(test_symlink_replace_and_unlink),
                cmocka_unit_test(test_race_openat2),
                cmocka_unit_test(test_race_fallback),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
