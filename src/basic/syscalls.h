/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Raw wrappers for the syscalls the fd-based rootfs and mount code relies on. glibc 2.36 declares some of them
 * (fsopen, move_mount, …) with slightly different prototypes, so ours carry a sys_ prefix and never collide.
 * Each wrapper compiles to an ENOSYS stub when the build headers do not know the syscall number; callers probe at
 * run time and fall back, so nothing here ever looks at a kernel version.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- openat2 ---------------------------------------------------------------------------------------------- */

#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH 0x08
#endif
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_IN_ROOT 0x10
#endif
#ifndef RESOLVE_CACHED
#define RESOLVE_CACHED 0x20
#endif

/* Our own copy of the uapi struct (linux/openat2.h): the layout is fixed ABI, extended only at the end. */
struct nvct_open_how {
        uint64_t flags;
        uint64_t mode;
        uint64_t resolve;
};

static inline int sys_openat2(int dirfd, const char *path, struct nvct_open_how *how, size_t size) {
#ifdef __NR_openat2
        return (int) syscall(__NR_openat2, dirfd, path, how, size);
#else
        (void) dirfd, (void) path, (void) how, (void) size;
        errno = ENOSYS;
        return -1;
#endif
}

/* ---- new mount API ---------------------------------------------------------------------------------------- */

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#ifndef MOVE_MOUNT_F_SYMLINKS
#define MOVE_MOUNT_F_SYMLINKS 0x00000001
#endif
#ifndef MOVE_MOUNT_F_AUTOMOUNTS
#define MOVE_MOUNT_F_AUTOMOUNTS 0x00000002
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_SYMLINKS
#define MOVE_MOUNT_T_SYMLINKS 0x00000010
#endif
#ifndef MOVE_MOUNT_T_AUTOMOUNTS
#define MOVE_MOUNT_T_AUTOMOUNTS 0x00000020
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif

#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif

/* fsconfig commands are an enum in the uapi header; glibc 2.36 mirrors them with #defines of the same name. */
#ifndef FSCONFIG_SET_FLAG
#define FSCONFIG_SET_FLAG 0
#endif
#ifndef FSCONFIG_SET_STRING
#define FSCONFIG_SET_STRING 1
#endif
#ifndef FSCONFIG_CMD_CREATE
#define FSCONFIG_CMD_CREATE 6
#endif

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#endif
#ifndef MOUNT_ATTR_NODEV
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOUNT_ATTR_NOEXEC
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif

struct nvct_mount_attr {
        uint64_t attr_set;
        uint64_t attr_clr;
        uint64_t propagation;
        uint64_t userns_fd;
};

static inline int sys_open_tree(int dirfd, const char *path, unsigned flags) {
#ifdef __NR_open_tree
        return (int) syscall(__NR_open_tree, dirfd, path, flags);
#else
        (void) dirfd, (void) path, (void) flags;
        errno = ENOSYS;
        return -1;
#endif
}

static inline int sys_move_mount(int from_dirfd, const char *from_path, int to_dirfd, const char *to_path,
                                 unsigned flags) {
#ifdef __NR_move_mount
        return (int) syscall(__NR_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
#else
        (void) from_dirfd, (void) from_path, (void) to_dirfd, (void) to_path, (void) flags;
        errno = ENOSYS;
        return -1;
#endif
}

static inline int sys_mount_setattr(int dirfd, const char *path, unsigned flags, struct nvct_mount_attr *attr,
                                    size_t size) {
#ifdef __NR_mount_setattr
        return (int) syscall(__NR_mount_setattr, dirfd, path, flags, attr, size);
#else
        (void) dirfd, (void) path, (void) flags, (void) attr, (void) size;
        errno = ENOSYS;
        return -1;
#endif
}

static inline int sys_fsopen(const char *fsname, unsigned flags) {
#ifdef __NR_fsopen
        return (int) syscall(__NR_fsopen, fsname, flags);
#else
        (void) fsname, (void) flags;
        errno = ENOSYS;
        return -1;
#endif
}

static inline int sys_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux) {
#ifdef __NR_fsconfig
        return (int) syscall(__NR_fsconfig, fd, cmd, key, value, aux);
#else
        (void) fd, (void) cmd, (void) key, (void) value, (void) aux;
        errno = ENOSYS;
        return -1;
#endif
}

static inline int sys_fsmount(int fd, unsigned flags, unsigned attr_flags) {
#ifdef __NR_fsmount
        return (int) syscall(__NR_fsmount, fd, flags, attr_flags);
#else
        (void) fd, (void) flags, (void) attr_flags;
        errno = ENOSYS;
        return -1;
#endif
}

/* ---- processes and fds ------------------------------------------------------------------------------------ */

static inline int sys_pidfd_open(pid_t pid, unsigned flags) {
#ifdef __NR_pidfd_open
        return (int) syscall(__NR_pidfd_open, pid, flags);
#else
        (void) pid, (void) flags;
        errno = ENOSYS;
        return -1;
#endif
}

static inline int sys_pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned flags) {
#ifdef __NR_pidfd_send_signal
        return (int) syscall(__NR_pidfd_send_signal, pidfd, sig, info, flags);
#else
        (void) pidfd, (void) sig, (void) info, (void) flags;
        errno = ENOSYS;
        return -1;
#endif
}

#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1U << 1)
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static inline int sys_close_range(unsigned first, unsigned last, unsigned flags) {
#ifdef __NR_close_range
        return (int) syscall(__NR_close_range, first, last, flags);
#else
        (void) first, (void) last, (void) flags;
        errno = ENOSYS;
        return -1;
#endif
}

/* ENOSYS (kernel too old) and EPERM (a seccomp profile such as Docker's default) both mean "use the fallback". */
static inline bool syscall_unavailable(int e) {
        return e == ENOSYS || e == EPERM;
}
