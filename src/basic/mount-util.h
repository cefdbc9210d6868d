/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/* Mount flags as in plan.h NvctMountFlags, repeated here so basic/ does not depend on lib/. */
enum {
        MNT_F_RO = 1 << 0,
        MNT_F_NOSUID = 1 << 1,
        MNT_F_NODEV = 1 << 2,
        MNT_F_NOEXEC = 1 << 3,
};

/*
 * Bind the object open at src_fd (any fd, typically O_PATH of a host file) onto the object open at target_fd
 * (an O_PATH fd obtained from the rootfs resolver), then apply flags. Uses open_tree(OPEN_TREE_CLONE) +
 * mount_setattr + move_mount(MOVE_MOUNT_T_EMPTY_PATH); falls back to mount() with /proc/thread-self/fd/N as
 * source and target, followed by a remount. The target is never named by a path string.
 * `what` names the target in error messages.
 */
int mount_bind_fd(int src_fd, int target_fd, unsigned flags, const char *what, NvctError *err);

typedef struct MountFile {
        const char *name;    /* a relative path inside the tmpfs; parents are listed before their children */
        const char *content;
        size_t len;
        mode_t mode;         /* permission bits; with S_IFDIR a directory (a mount point for a nested mount) */
} MountFile;

/*
 * Mount a fresh tmpfs holding exactly these files onto target_fd, then make it read-only with flags. With the new
 * mount API the tmpfs is filled while still detached (fsopen/fsmount), so the container never sees it half
 * written; the fallback mounts on /proc/thread-self/fd/N, fills and remounts read-only.
 */
int mount_tmpfs_files(int target_fd, mode_t dir_mode, const MountFile *files, size_t n_files, unsigned flags,
                      const char *what, NvctError *err);

/*
 * The two halves of mount_bind_fd's new-API path, for callers that cross mount namespaces: an injector that
 * opens host sources before setns() into the container's mount namespace and attaches them afterwards. A tree
 * cloned with open_tree(OPEN_TREE_CLONE) is detached and belongs to no namespace, so it can be attached in
 * another one; a plain fd of the source cannot, since the mount() fallback resolves /proc/thread-self/fd/N in the
 * caller's current namespace. mount_clone_tree fails with ENOSYS when the new mount API is missing, filtered or
 * mount_force_fallback() is on; the caller must then open its sources after entering the namespace and use
 * mount_bind_fd. mount_attach_tree applies flags (and private propagation) to the detached tree before it becomes
 * visible, moves it onto target_fd and verifies where it landed; the tree fd stays owned by the caller.
 */
int mount_clone_tree(int src_fd, int *ret_tree_fd, NvctError *err);
int mount_attach_tree(int tree_fd, int target_fd, unsigned flags, const char *what, NvctError *err);

/* True when open_tree, move_mount, mount_setattr, fsopen, fsconfig and fsmount all work (probed once, cached). */
bool mount_have_new_api(void);

/* Unmount whatever is mounted on the object open at fd (MNT_DETACH), by fd path. */
int umount_fd(int fd, const char *what, NvctError *err);

/* Tests: force the mount() fallback even when the new mount API works. */
void mount_force_fallback(bool on);
