/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fileio.h"
#include "mount-util.h"
#include "rootfs.h"
#include "syscalls.h"

/* How deep a stack of mounts on one mount point we are willing to walk. */
#define MOUNT_MAX_STACK 64
#define MOUNTINFO_MAX (64U * 1024 * 1024)
#define PROC_FD_PATH_MAX (sizeof("/proc/thread-self/fd/") + 3 * sizeof(int))

static int new_api_state = -1; /* -1 not probed, 0 unusable, 1 works */
static bool fallback_forced;

void mount_force_fallback(bool on) {
        __atomic_store_n(&fallback_forced, on, __ATOMIC_RELAXED);
}

/* r is a probe call's result: only ENOSYS/EPERM say anything; an fd it happened to return is dropped. */
static bool probe_says_missing(int r) {
        if (r >= 0) {
                (void) close(r);
                return false;
        }
        return syscall_unavailable(errno);
}

/*
 * Each syscall is called with an invalid fd, so EBADF proves it exists and is not filtered. fsopen has no such
 * form; it opens (and drops) a real tmpfs context.
 */
static int new_api_probe(void) {
        struct nvct_mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

        if (probe_says_missing(sys_open_tree(-EBADF, "", AT_EMPTY_PATH | OPEN_TREE_CLOEXEC)) ||
            probe_says_missing(sys_move_mount(-EBADF, "", -EBADF, "",
                                              MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)))
                return 0;
        if (sys_mount_setattr(-EBADF, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0 && syscall_unavailable(errno))
                return 0;
        if (probe_says_missing(sys_fsconfig(-EBADF, FSCONFIG_CMD_CREATE, NULL, NULL, 0)) ||
            probe_says_missing(sys_fsmount(-EBADF, FSMOUNT_CLOEXEC, 0)))
                return 0;
        int fd = sys_fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fd < 0)
                return syscall_unavailable(errno) || errno == ENODEV ? 0 : -errno;
        (void) close(fd);
        return 1;
}

bool mount_have_new_api(void) {
        int s = __atomic_load_n(&new_api_state, __ATOMIC_RELAXED);
        if (s < 0) {
                s = new_api_probe();
                if (s < 0)
                        return false;
                __atomic_store_n(&new_api_state, s, __ATOMIC_RELAXED);
        }
        return s > 0;
}

static bool use_new_api(void) {
        return !__atomic_load_n(&fallback_forced, __ATOMIC_RELAXED) && mount_have_new_api();
}

/* A syscall of the new API failed with r: decide whether that means "not available here" and remember it. */
static bool new_api_failed(int r) {
        if (r != -ENOSYS && (r != -EPERM || new_api_probe() != 0))
                return false;
        __atomic_store_n(&new_api_state, 0, __ATOMIC_RELAXED);
        return true;
}

