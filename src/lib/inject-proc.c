/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "inject-internal.h"
#include "mount-util.h"
#include "rootfs.h"
#include "strv.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

#define PROC_VIEW "/proc/driver/nvidia"
#define COMPAT_CONF "/etc/ld.so.conf.d/00-nvct-cuda-compat.conf"

static int add_entry(MountFile **files, size_t *n, char *name, mode_t mode, const char *content, size_t len) {
        for (size_t i = 0; i < *n; i++)
                if (streq((*files)[i].name, name)) {
                        free(name);
                        return 0;
                }
        MountFile *f = realloc(*files, (*n + 1) * sizeof(**files));
        if (!f) {
                free(name);
                return -ENOMEM;
        }
        *files = f;
        f[*n] = (MountFile) { .name = name, .content = content, .len = len, .mode = mode };
        (*n)++;
        return 0;
}

/* Mount points below the view (gpus/<bus>, MIG access files) must exist in the tmpfs before it is sealed. */
static int add_mount_point(MountFile **files, size_t *n, const NvctPlanMount *m) {
        const char *rel = m->container_path + strlen(PROC_VIEW "/");
        int r = 0;
        for (const char *s = strchr(rel, '/'); s && r >= 0; s = strchr(s + 1, '/')) {
                char *dir = strndup(rel, (size_t) (s - rel));
                r = dir ? add_entry(files, n, dir, S_IFDIR | 0555, NULL, 0) : -ENOMEM;
        }
        if (r < 0)
                return r;
        char *leaf = strdup(rel);
        if (!leaf)
                return -ENOMEM;
        return add_entry(files, n, leaf, (m->kind == NVCT_MOUNT_DIR ? S_IFDIR | 0555 : S_IFREG | 0444), "", 0);
}

static void free_entries(MountFile *files, size_t n) {
        for (size_t i = 0; i < n; i++)
                free((char *) files[i].name);
        free(files);
}

int inject_proc_view(Injector *in, NvctError *err) {
        const NvctPlan *p = in->plan;
        NvctError probe = NVCT_ERROR_INIT;
        struct statfs sfs;
        MountFile *files = NULL;
        size_t n = 0;
        int r = 0;

        if (!p->proc_driver_view)
                return 0;
        _cleanup_close_ int target = rootfs_open(in->root_fd, PROC_VIEW, O_PATH | O_DIRECTORY, 0, &probe);
        if (target == -ENOENT) {
                inject_log(in, "skipping %s: the container's /proc has no NVIDIA driver view", PROC_VIEW);
                return 0;
        }
        if (target < 0)
                return nvct_error_setx(err, -target, "%s", probe.msg);
        /* A directory that is not procfs means /proc was replaced by the image: never mount over it. */
        if (fstatfs(target, &sfs) < 0)
                return nvct_error_set(err, errno, "statfs %s", PROC_VIEW);
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return nvct_error_setx(err, EPERM, "refusing to mount over %s: it is not on procfs", PROC_VIEW);

        for (size_t i = 0; i < p->n_proc_files && r >= 0; i++) {
                char *name = strdup(p->proc_files[i].name);
                r = name ? add_entry(&files, &n, name, S_IFREG | 0444, p->proc_files[i].content,
                                     p->proc_files[i].len) :
                           -ENOMEM;
        }
        for (size_t i = 0; i < p->n_mounts && r >= 0; i++)
                if (strneq(p->mounts[i].container_path, PROC_VIEW "/", strlen(PROC_VIEW "/")))
                        r = add_mount_point(&files, &n, &p->mounts[i]);
        if (r < 0) {
                free_entries(files, n);
                return nvct_error_set(err, r, "%s", PROC_VIEW);
        }
        r = mount_tmpfs_files(target, 0555, files, n, MNT_F_RO | MNT_F_NOSUID | MNT_F_NODEV | MNT_F_NOEXEC,
                              PROC_VIEW, err);
        free_entries(files, n);
        if (r < 0)
                return r;
        in->proc_view_mounted = true;
        in->stats.n_mounts++;
        return undo_push_mount(in, PROC_VIEW, err);
}

int inject_proc_view_mount(Injector *in, const NvctPlanMount *m, NvctError *err) {
        NvctError probe = NVCT_ERROR_INIT;
        _cleanup_close_ int src = open(m->host_path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (src < 0) {
                /* a GPU or MIG instance that went away between discovery and now */
                inject_log(in, "skipping %s: %s", m->container_path, strerror(errno));
                return 0;
        }
        _cleanup_close_ int target = rootfs_open(in->root_fd, m->container_path, O_PATH, ROOTFS_NOFOLLOW, &probe);
        if (target < 0)
                return nvct_error_setx(err, -target, "%s", probe.msg);
        int r = mount_bind_fd(src, target, m->flags, m->container_path, err);
        if (r < 0)
                return r;
        in->stats.n_mounts++;
        return undo_push_mount(in, m->container_path, err);
}

int inject_compat_conf(Injector *in, NvctError *err) {
        char fdpath[64], line[128];
        bool created = false;
        int r = inject_ensure_parents(in, COMPAT_CONF, err);
        if (r < 0)
                return r;
        _cleanup_close_ int pathfd = rootfs_create_file(in->root_fd, COMPAT_CONF, 0644, &created, err);
        if (pathfd < 0)
                return pathfd;
        if (created && (r = undo_push_file(in, COMPAT_CONF, err)) < 0)
                return r;
        /* reopen the very inode we resolved; the path is never walked again. No O_NOFOLLOW: the fd link is a
         * magic link, which O_NOFOLLOW refuses (ELOOP) — it leads only to the regular file checked above. */
        snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", pathfd);
        _cleanup_close_ int fd = open(fdpath, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return nvct_error_set(err, errno, "open %s", COMPAT_CONF);
        int len = snprintf(line, sizeof(line), "%s\n", in->plan->compat_dir);
        if (write(fd, line, (size_t) len) != len)
                return nvct_error_set(err, errno, "write %s", COMPAT_CONF);
        inject_log(in, "CUDA forward compatibility: %s first in the library search path", in->plan->compat_dir);
        return 0;
}
