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
        const char *name;    /* a plain file name, no '/' */
        const char *content;
        size_t len;
        mode_t mode;
} MountFile;

/*
 * Mount a fresh tmpfs holding exactly these files onto target_fd, then make it read-only with flags. With the new
 * mount API the tmpfs is filled while still detached (fsopen/fsmount), so the container never sees it half
 * written; the fallback mounts on /proc/thread-self/fd/N, fills and remounts read-only.
 */
int mount_tmpfs_files(int target_fd, mode_t dir_mode, const MountFile *files, size_t n_files, unsigned flags,
                      const char *what, NvctError *err);

/* Unmount whatever is mounted on the object open at fd (MNT_DETACH), by fd path. */
int umount_fd(int fd, const char *what, NvctError *err);

/* Tests: force the mount() fallback even when the new mount API works. */
void mount_force_fallback(bool on);