static uint64_t flags_to_attr(unsigned flags) {
        return ((flags & MNT_F_RO) ? MOUNT_ATTR_RDONLY : 0) | ((flags & MNT_F_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
               ((flags & MNT_F_NODEV) ? MOUNT_ATTR_NODEV : 0) | ((flags & MNT_F_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0);
}

static unsigned long flags_to_ms(unsigned flags) {
        return ((flags & MNT_F_RO) ? MS_RDONLY : 0) | ((flags & MNT_F_NOSUID) ? MS_NOSUID : 0) |
               ((flags & MNT_F_NODEV) ? MS_NODEV : 0) | ((flags & MNT_F_NOEXEC) ? MS_NOEXEC : 0);
}

static void proc_fd_path(char buf[static PROC_FD_PATH_MAX], int fd) {
        snprintf(buf, PROC_FD_PATH_MAX, "/proc/thread-self/fd/%d", fd);
}

static int mnt_id_of(int fd, uint64_t *ret) {
        struct statx sx;

        if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &sx) >= 0 &&
            (sx.stx_mask & STATX_MNT_ID)) {
                *ret = sx.stx_mnt_id;
                return 0;
        }
        /* Kernels before statx(STATX_MNT_ID) still report it in fdinfo. */
        char path[sizeof("/proc/self/fdinfo/") + 3 * sizeof(int)];
        _cleanup_free_ char *info = NULL;
        NvctError ignored = NVCT_ERROR_INIT;
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
        int r = read_file_at(AT_FDCWD, path, 64 * 1024, &info, NULL, &ignored);
        if (r < 0)
                return r;
        const char *p = strstr(info, "\nmnt_id:");
        if (!p || sscanf(p + strlen("\nmnt_id:"), "%" SCNu64, ret) != 1)
                return -ENODATA;
        return 0;
}

/* Mount points in mountinfo escape space, tab, newline and backslash as \ooo. */
static void unescape_field(const char *s, size_t len, char *out, size_t size) {
        size_t o = 0;

        for (size_t i = 0; i < len && o + 1 < size; i++) {
                if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
                    s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        out[o++] = (char) (((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
                        i += 3;
                } else
                        out[o++] = s[i];
        }
        out[o] = '\0';
}

/* Find mount id in a mountinfo text; return its parent id and mount point. */
static int mountinfo_find(const char *info, uint64_t id, uint64_t *ret_parent, char *point, size_t size) {
        for (const char *line = info; *line;) {
                const char *eol = strchrnul(line, '\n');
                uint64_t lid, lparent;
                int n = 0;
                if (sscanf(line, "%" SCNu64 " %" SCNu64 " %*s %*s %n", &lid, &lparent, &n) == 2 && n > 0 &&
                    lid == id && line + n < eol) {
                        const char *f = line + n;
                        size_t flen = strcspn(f, " \n");
                        unescape_field(f, flen, point, size);
                        *ret_parent = lparent;
                        return 0;
                }
                line = *eol ? eol + 1 : eol;
        }
        return -ENOENT;
}

static int mountinfo_read(char **ret) {
        NvctError ignored = NVCT_ERROR_INIT;
        return read_file_at(AT_FDCWD, "/proc/thread-self/mountinfo", MOUNTINFO_MAX, ret, NULL, &ignored);
}

/*
 * Check that mount `id` is what a fresh lookup of the target's path now finds: the top of the stack on that
 * mount point. target_path is fd_get_path(target_fd), taken before anything was mounted. Three syscalls instead of
 * reading mountinfo, whose size grows with every mount a container has.
 */
static int verify_direct(uint64_t id, const char *target_path) {
        const char *slash = strrchr(target_path, '/');
        uint64_t found;

        if (!slash || !slash[1])
                return -ESTALE;
        _cleanup_free_ char *dir = strndup(target_path, slash == target_path ? 1 : (size_t) (slash - target_path));
        if (!dir)
                return -ENOMEM;
        _cleanup_close_ int pfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        _cleanup_close_ int fd = openat(pfd, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = mnt_id_of(fd, &found);
        if (r < 0)
                return r;
        return found == id ? 0 : -ESTALE;
}

/*
 * The fd of the target keeps naming the covered object once something is mounted on it (a magic link jumps to
 * the fd's own dentry and never crosses mounts), so the mount on top is found by a fresh lookup of the target's
 * path and accepted only if mountinfo shows a chain of mounts from it down to the target's mount, all on that
 * same mount point. Returns an O_PATH fd of the topmost mount's root and its depth above the target.
 */
static int mount_on_top(int target_fd, int *ret_fd, unsigned *ret_depth) {
        char path[PATH_MAX], point[PATH_MAX];
        uint64_t target_mnt, id;

        int r = fd_get_path(target_fd, path, sizeof(path));
        if (r < 0)
                return r;
        if (path[0] != '/' || streq(path, "/"))
                return -EINVAL;
        r = mnt_id_of(target_fd, &target_mnt);
        if (r < 0)
                return r;

        char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = strndup(path, slash == path ? 1 : (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        _cleanup_close_ int pfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        _cleanup_close_ int fd = openat(pfd, slash + 1, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = mnt_id_of(fd, &id);
        if (r < 0)
                return r;
        if (id == target_mnt)
                return -ENOENT;

        _cleanup_free_ char *info = NULL;
        r = mountinfo_read(&info);
        if (r < 0)
                return r;
        unsigned depth = 0;
        for (uint64_t cur = id; cur != target_mnt; depth++) {
                uint64_t parent;
                if (depth >= MOUNT_MAX_STACK)
                        return -ELOOP;
                if (mountinfo_find(info, cur, &parent, point, sizeof(point)) < 0 || !streq(point, path))
                        return -ESTALE;
                cur = parent;
        }
        *ret_fd = TAKE_FD(fd);
        *ret_depth = depth;
        return 0;
}

static int umount_by_fd(int fd) {
        char p[PROC_FD_PATH_MAX];
        proc_fd_path(p, fd);
        return umount2(p, MNT_DETACH) < 0 ? -errno : 0;
}

int mount_clone_tree(int src_fd, int *ret_tree_fd, NvctError *err) {
        if (!use_new_api())
                return nvct_error_setx(err, ENOSYS, "clone mount tree: the new mount API is not available");
        /* Not AT_RECURSIVE: a bound file has no submounts, and a bound directory must not expose the host's. */
        int fd = sys_open_tree(src_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (fd < 0) {
                int r = -errno;
                if (new_api_failed(r))
                        return nvct_error_setx(err, ENOSYS, "clone mount tree: the new mount API is not available");
                return nvct_error_set(err, r, "clone mount tree");
        }
        *ret_tree_fd = fd;
        return 0;
}

/* Flags and private propagation go on while the mount is still detached, so nobody ever sees it writable. */
static int setattr_detached(int mnt_fd, uint64_t attr_set) {
        struct nvct_mount_attr attr = { .attr_set = attr_set, .propagation = MS_PRIVATE };

        if (sys_mount_setattr(mnt_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
                return -errno;
        return 0;
}

static int attach(int mnt_fd, int target_fd, uint64_t attr_set, const char *verb, const char *what,
                  NvctError *err) {
        char target_path[PATH_MAX];
        uint64_t id;
        bool can_verify = fd_get_path(target_fd, target_path, sizeof(target_path)) >= 0;

        int r = setattr_detached(mnt_fd, attr_set);
        if (r < 0)
                return nvct_error_set(err, r, "%s %s: set mount attributes", verb, what);
        if (sys_move_mount(mnt_fd, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                return nvct_error_set(err, errno, "%s %s: attach mount", verb, what);
        /*
         * move_mount onto an fd cannot land anywhere else, so without a readable /proc (a container's procfs
         * from another pid namespace) the check is skipped rather than failed.
         */
        if (!can_verify || mnt_id_of(mnt_fd, &id) < 0)
                return 0;
        r = verify_direct(id, target_path);
        if (r == -ESTALE) {
                (void) umount_by_fd(mnt_fd);
                return nvct_error_setx(err, ESTALE, "%s %s: mount did not land on %s", verb, what, target_path);
        }
        return 0;
}

int mount_attach_tree(int tree_fd, int target_fd, unsigned flags, const char *what, NvctError *err) {
        return attach(tree_fd, target_fd, flags_to_attr(flags), "bind", what, err);
}

/* A remount must keep the flags the kernel locked on the source (user namespaces), or it fails with EPERM. */
static unsigned long locked_flags(int fd) {
        struct statvfs sv;

        if (fstatvfs(fd, &sv) < 0)
                return 0;
        return ((sv.f_flag & ST_RDONLY) ? MS_RDONLY : 0) | ((sv.f_flag & ST_NOSUID) ? MS_NOSUID : 0) |
               ((sv.f_flag & ST_NODEV) ? MS_NODEV : 0) | ((sv.f_flag & ST_NOEXEC) ? MS_NOEXEC : 0) |
               ((sv.f_flag & ST_NOATIME) ? MS_NOATIME : 0) | ((sv.f_flag & ST_NODIRATIME) ? MS_NODIRATIME : 0) |
               ((sv.f_flag & ST_RELATIME) ? MS_RELATIME : 0);
}

/* Find the mount just made on target_fd, make it private and remount it with ms_flags. */
static int finish_fallback(int target_fd, unsigned long ms_flags, int *ret_fd, const char *verb, const char *what,
                           NvctError *err) {
        _cleanup_close_ int fd = -EBADF;
        char p[PROC_FD_PATH_MAX];
        unsigned depth;

        int r = mount_on_top(target_fd, &fd, &depth);
        if (r < 0)
                return nvct_error_set(err, r, "%s %s: find the new mount", verb, what);
        proc_fd_path(p, fd);
        if (depth != 1) {
                (void) umount2(p, MNT_DETACH);
                return nvct_error_setx(err, ESTALE, "%s %s: mount did not land on the target", verb, what);
        }
        if (mount("none", p, "none", MS_PRIVATE, NULL) < 0 ||
            mount("none", p, "none", MS_REMOUNT | MS_BIND | ms_flags, NULL) < 0) {
                r = -errno;
                (void) umount2(p, MNT_DETACH);
                return nvct_error_set(err, r, "%s %s: remount", verb, what);
        }
        if (ret_fd)
                *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The source and type names are ignored by the kernel for bind, propagation and remount calls; "none" rather
 * than NULL keeps memory checkers from flagging them. */
static int bind_fallback(int src_fd, int target_fd, unsigned flags, const char *what, NvctError *err) {
        char s[PROC_FD_PATH_MAX], t[PROC_FD_PATH_MAX];
        _cleanup_close_ int fd = -EBADF;
        struct stat a, b;

        proc_fd_path(s, src_fd);
        proc_fd_path(t, target_fd);
        if (mount(s, t, "none", MS_BIND, NULL) < 0)
                return nvct_error_set(err, errno, "bind %s", what);
        int r = finish_fallback(target_fd, flags_to_ms(flags) | locked_flags(src_fd), &fd, "bind", what, err);
        if (r < 0)
                return r;
        if (fstat(src_fd, &a) < 0 || fstat(fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
                (void) umount_by_fd(fd);
                return nvct_error_setx(err, ESTALE, "bind %s: the mounted object is not the source", what);
        }
        return 0;
}

int mount_bind_fd(int src_fd, int target_fd, unsigned flags, const char *what, NvctError *err) {
        _cleanup_close_ int tree = -EBADF;

        if (use_new_api()) {
                tree = sys_open_tree(src_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
                if (tree >= 0)
                        return mount_attach_tree(tree, target_fd, flags, what, err);
                int r = -errno;
                if (!new_api_failed(r))
                        return nvct_error_set(err, r, "bind %s: clone source", what);
        }
        return bind_fallback(src_fd, target_fd, flags, what, err);
}

static int write_all(int fd, const char *data, size_t len) {
        for (size_t off = 0; off < len;) {
                ssize_t k = write(fd, data + off, len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                off += (size_t) k;
        }
        return 0;
}

/* A relative path inside the fresh tmpfs: no leading '/', no empty, "." or ".." component. */
static bool valid_file_name(const char *name) {
        if (!name || !name[0] || name[0] == '/' || strlen(name) >= PATH_MAX)
                return false;
        for (const char *p = name; *p;) {
                size_t n = strcspn(p, "/");
                if (n == 0 || n > NAME_MAX || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
                        return false;
                p += n;
                if (*p == '/')
                        p++;
                if (*p == '\0' && p[-1] == '/')
                        return false;
        }
        return true;
}

/* Directory entries (S_IFDIR) make mount points for nested mounts; parents come before children. */
static int fill_dir(int dir_fd, const MountFile *f, const char *what, NvctError *err) {
        if (mkdirat(dir_fd, f->name, 0700) < 0)
                return nvct_error_set(err, errno, "tmpfs %s: mkdir %s", what, f->name);
        _cleanup_close_ int fd = openat(dir_fd, f->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fchmod(fd, f->mode & 07777) < 0)
                return nvct_error_set(err, errno, "tmpfs %s: chmod %s", what, f->name);
        return 0;
}

static int fill_files(int dir_fd, const MountFile *files, size_t n_files, const char *what, NvctError *err) {
        for (size_t i = 0; i < n_files; i++) {
                const MountFile *f = &files[i];
                if (S_ISDIR(f->mode)) {
                        int rd = fill_dir(dir_fd, f, what, err);
                        if (rd < 0)
                                return rd;
                        continue;
                }
                _cleanup_close_ int fd = openat(dir_fd, f->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                                0600);
                if (fd < 0)
                        return nvct_error_set(err, errno, "tmpfs %s: create %s", what, f->name);
                int r = write_all(fd, f->content, f->len);
                if (r < 0)
                        return nvct_error_set(err, r, "tmpfs %s: write %s", what, f->name);
                /* fchmod, not the open mode: the umask must not change what the container sees. */
                if (fchmod(fd, f->mode & 07777) < 0)
                        return nvct_error_set(err, errno, "tmpfs %s: chmod %s", what, f->name);
        }
        return 0;
}

/* Takes ownership of fs, a tmpfs context from fsopen. */
static int tmpfs_new_api(int fs, int target_fd, mode_t dir_mode, const MountFile *files, size_t n_files,
                         unsigned flags, const char *what, NvctError *err) {
        _cleanup_close_ int fsfd = fs, mnt = -EBADF;
        char mode[16];

        snprintf(mode, sizeof(mode), "%o", (unsigned) (dir_mode & 07777));
        if (sys_fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", mode, 0) < 0 ||
            sys_fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return nvct_error_set(err, errno, "tmpfs %s: create", what);
        mnt = sys_fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
        if (mnt < 0)
                return nvct_error_set(err, errno, "tmpfs %s: fsmount", what);
        int r = fill_files(mnt, files, n_files, what, err);
        if (r < 0)
                return r;
        return attach(mnt, target_fd, MOUNT_ATTR_RDONLY | flags_to_attr(flags), "tmpfs", what, err);
}

static int tmpfs_fallback(int target_fd, mode_t dir_mode, const MountFile *files, size_t n_files, unsigned flags,
                          const char *what, NvctError *err) {
        char t[PROC_FD_PATH_MAX], data[32];
        _cleanup_close_ int fd = -EBADF;

        proc_fd_path(t, target_fd);
        snprintf(data, sizeof(data), "mode=%o", (unsigned) (dir_mode & 07777));
        if (mount("tmpfs", t, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, data) < 0)
                return nvct_error_set(err, errno, "tmpfs %s: mount", what);
        /* Writable for now; the final remount below makes it read-only. */
        int r = finish_fallback(target_fd, flags_to_ms(flags & ~MNT_F_RO), &fd, "tmpfs", what, err);
        if (r < 0)
                return r;
        char p[PROC_FD_PATH_MAX];
        proc_fd_path(p, fd);
        r = fill_files(fd, files, n_files, what, err);
        if (r >= 0 && mount("none", p, "none", MS_REMOUNT | MS_BIND | MS_RDONLY | flags_to_ms(flags), NULL) < 0)
                r = nvct_error_set(err, errno, "tmpfs %s: remount read-only", what);
        if (r < 0)
                (void) umount2(p, MNT_DETACH);
        return r;
}

int mount_tmpfs_files(int target_fd, mode_t dir_mode, const MountFile *files, size_t n_files, unsigned flags,
                      const char *what, NvctError *err) {
        for (size_t i = 0; i < n_files; i++)
                if (!valid_file_name(files[i].name) || (!files[i].content && files[i].len > 0))
                        return nvct_error_setx(err, EINVAL, "tmpfs %s: invalid file entry %zu", what, i);
        if (use_new_api()) {
                int fs = sys_fsopen("tmpfs", FSOPEN_CLOEXEC);
                if (fs >= 0)
                        return tmpfs_new_api(fs, target_fd, dir_mode, files, n_files, flags, what, err);
                int r = -errno;
                if (!new_api_failed(r))
                        return nvct_error_set(err, r, "tmpfs %s: fsopen", what);
        }
        return tmpfs_fallback(target_fd, dir_mode, files, n_files, flags, what, err);
}

int umount_fd(int fd, const char *what, NvctError *err) {
        for (unsigned i = 0; i < MOUNT_MAX_STACK; i++) {
                _cleanup_close_ int top = -EBADF;
                unsigned depth;
                int r = mount_on_top(fd, &top, &depth);
                if (r == -ENOENT)
                        return i > 0 ? 0 : nvct_error_setx(err, EINVAL, "umount %s: nothing is mounted there", what);
                if (r < 0)
                        return nvct_error_set(err, r, "umount %s", what);
                r = umount_by_fd(top);
                if (r < 0)
                        return nvct_error_set(err, r, "umount %s", what);
        }
        return nvct_error_setx(err, ELOOP, "umount %s: more than %d mounts stacked", what, MOUNT_MAX_STACK);
}
