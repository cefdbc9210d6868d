/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "rootfs.h"
#include "syscalls.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
/* The procfs root directory always has inode 1; its symlinks (self, thread-self, mounts, net) are plain ones. */
#define PROC_ROOT_INO 1
/* Same limit as the kernel's MAXSYMLINKS, so both resolvers refuse the same chains. */
#define ROOTFS_MAX_LINKS 40
/* openat2 returns EAGAIN, and the walk reports a swapped final component, when a rename raced the lookup. */
#define ROOTFS_MAX_RETRIES 32
/* openat2 refuses any other flag next to O_PATH. */
#define ROOTFS_O_PATH_FLAGS (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static int openat2_state = -1; /* -1 not probed, 0 unusable, 1 works */
static bool fallback_forced;

void rootfs_force_fallback(bool on) {
        __atomic_store_n(&fallback_forced, on, __ATOMIC_RELAXED);
}

/* Returns 1 when openat2(RESOLVE_IN_ROOT) works, 0 when it is missing or filtered, -errno when unsure. */
static int openat2_probe(void) {
        struct nvct_open_how how = {
                .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
        };
        int fd = sys_openat2(AT_FDCWD, "/", &how, sizeof(how));
        if (fd >= 0) {
                (void) close(fd);
                return 1;
        }
        /* EINVAL/E2BIG: a kernel that has openat2 but not these resolve flags. */
        if (syscall_unavailable(errno) || errno == EINVAL || errno == E2BIG)
                return 0;
        return -errno;
}

bool rootfs_have_openat2(void) {
        int s = __atomic_load_n(&openat2_state, __ATOMIC_RELAXED);
        if (s < 0) {
                s = openat2_probe();
                if (s < 0)
                        return false;
                __atomic_store_n(&openat2_state, s, __ATOMIC_RELAXED);
        }
        return s > 0;
}

static int rootfs_fail(NvctError *err, int r, const char *path) {
        return nvct_error_set(err, r, "rootfs %s%s", path[0] == '/' ? "" : "/", path);
}

int fd_get_path(int fd, char *buf, size_t size) {
        char link[sizeof("/proc/self/fd/") + 3 * sizeof(int)];

        if (size == 0)
                return -EINVAL;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, buf, size);
        if (n < 0)
                return -errno;
        if ((size_t) n >= size)
                return -ENAMETOOLONG;
        buf[n] = '\0';
        return (int) n;
}

static int dup_fd(int fd) {
        int r = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return r < 0 ? -errno : r;
}

static int openat_retry(int dirfd, const char *name, int flags, mode_t mode) {
        for (;;) {
                int fd = openat(dirfd, name, flags, mode);
                if (fd >= 0)
                        return fd;
                if (errno != EINTR)
                        return -errno;
        }
}

static void replace_fd(int *fd, int nfd) {
        if (*fd >= 0)
                (void) close(*fd);
        *fd = nfd;
}

static bool same_inode(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* The checks openat2 cannot express: a final symlink under ROOTFS_NOFOLLOW, and "must be a directory". */
static int check_final(int fd, unsigned flags, bool want_dir) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return -errno;
        if ((flags & ROOTFS_NOFOLLOW) && S_ISLNK(st.st_mode))
                return -ELOOP;
        if (want_dir && !S_ISDIR(st.st_mode))
                return -ENOTDIR;
        return 0;
}

