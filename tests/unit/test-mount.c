/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Mount-by-fd, as root in a private mount namespace: read-only binds and tmpfs files with the new mount API and
 * with the forced mount() fallback, and a tree cloned in one namespace and attached in another.
 */
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mount-util.h"
#include "rootfs.h"

static char base[PATH_MAX], root_path[PATH_MAX], src_path[PATH_MAX];
static int root_fd = -EBADF;
static bool usable;

static int rm_one(const char *p, const struct stat *st, int type, struct FTW *ftw) {
        (void) st, (void) type, (void) ftw;
        return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

static int setup(void **state) {
        (void) state;
        char tmpl[] = "/tmp/nvct-test-mount-XXXXXX";

        if (geteuid() != 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 0;
        assert_non_null(mkdtemp(tmpl));
        assert_non_null(realpath(tmpl, base));
        snprintf(root_path, sizeof(root_path), "%s/rootfs", base);
        snprintf(src_path, sizeof(src_path), "%s/libhost.so.1", base);
        assert_int_equal(mkdir(root_path, 0755), 0);
        FILE *f = fopen(src_path, "we");
        assert_non_null(f);
        fputs("host library\n", f);
        fclose(f);
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(rootfs_open_root(root_path, &root_fd, &err), 0);
        usable = true;
        return 0;
}

static int teardown(void **state) {
        (void) state;
        if (!usable)
                return 0;
        close(root_fd);
        (void) nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        return 0;
}

static void need_root(void) {
        if (!usable)
                skip();
}

static void read_host(const char *in_root, char *buf, size_t size) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s%s", root_path, in_root);
        buf[0] = '\0';
        int fd = open(p, O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        ssize_t n = read(fd, buf, size - 1);
        assert_true(n >= 0);
        buf[n] = '\0';
        close(fd);
}

static unsigned long vfs_flags(const char *in_root) {
        char p[PATH_MAX];
        struct statvfs sv;
        snprintf(p, sizeof(p), "%s%s", root_path, in_root);
        assert_int_equal(statvfs(p, &sv), 0);
        return sv.f_flag;
}

/* The mount point appears in mountinfo with these leading per-mount options. */
static bool in_mountinfo(const char *in_root, const char *opts) {
        char p[PATH_MAX], line[8192];
        bool found = false;
        snprintf(p, sizeof(p), " %s%s %s", root_path, in_root, opts);
        FILE *f = fopen("/proc/self/mountinfo", "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f))
                if (strstr(line, p))
                        found = true;
        fclose(f);
        return found;
}

static void bind_ro(bool fallback, const char *target) {
        NvctError err = NVCT_ERROR_INIT;
        bool created = false;
        char buf[256], p[PATH_MAX];

        mount_force_fallback(fallback);
        int tfd = rootfs_create_file(root_fd, target, 0644, &created, &err);
        assert_true(tfd >= 0);
        assert_true(created);
        int sfd = open(src_path, O_PATH | O_CLOEXEC);
        assert_true(sfd >= 0);

        int r = mount_bind_fd(sfd, tfd, MNT_F_RO | MNT_F_NOSUID | MNT_F_NODEV, target, &err);
        if (r < 0)
                fail_msg("mount_bind_fd: %s", err.msg);
        read_host(target, buf, sizeof(buf));
        assert_string_equal(buf, "host library\n");
        unsigned long fl = vfs_flags(target);
        assert_true(fl & ST_RDONLY);
        assert_true(fl & ST_NOSUID);
        assert_true(fl & ST_NODEV);
        assert_false(fl & ST_NOEXEC);
        assert_true(in_mountinfo(target, "ro,nosuid,nodev"));
        snprintf(p, sizeof(p), "%s%s", root_path, target);
        assert_int_equal(open(p, O_WRONLY | O_CLOEXEC), -1);
        assert_int_equal(errno, EROFS);
        /* The host file itself stays writable: only the bind is read-only. */
        assert_int_equal(access(src_path, W_OK), 0);

        assert_int_equal(umount_fd(tfd, target, &err), 0);
        read_host(target, buf, sizeof(buf));
        assert_string_equal(buf, "");
        assert_false(in_mountinfo(target, ""));
        nvct_error_clear(&err);
        assert_int_equal(umount_fd(tfd, target, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "nothing is mounted"));
        close(sfd);
        close(tfd);
        mount_force_fallback(false);
}

static void test_bind_new_api(void **state) {
        (void) state;
        need_root();
        assert_true(mount_have_new_api());
        bind_ro(false, "/usr/lib/libhost.so.1");
}

static void test_bind_fallback(void **state) {
        (void) state;
        need_root();
        bind_ro(true, "/usr/lib64/libhost.so.1");
}

static void test_bind_wrong_type(void **state) {
        (void) state;
        need_root();
        NvctError err = NVCT_ERROR_INIT;
        for (int fallback = 0; fallback < 2; fallback++) {
                mount_force_fallback(fallback);
                int tfd = rootfs_create_dir(root_fd, "/wrong-type", 0755, NULL, &err);
                assert_true(tfd >= 0);
                int sfd = open(src_path, O_PATH | O_CLOEXEC);
                assert_true(sfd >= 0);
                nvct_error_clear(&err);
                assert_true(mount_bind_fd(sfd, tfd, MNT_F_RO, "/wrong-type", &err) < 0);
                assert_non_null(strstr(err.msg, "/wrong-type"));
                assert_false(in_mountinfo("/wrong-type", ""));
                close(sfd);
                close(tfd);
        }
        mount_force_fallback(false);
}

static void tmpfs_files(bool fallback, const char *target) {
        NvctError err = NVCT_ERROR_INIT;
        char buf[256], p[PATH_MAX];
        struct stat st;
        const MountFile files[] = {
                { "a", "alpha\n", 6, 0444 },
                { "b", "bb", 2, 0640 },
                { "empty", NULL, 0, 0600 },
        };

        mount_force_fallback(fallback);
        int tfd = rootfs_mkdir_p(root_fd, target, 0755, &err);
        assert_true(tfd >= 0);
        int r = mount_tmpfs_files(tfd, 0711, files, ELEMENTSOF(files), MNT_F_NOSUID | MNT_F_NODEV | MNT_F_NOEXEC,
                                  target, &err);
        if (r < 0)
                fail_msg("mount_tmpfs_files: %s", err.msg);
        snprintf(p, sizeof(p), "%s/a", target);
        read_host(p, buf, sizeof(buf));
        assert_string_equal(buf, "alpha\n");
        snprintf(p, sizeof(p), "%s/b", target);
        read_host(p, buf, sizeof(buf));
        assert_string_equal(buf, "bb");

        snprintf(p, sizeof(p), "%s%s/b", root_path, target);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        snprintf(p, sizeof(p), "%s%s/empty", root_path, target);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_size, 0);
        assert_int_equal(st.st_mode & 07777, 0600);
        snprintf(p, sizeof(p), "%s%s", root_path, target);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0711);

        unsigned long fl = vfs_flags(target);
        assert_true((fl & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC)) ==
                    (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC));
        assert_true(in_mountinfo(target, "ro,nosuid,nodev,noexec"));
        snprintf(p, sizeof(p), "%s%s/new", root_path, target);
        assert_int_equal(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644), -1);
        assert_int_equal(errno, EROFS);

        assert_int_equal(umount_fd(tfd, target, &err), 0);
        snprintf(p, sizeof(p), "%s%s", root_path, target);
        assert_int_equal(stat(p, &st), 0);
        assert_false(in_mountinfo(target, ""));
        close(tfd);
        mount_force_fallback(false);
}

