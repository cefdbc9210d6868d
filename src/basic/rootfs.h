/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/*
 * The one resolver for paths inside an untrusted root (a container rootfs) or a trusted but relocated one (a
 * driver root). Every path is resolved from an O_PATH fd of the root with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS): ".." and absolute symlinks stay inside the root, magic links are refused. On kernels
 * without openat2 (or when it is blocked by seccomp) a component-by-component walk with O_NOFOLLOW does the same
 * and its result is checked through /proc/self/fd. No path string into the root ever reaches a syscall; callers
 * get fds.
 */

typedef enum RootfsFlags {
        ROOTFS_NOFOLLOW = 1 << 0,       /* the final component must not be a symlink (ELOOP) */
        ROOTFS_MKDIR_PARENTS = 1 << 1,  /* create missing parent directories (mode 0755) */
        ROOTFS_DIRECTORY = 1 << 2,      /* the result must be a directory */
} RootfsFlags;

/* Open a root directory as O_PATH|O_DIRECTORY. */
int rootfs_open_root(const char *path, int *ret_fd, NvctError *err);

/*
 * Resolve path (absolute or relative, interpreted inside the root) and open it with open_flags (O_PATH,
 * O_RDONLY, …; O_CLOEXEC and O_NOCTTY are always added, O_CREAT is refused here). Returns the fd.
 */
int rootfs_open(int root_fd, const char *path, int open_flags, unsigned flags, NvctError *err);

/*
 * Open the parent directory of path inside the root (creating it with ROOTFS_MKDIR_PARENTS) and return its
 * O_PATH fd; *ret_name receives the final component (caller frees). The final component is "." when path is
 * the root itself, and refused when it is "..".
 */
int rootfs_open_parent(int root_fd, const char *path, unsigned flags, char **ret_name, NvctError *err);

/* mkdir -p inside the root; returns an O_PATH|O_DIRECTORY fd of the final directory. */
int rootfs_mkdir_p(int root_fd, const char *path, mode_t mode, NvctError *err);

/*
 * Create (O_CREAT|O_EXCL|O_NOFOLLOW relative to the parent fd) or open an existing regular file to serve as a
 * mount point. Returns an O_PATH fd of it; *ret_created says whether we created it, so a failed operation can
 * remove exactly what it made. An existing non-regular file or symlink is refused with EEXIST/ELOOP. Missing
 * parent directories are created (0755, as with ROOTFS_MKDIR_PARENTS); *ret_created is written only on success.
 */
int rootfs_create_file(int root_fd, const char *path, mode_t mode, bool *ret_created, NvctError *err);

/* Same for a directory mount point. */
int rootfs_create_dir(int root_fd, const char *path, mode_t mode, bool *ret_created, NvctError *err);

/*
 * Create a symlink path -> target inside the root: symlinkat to a temporary name in the parent, then renameat
 * over path. An existing directory at path is refused. target is stored verbatim.
 */
int rootfs_symlink(int root_fd, const char *target, const char *path, unsigned flags, NvctError *err);

/* Remove path (unlinkat in its parent fd; AT_REMOVEDIR when dir). Missing is not an error. */
int rootfs_unlink(int root_fd, const char *path, bool dir, NvctError *err);

/* The path of an fd as the kernel sees it (/proc/self/fd). */
int fd_get_path(int fd, char *buf, size_t size);

/* True when openat2 with RESOLVE_IN_ROOT works here (probed once, cached). */
bool rootfs_have_openat2(void);
/* Tests: force the fallback walk even when openat2 works. */
void rootfs_force_fallback(bool on);