static int resolve_openat2(int root_fd, const char *path, int open_flags, unsigned flags) {
        uint64_t f = (uint64_t) open_flags | O_CLOEXEC;

        if (flags & ROOTFS_NOFOLLOW)
                f |= O_NOFOLLOW;
        if (open_flags & O_PATH)
                f &= ROOTFS_O_PATH_FLAGS;
        else
                f |= O_NOCTTY;

        struct nvct_open_how how = { .flags = f, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
        for (unsigned attempt = 0;; attempt++) {
                int fd = sys_openat2(root_fd, path, &how, sizeof(how));
                if (fd >= 0)
                        return fd;
                if (errno == EINTR || (errno == EAGAIN && attempt < ROOTFS_MAX_RETRIES))
                        continue;
                return -errno;
        }
}

/* A procfs symlink outside the procfs root directory is a magic link (/proc/<pid>/root, cwd, exe, fd/N, ns/…). */
static int refuse_magic_link(int link_fd, int dir_fd) {
        struct statfs sfs;
        struct stat st;

        if (fstatfs(link_fd, &sfs) < 0)
                return -errno;
        if ((uint64_t) sfs.f_type != PROC_SUPER_MAGIC)
                return 0;
        if (fstat(dir_fd, &st) < 0)
                return -errno;
        return st.st_ino == PROC_ROOT_INO ? 0 : -ELOOP;
}

/* The walk trusts no intermediate step; this is the one check that its result ended up below the root. */
static int verify_below(const char *root_path, int fd) {
        char p[PATH_MAX];
        int r = fd_get_path(fd, p, sizeof(p));
        if (r < 0)
                return r;
        if (streq(root_path, "/"))
                return p[0] == '/' ? 0 : -EXDEV;
        size_t n = strlen(root_path);
        if (strneq(p, root_path, n) && (p[n] == '\0' || p[n] == '/'))
                return 0;
        return -EXDEV;
}

static int step_up(int *cur, const struct stat *root_st) {
        struct stat st;

        if (fstat(*cur, &st) < 0)
                return -errno;
        if (same_inode(&st, root_st))
                return 0; /* ".." at the root stays at the root */
        int fd = openat_retry(*cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
        if (fd < 0)
                return fd;
        replace_fd(cur, fd);
        return 0;
}

/* Follow the symlink open at link_fd: splice its target in front of what is left of the path. */
static int follow_link(int root_fd, int link_fd, int *cur, char **rest, const char **p, unsigned *links) {
        char target[PATH_MAX];

        int r = refuse_magic_link(link_fd, *cur);
        if (r < 0)
                return r;
        if (++*links > ROOTFS_MAX_LINKS)
                return -ELOOP;
        ssize_t n = readlinkat(link_fd, "", target, sizeof(target));
        if (n < 0)
                return -errno;
        if ((size_t) n >= sizeof(target))
                return -ENAMETOOLONG;
        if (n == 0)
                return -ENOENT;
        target[n] = '\0';
        if (target[0] == '/') {
                int fd = dup_fd(root_fd);
                if (fd < 0)
                        return fd;
                replace_fd(cur, fd);
        }
        char *next = NULL;
        if (asprintf(&next, "%s%s", target, *p) < 0)
                return -ENOMEM;
        free(*rest);
        *rest = next;
        *p = next;
        return 0;
}

/*
 * Userspace RESOLVE_IN_ROOT: one O_PATH|O_NOFOLLOW step per component from the root fd. On return *ret_dir is
 * the directory the final object was found in and *ret_name its name there ("" when the result is that directory).
 */
static int walk(int root_fd, const struct stat *root_st, const char *path, unsigned flags, bool nofollow_ok,
                int *ret_fd, int *ret_dir, char ret_name[static NAME_MAX + 1], bool *want_dir) {
        _cleanup_free_ char *rest = strdup(path);
        _cleanup_close_ int cur = -EBADF, res = -EBADF;
        unsigned links = 0;
        int r;

        if (!rest)
                return -ENOMEM;
        cur = dup_fd(root_fd);
        if (cur < 0)
                return cur;
        ret_name[0] = '\0';
        for (const char *p = rest;;) {
                p += strspn(p, "/");
                if (*p == '\0')
                        break;
                size_t len = strcspn(p, "/");
                if (len > NAME_MAX)
                        return -ENAMETOOLONG;
                char name[NAME_MAX + 1];
                memcpy(name, p, len);
                name[len] = '\0';
                p += len;
                bool slash = *p == '/', last = p[strspn(p, "/")] == '\0';

                if (streq(name, ".") || streq(name, "..")) {
                        if (name[1] == '.' && (r = step_up(&cur, root_st)) < 0)
                                return r;
                        if (last)
                                break;
                        continue;
                }
                _cleanup_close_ int fd = openat_retry(cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
                if (fd < 0)
                        return fd;
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (S_ISLNK(st.st_mode) && !(last && !slash && (flags & ROOTFS_NOFOLLOW))) {
                        r = follow_link(root_fd, fd, &cur, &rest, &p, &links);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (S_ISLNK(st.st_mode) && !nofollow_ok)
                        return -ELOOP;
                if (last) {
                        if (slash)
                                *want_dir = true;
                        res = TAKE_FD(fd);
                        memcpy(ret_name, name, len + 1);
                        break;
                }
                if (!S_ISDIR(st.st_mode))
                        return -ENOTDIR;
                replace_fd(&cur, TAKE_FD(fd));
        }
        if (res < 0) {
                res = dup_fd(cur);
                if (res < 0)
                        return res;
        }
        *ret_fd = TAKE_FD(res);
        *ret_dir = TAKE_FD(cur);
        return 0;
}

static int resolve_fallback_once(int root_fd, const char *root_path, const struct stat *root_st, const char *path,
                                 int open_flags, unsigned flags) {
        _cleanup_close_ int res = -EBADF, dir = -EBADF;
        char name[NAME_MAX + 1];
        bool want_dir = (flags & ROOTFS_DIRECTORY) || (open_flags & O_DIRECTORY);
        /* A plain O_NOFOLLOW|O_PATH asks for the link itself, as open(2) would give it. */
        bool link_ok = (open_flags & O_PATH) && (open_flags & O_NOFOLLOW) && !(flags & ROOTFS_NOFOLLOW);
        unsigned wflags = flags | (link_ok ? ROOTFS_NOFOLLOW : 0);

        int r = walk(root_fd, root_st, path, wflags, link_ok, &res, &dir, name, &want_dir);
        if (r < 0)
                return r;
        r = check_final(res, link_ok ? 0 : flags, want_dir);
        if (r < 0)
                return r;
        r = verify_below(root_path, res);
        if (r < 0)
                return r;
        if (open_flags & O_PATH)
                return TAKE_FD(res);

        /* Reopen with the caller's access mode, then make sure it is still the object the walk found. */
        int mode_flags = open_flags | O_CLOEXEC | O_NOCTTY;
        _cleanup_close_ int fd = name[0] ? openat_retry(dir, name, mode_flags | O_NOFOLLOW, 0)
                                         : openat_retry(res, ".", mode_flags, 0);
        if (fd < 0)
                return fd;
        struct stat a, b;
        if (fstat(res, &a) < 0 || fstat(fd, &b) < 0)
                return -errno;
        if (!same_inode(&a, &b))
                return -EAGAIN;
        return TAKE_FD(fd);
}

static int resolve_fallback(int root_fd, const char *path, int open_flags, unsigned flags) {
        char root_path[PATH_MAX];
        struct stat root_st;

        if (fstat(root_fd, &root_st) < 0)
                return -errno;
        if (!S_ISDIR(root_st.st_mode))
                return -ENOTDIR;
        int r = fd_get_path(root_fd, root_path, sizeof(root_path));
        if (r < 0)
                return r;
        for (unsigned attempt = 0;; attempt++) {
                r = resolve_fallback_once(root_fd, root_path, &root_st, path, open_flags, flags);
                if (r != -EAGAIN || attempt >= ROOTFS_MAX_RETRIES)
                        return r;
        }
}

/* Returns an fd or -errno; the public wrappers turn the errno into a message. */
static int resolve(int root_fd, const char *path, int open_flags, unsigned flags) {
        if (strlen(path) >= PATH_MAX)
                return -ENAMETOOLONG;
        if ((open_flags & O_CREAT) || (open_flags & __O_TMPFILE) == __O_TMPFILE)
                return -EINVAL;
        if (path[0] == '\0')
                path = ".";

        if (!__atomic_load_n(&fallback_forced, __ATOMIC_RELAXED) && rootfs_have_openat2()) {
                int fd = resolve_openat2(root_fd, path, open_flags, flags);
                if (fd >= 0) {
                        int r = check_final(fd, flags, flags & ROOTFS_DIRECTORY);
                        if (r < 0) {
                                (void) close(fd);
                                return r;
                        }
                        return fd;
                }
                /* A seccomp filter installed after the probe (or in a child) shows up here. */
                if (fd != -ENOSYS && (fd != -EPERM || openat2_probe() != 0))
                        return fd;
                __atomic_store_n(&openat2_state, 0, __ATOMIC_RELAXED);
        }
        return resolve_fallback(root_fd, path, open_flags, flags);
}

int rootfs_open_root(const char *path, int *ret_fd, NvctError *err) {
        int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nvct_error_set(err, errno, "open root %s", path);
        *ret_fd = fd;
        return 0;
}

int rootfs_open(int root_fd, const char *path, int open_flags, unsigned flags, NvctError *err) {
        int fd = resolve(root_fd, path, open_flags, flags);
        if (fd < 0)
                return rootfs_fail(err, fd, path);
        return fd;
}

static int mkdirat_retry(int dirfd, const char *name, mode_t mode) {
        for (;;) {
                if (mkdirat(dirfd, name, mode) >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

/*
 * Resolve each prefix of path from the root (so symlinks met on the way keep RESOLVE_IN_ROOT semantics) and
 * create what is missing with mkdirat in the directory the previous prefix resolved to.
 */
static int mkdir_p(int root_fd, const char *path, mode_t mode) {
        char prefix[PATH_MAX];
        size_t plen = strlen(path);

        if (plen >= PATH_MAX)
                return -ENAMETOOLONG;
        int fd = resolve(root_fd, path, O_PATH | O_DIRECTORY, ROOTFS_DIRECTORY);
        if (fd != -ENOENT)
                return fd;

        _cleanup_close_ int cur = dup_fd(root_fd);
        if (cur < 0)
                return cur;
        for (const char *p = path;;) {
                p += strspn(p, "/");
                if (*p == '\0')
                        break;
                size_t len = strcspn(p, "/");
                if (len > NAME_MAX)
                        return -ENAMETOOLONG;
                char name[NAME_MAX + 1];
                memcpy(name, p, len);
                name[len] = '\0';
                p += len;
                memcpy(prefix, path, (size_t) (p - path));
                prefix[p - path] = '\0';

                fd = resolve(root_fd, prefix, O_PATH | O_DIRECTORY, ROOTFS_DIRECTORY);
                if (fd == -ENOENT && !streq(name, ".") && !streq(name, "..")) {
                        int r = mkdirat_retry(cur, name, mode);
                        if (r < 0 && r != -EEXIST)
                                return r;
                        /* EEXIST: a racing creator, or a dangling symlink, which the next resolve reports. */
                        fd = resolve(root_fd, prefix, O_PATH | O_DIRECTORY, ROOTFS_DIRECTORY);
                }
                if (fd < 0)
                        return fd;
                replace_fd(&cur, fd);
        }
        return TAKE_FD(cur);
}

int rootfs_mkdir_p(int root_fd, const char *path, mode_t mode, NvctError *err) {
        int fd = mkdir_p(root_fd, path, mode);
        if (fd < 0)
                return rootfs_fail(err, fd, path);
        return fd;
}

/* Split path into parent and final component; the root itself gives (".", "."). */
static int open_parent(int root_fd, const char *path, unsigned flags, char **ret_name) {
        size_t len = strlen(path);

        if (len >= PATH_MAX)
                return -ENAMETOOLONG;
        while (len > 0 && path[len - 1] == '/')
                len--;
        size_t start = len;
        while (start > 0 && path[start - 1] != '/')
                start--;
        size_t nlen = len - start;
        if (nlen > NAME_MAX)
                return -ENAMETOOLONG;
        if (nlen == 2 && strneq(path + start, "..", 2))
                return -EINVAL;

        _cleanup_free_ char *name = nlen == 0 ? strdup(".") : strndup(path + start, nlen);
        _cleanup_free_ char *dir = strndup(path, start);
        if (!name || !dir)
                return -ENOMEM;
        int fd = (flags & ROOTFS_MKDIR_PARENTS) ? mkdir_p(root_fd, dir, 0755)
                                                : resolve(root_fd, dir, O_PATH | O_DIRECTORY, ROOTFS_DIRECTORY);
        if (fd < 0)
                return fd;
        *ret_name = TAKE_PTR(name);
        return fd;
}

int rootfs_open_parent(int root_fd, const char *path, unsigned flags, char **ret_name, NvctError *err) {
        int fd = open_parent(root_fd, path, flags, ret_name);
        if (fd == -EINVAL)
                return nvct_error_setx(err, EINVAL, "rootfs %s%s: final component is \"..\"",
                                       path[0] == '/' ? "" : "/", path);
        if (fd < 0)
                return rootfs_fail(err, fd, path);
        return fd;
}

static int mknod_retry(int dirfd, const char *name, mode_t mode, bool dir) {
        for (;;) {
                int r = dir ? mkdirat(dirfd, name, mode) : mknodat(dirfd, name, S_IFREG | (mode & 07777), 0);
                if (r >= 0)
                        return 0;
                if (errno != EINTR)
                        return -errno;
        }
}

/*
 * mkdirat/mknodat never follow a final symlink, so a planted (even dangling) link yields EEXIST and is then
 * refused by the O_NOFOLLOW open below instead of being written through.
 */
static int create_node(int root_fd, const char *path, mode_t mode, bool dir, bool *ret_created, NvctError *err) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = rootfs_open_parent(root_fd, path, ROOTFS_MKDIR_PARENTS, &name, err);
        if (dfd < 0)
                return dfd;

        int r = mknod_retry(dfd, name, mode, dir);
        if (r < 0 && r != -EEXIST)
                return rootfs_fail(err, r, path);
        bool created = r >= 0;

        _cleanup_close_ int fd = openat_retry(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
        if (fd < 0)
                return rootfs_fail(err, fd, path);
        struct stat st;
        if (fstat(fd, &st) < 0)
                return rootfs_fail(err, errno, path);
        if (S_ISLNK(st.st_mode))
                return nvct_error_setx(err, ELOOP, "rootfs %s%s: exists as a symlink, refusing to follow it",
                                       path[0] == '/' ? "" : "/", path);
        if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
                return nvct_error_setx(err, EEXIST, "rootfs %s%s: exists and is not a %s",
                                       path[0] == '/' ? "" : "/", path, dir ? "directory" : "regular file");
        if (ret_created)
                *ret_created = created;
        return TAKE_FD(fd);
}

int rootfs_create_file(int root_fd, const char *path, mode_t mode, bool *ret_created, NvctError *err) {
        return create_node(root_fd, path, mode, false, ret_created, err);
}

int rootfs_create_dir(int root_fd, const char *path, mode_t mode, bool *ret_created, NvctError *err) {
        return create_node(root_fd, path, mode, true, ret_created, err);
}

static uint64_t random_u64(void) {
        uint64_t v;

        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t) sizeof(v))
                return v;
        /* Only uniqueness matters here: the name is created with symlinkat, which never overwrites. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ((uint64_t) ts.tv_nsec << 20) ^ (uint64_t) ts.tv_sec ^ ((uint64_t) getpid() << 40);
}

int rootfs_symlink(int root_fd, const char *target, const char *path, unsigned flags, NvctError *err) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = rootfs_open_parent(root_fd, path, flags & ROOTFS_MKDIR_PARENTS, &name, err);
        if (dfd < 0)
                return dfd;
        if (streq(name, "."))
                return nvct_error_setx(err, EISDIR, "rootfs %s%s: is a directory, refusing to replace it",
                                       path[0] == '/' ? "" : "/", path);

        /* Nothing there yet: symlinkat relative to the parent fd never follows anything, so create it in place.
         * Only an existing entry needs the temporary name and the atomic rename over it. */
        if (symlinkat(target, dfd, name) >= 0)
                return 0;
        if (errno != EEXIST)
                return rootfs_fail(err, -errno, path);

        char tmp[32];
        int r = -EEXIST;
        for (unsigned i = 0; i < 16 && r == -EEXIST; i++) {
                snprintf(tmp, sizeof(tmp), ".#nvct-%016llx", (unsigned long long) random_u64());
                r = symlinkat(target, dfd, tmp) < 0 ? -errno : 0;
                if (r == -EINTR)
                        r = -EEXIST;
        }
        if (r < 0)
                return rootfs_fail(err, r, path);
        for (;;) {
                if (renameat(dfd, tmp, dfd, name) >= 0)
                        return 0;
                if (errno != EINTR)
                        break;
        }
        r = -errno;
        (void) unlinkat(dfd, tmp, 0);
        if (r == -EISDIR)
                return nvct_error_setx(err, EISDIR, "rootfs %s%s: is a directory, refusing to replace it",
                                       path[0] == '/' ? "" : "/", path);
        return rootfs_fail(err, r, path);
}

int rootfs_unlink(int root_fd, const char *path, bool dir, NvctError *err) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = open_parent(root_fd, path, 0, &name);
        if (dfd == -ENOENT)
                return 0;
        if (dfd == -EINVAL)
                return nvct_error_setx(err, EINVAL, "rootfs %s%s: final component is \"..\"",
                                       path[0] == '/' ? "" : "/", path);
        if (dfd < 0)
                return rootfs_fail(err, dfd, path);
        if (streq(name, "."))
                return nvct_error_setx(err, EBUSY, "rootfs %s%s: refusing to remove the root",
                                       path[0] == '/' ? "" : "/", path);
        for (;;) {
                if (unlinkat(dfd, name, dir ? AT_REMOVEDIR : 0) >= 0 || errno == ENOENT)
                        return 0;
                if (errno != EINTR)
                        return rootfs_fail(err, errno, path);
        }
}