static void test_tmpfs_new_api(void **state) {
        (void) state;
        need_root();
        tmpfs_files(false, "/run/nvct-new");
}

static void test_tmpfs_fallback(void **state) {
        (void) state;
        need_root();
        tmpfs_files(true, "/run/nvct-old");
}

static void test_tmpfs_bad_names(void **state) {
        (void) state;
        need_root();
        NvctError err = NVCT_ERROR_INIT;
        const MountFile bad[][1] = { { { "../x", "", 0, 0644 } }, { { "", "", 0, 0644 } }, { { "..", "", 0, 0644 } } };
        int tfd = rootfs_mkdir_p(root_fd, "/run/bad", 0755, &err);
        assert_true(tfd >= 0);
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                nvct_error_clear(&err);
                assert_int_equal(mount_tmpfs_files(tfd, 0755, bad[i], 1, 0, "/run/bad", &err), -EINVAL);
        }
        assert_false(in_mountinfo("/run/bad", ""));
        close(tfd);
}

/* Clone in this namespace, attach in a new one: the mount exists there and only there. */
static void test_cross_namespace(void **state) {
        (void) state;
        need_root();
        NvctError err = NVCT_ERROR_INIT;
        int sfd = open(src_path, O_PATH | O_CLOEXEC), tree = -EBADF;
        assert_true(sfd >= 0);

        mount_force_fallback(true);
        assert_int_equal(mount_clone_tree(sfd, &tree, &err), -ENOSYS);
        mount_force_fallback(false);
        nvct_error_clear(&err);
        assert_int_equal(mount_clone_tree(sfd, &tree, &err), 0);
        close(sfd);

        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                char buf[64] = "";
                int rfd = -EBADF;
                if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(10);
                /* Target fds must come from the namespace the tree is attached in. */
                if (rootfs_open_root(root_path, &rfd, &err) < 0)
                        _exit(11);
                int tfd = rootfs_create_file(rfd, "/cross/libhost.so.1", 0644, NULL, &err);
                if (tfd < 0)
                        _exit(12);
                if (mount_attach_tree(tree, tfd, MNT_F_RO | MNT_F_NOSUID, "/cross/libhost.so.1", &err) < 0) {
                        fprintf(stderr, "# %s\n", err.msg);
                        _exit(13);
                }
                int fd = rootfs_open(rfd, "/cross/libhost.so.1", O_RDONLY, 0, &err);
                if (fd < 0 || read(fd, buf, sizeof(buf) - 1) != 13 || !streq(buf, "host library\n"))
                        _exit(14);
                struct statvfs sv;
                if (fstatvfs(fd, &sv) < 0 || !(sv.f_flag & ST_RDONLY) || !(sv.f_flag & ST_NOSUID))
                        _exit(15);
                _exit(0);
        }
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        close(tree);

        /* Here the placeholder file is still empty: the mount lived in the child's namespace only. */
        char buf[64];
        read_host("/cross/libhost.so.1", buf, sizeof(buf));
        assert_string_equal(buf, "");
        assert_false(in_mountinfo("/cross/libhost.so.1", ""));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_bind_new_api),   cmocka_unit_test(test_bind_fallback),
                cmocka_unit_test(test_bind_wrong_type), cmocka_unit_test(test_tmpfs_new_api),
                cmocka_unit_test(test_tmpfs_fallback), cmocka_unit_test(test_tmpfs_bad_names),
                cmocka_unit_test(test_cross_namespace),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
