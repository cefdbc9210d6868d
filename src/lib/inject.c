/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "inject-internal.h"
#include "mount-util.h"
#include "rootfs.h"
#include "strv.h"

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

long long inject_now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

void inject_log(const Injector *in, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        if (!in->target->log)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        in->target->log(in->target->log_userdata, "%s", buf);
}

static int undo_push(Injector *in, UndoKind kind, const char *path) {
        UndoEntry *n = realloc(in->undo, (in->n_undo + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        in->undo = n;
        n[in->n_undo].kind = kind;
        n[in->n_undo].path = strdup(path);
        if (!n[in->n_undo].path)
                return -ENOMEM;
        in->n_undo++;
        return 0;
}

int undo_push_mount(Injector *in, const char *path, NvctError *err) {
        return undo_push(in, UNDO_MOUNT, path) < 0 ? nvct_error_set(err, ENOMEM, "%s", path) : 0;
}

int undo_push_file(Injector *in, const char *path, NvctError *err) {
        return undo_push(in, UNDO_FILE, path) < 0 ? nvct_error_set(err, ENOMEM, "%s", path) : 0;
}

/* Undo in reverse order: unmount first, then remove what we created. Errors here are only logged. */
static void undo_all(Injector *in) {
        for (size_t i = in->n_undo; i-- > 0;) {
                UndoEntry *u = &in->undo[i];
                NvctError e = NVCT_ERROR_INIT;
                int r = 0;
                if (u->kind == UNDO_MOUNT) {
                        _cleanup_close_ int fd = rootfs_open(in->root_fd, u->path, O_PATH, ROOTFS_NOFOLLOW, &e);
                        r = fd < 0 ? fd : umount_fd(fd, u->path, &e);
                } else
                        r = rootfs_unlink(in->root_fd, u->path, u->kind == UNDO_DIR, &e);
                if (r < 0)
                        inject_log(in, "rollback: %s", e.msg);
        }
}

static void undo_free(Injector *in) {
        for (size_t i = 0; i < in->n_undo; i++)
                free(in->undo[i].path);
        free(in->undo);
        in->undo = NULL;
        in->n_undo = 0;
}

/* mkdir -p that records every directory it creates, so a rollback removes exactly those. */
int inject_ensure_parents(Injector *in, const char *path, NvctError *err) {
        char buf[4096];
        int r;

        if (strlen(path) >= sizeof(buf))
                return nvct_error_setx(err, ENAMETOOLONG, "%s: path too long", path);
        snprintf(buf, sizeof(buf), "%s", path);
        char *slash = strrchr(buf, '/');
        if (!slash || slash == buf)
                return 0;
        *slash = '\0';
        for (char *p = buf + 1;; p++) {
                bool last = *p == '\0';
                if (*p != '/' && !last)
                        continue;
                char saved = *p;
                *p = '\0';
                NvctError probe = NVCT_ERROR_INIT;
                _cleanup_close_ int fd = rootfs_open(in->root_fd, buf, O_PATH | O_DIRECTORY, 0, &probe);
                if (fd < 0) {
                        if (fd != -ENOENT)
                                return nvct_error_setx(err, -fd, "%s", probe.msg);
                        bool created = false;
                        int dfd = rootfs_create_dir(in->root_fd, buf, 0755, &created, err);
                        if (dfd < 0)
                                return dfd;
                        (void) close(dfd);
                        if (created && (r = undo_push(in, UNDO_DIR, buf)) < 0)
                                return nvct_error_set(err, r, "%s", buf);
                }
                *p = saved;
                if (last)
                        break;
        }
        return 0;
}

static int open_host_source(const NvctPlanMount *m, NvctError *err) {
        struct stat st;
        int fd = open(m->host_path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return nvct_error_set(err, errno, "open %s", m->host_path);
        if (fstat(fd, &st) < 0) {
                int r = nvct_error_set(err, errno, "stat %s", m->host_path);
                close(fd);
                return r;
        }
        bool ok = (m->kind == NVCT_MOUNT_FILE && S_ISREG(st.st_mode)) ||
                  (m->kind == NVCT_MOUNT_DIR && S_ISDIR(st.st_mode)) ||
                  (m->kind == NVCT_MOUNT_SOCKET && S_ISSOCK(st.st_mode));
        if (!ok) {
                close(fd);
                return nvct_error_setx(err, EINVAL, "unexpected source file mode: %s (mode 0%o)", m->host_path,
                                       st.st_mode & S_IFMT);
        }
        return fd;
}

static int inject_mount(Injector *in, const NvctPlanMount *m, NvctError *err) {
        _cleanup_close_ int src = open_host_source(m, err);
        if (src < 0)
                return src;
        int r = inject_ensure_parents(in, m->container_path, err);
        if (r < 0)
                return r;
        bool created = false;
        _cleanup_close_ int target = m->kind == NVCT_MOUNT_DIR ?
                                             rootfs_create_dir(in->root_fd, m->container_path, 0755, &created, err) :
                                             rootfs_create_file(in->root_fd, m->container_path, 0644, &created, err);
        if (target < 0)
                return target;
        if (created && (r = undo_push(in, m->kind == NVCT_MOUNT_DIR ? UNDO_DIR : UNDO_FILE, m->container_path)) < 0)
                return nvct_error_set(err, r, "%s", m->container_path);
        r = mount_bind_fd(src, target, m->flags, m->container_path, err);
        if (r < 0)
                return r;
        r = undo_push(in, UNDO_MOUNT, m->container_path);
        if (r < 0)
                return nvct_error_set(err, r, "%s", m->container_path);
        in->stats.n_mounts++;
        return 0;
}

/*
 * An existing node may be there already: runc creates the nodes listed in linux.devices, which the shim writes
 * in legacy mode. It is accepted only if it is the very device we would create; anything else is refused, so a
 * planted /dev/nvidiactl -> /dev/sda or a wrong-numbered node never gets a bind or a cgroup grant.
 */
static int check_existing_node(Injector *in, const NvctPlanDevice *d, bool *ret_present, NvctError *err) {
        NvctError probe = NVCT_ERROR_INIT;
        struct stat st;
        _cleanup_close_ int fd = rootfs_open(in->root_fd, d->container_path, O_PATH, ROOTFS_NOFOLLOW, &probe);
        *ret_present = false;
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return nvct_error_setx(err, -fd, "refusing to create device %s: %s", d->container_path, probe.msg);
        if (fstat(fd, &st) < 0)
                return nvct_error_set(err, errno, "stat %s", d->container_path);
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(d->major, d->minor)) {
                *ret_present = true;
                return 0;
        }
        if (S_ISREG(st.st_mode) && st.st_size == 0)
                return 0; /* an empty placeholder file, e.g. left by an earlier bind: reuse it as mount point */
        return nvct_error_setx(err, EEXIST, "refusing to replace %s in the container: it exists and is not device %u:%u",
                               d->container_path, d->major, d->minor);
}

static int inject_node_bind(Injector *in, const NvctPlanDevice *d, NvctError *err) {
        struct stat st;
        _cleanup_close_ int src = open(d->host_path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
        if (src < 0)
                return nvct_error_set(err, errno, "open device %s", d->host_path);
        if (fstat(src, &st) < 0)
                return nvct_error_set(err, errno, "stat %s", d->host_path);
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(d->major, d->minor))
                return nvct_error_setx(err, EINVAL, "invalid device node: %s is not character device %u:%u",
                                       d->host_path, d->major, d->minor);
        bool created = false;
        _cleanup_close_ int target = rootfs_create_file(in->root_fd, d->container_path, 0644, &created, err);
        if (target < 0)
                return target;
        int r;
        if (created && (r = undo_push(in, UNDO_FILE, d->container_path)) < 0)
                return nvct_error_set(err, r, "%s", d->container_path);
        /* nodev must stay off: the point of the mount is device access */
        r = mount_bind_fd(src, target, MNT_F_NOSUID | MNT_F_NOEXEC, d->container_path, err);
        if (r < 0)
                return r;
        return undo_push(in, UNDO_MOUNT, d->container_path) < 0 ? nvct_error_set(err, ENOMEM, "undo") : 0;
}

static int inject_node_mknod(Injector *in, const NvctPlanDevice *d, NvctError *err) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int parent = rootfs_open_parent(in->root_fd, d->container_path, 0, &name, err);
        if (parent < 0)
                return parent;
        mode_t old = umask(0);
        int r = mknodat(parent, name, S_IFCHR | (d->mode & 07777 ? d->mode & 07777 : 0666),
                        makedev(d->major, d->minor));
        umask(old);
        if (r < 0)
                return nvct_error_set(err, errno, "mknod %s", d->container_path);
        return undo_push(in, UNDO_FILE, d->container_path) < 0 ? nvct_error_set(err, ENOMEM, "undo") : 0;
}

static int inject_node(Injector *in, const NvctPlanDevice *d, NvctError *err) {
        bool present = false;
        int r = check_existing_node(in, d, &present, err);
        if (r < 0)
                return r;
        if (present) {
                inject_log(in, "device %s already present in the container", d->container_path);
                return 0;
        }
        r = inject_ensure_parents(in, d->container_path, err);
        if (r < 0)
                return r;
        r = in->target->no_devbind ? inject_node_mknod(in, d, err) : inject_node_bind(in, d, err);
        if (r >= 0)
                in->stats.n_nodes++;
        return r;
}

static int inject_symlink(Injector *in, const NvctPlanSymlink *s, NvctError *err) {
        NvctError probe = NVCT_ERROR_INIT;
        struct stat st;
        _cleanup_close_ int fd = rootfs_open(in->root_fd, s->link_path, O_PATH, ROOTFS_NOFOLLOW, &probe);
        bool existed = false;
        if (fd >= 0) {
                if (fstat(fd, &st) == 0 && !S_ISLNK(st.st_mode)) {
                        inject_log(in, "keeping the image's %s", s->link_path);
                        return 0;
                }
                existed = true;
        } else if (fd == -ELOOP)
                existed = true;
        int r = inject_ensure_parents(in, s->link_path, err);
        if (r < 0)
                return r;
        r = rootfs_symlink(in->root_fd, s->target, s->link_path, 0, err);
        if (r < 0)
                return r;
        in->stats.n_symlinks++;
        return existed ? 0 : (undo_push(in, UNDO_FILE, s->link_path) < 0 ? nvct_error_set(err, ENOMEM, "undo") : 0);
}

static bool in_proc_view(const char *container_path) {
        return strneq(container_path, "/proc/driver/nvidia/", 20);
}

static int inject_mounts_and_nodes(Injector *in, NvctError *err) {
        const NvctPlan *p = in->plan;
        long long t0 = inject_now_us();
        int r;

        r = inject_proc_view(in, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < p->n_mounts; i++) {
                if (in_proc_view(p->mounts[i].container_path)) {
                        if (!in->proc_view_mounted)
                                continue;
                        r = inject_proc_view_mount(in, &p->mounts[i], err);
                } else
                        r = inject_mount(in, &p->mounts[i], err);
                if (r < 0)
                        return r;
        }
        long long t1 = inject_now_us();
        in->stats.mounts_us = t1 - t0;
        for (size_t i = 0; i < p->n_devices; i++)
                if ((r = inject_node(in, &p->devices[i], err)) < 0)
                        return r;
        long long t2 = inject_now_us();
        in->stats.nodes_us = t2 - t1;
        for (size_t i = 0; i < p->n_symlinks; i++)
                if ((r = inject_symlink(in, &p->symlinks[i], err)) < 0)
                        return r;
        if (p->compat_dir && (r = inject_compat_conf(in, err)) < 0)
                return r;
        in->stats.symlinks_us = inject_now_us() - t2;
        return 0;
}

int nvct_container_pin(pid_t pid, int *ret_mntns_fd, NvctError *err) {
        char path[64];
        int pin = (int) syscall(SYS_pidfd_open, pid, 0);
        if (pin < 0 && errno != ENOSYS)
                return nvct_error_set(err, errno, "pin container process %d", (int) pid);
        _cleanup_close_ int procdir = -EBADF;
        snprintf(path, sizeof(path), "/proc/%d", (int) pid);
        procdir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (procdir < 0) {
                int r = nvct_error_set(err, errno, "container process %d", (int) pid);
                if (pin >= 0)
                        close(pin);
                return r;
        }
        int ns = openat(procdir, "ns/mnt", O_RDONLY | O_CLOEXEC);
        if (ns < 0) {
                int r = nvct_error_set(err, errno, "open mount namespace of process %d", (int) pid);
                if (pin >= 0)
                        close(pin);
                return r;
        }
        if (pin < 0)
                pin = TAKE_FD(procdir);
        /* the pid may have been recycled between pidfd_open and the open of /proc/PID: check it is still ours */
        int r = nvct_container_alive(pin, pid, err);
        if (r < 0) {
                close(ns);
                close(pin);
                return r;
        }
        *ret_mntns_fd = ns;
        return pin;
}

int nvct_container_alive(int pin_fd, pid_t pid, NvctError *err) {
        struct stat st;
        if (fstat(pin_fd, &st) == 0 && S_ISDIR(st.st_mode)) {
                if (faccessat(pin_fd, "stat", F_OK, 0) < 0)
                        return nvct_error_setx(err, ESRCH, "container process %d exited", (int) pid);
                return 0;
        }
        if (syscall(SYS_pidfd_send_signal, pin_fd, 0, NULL, 0) < 0)
                return nvct_error_setx(err, ESRCH, "container process %d exited", (int) pid);
        return 0;
}

static int enter_and_open_root(Injector *in, NvctError *err) {
        in->host_ns_fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
        in->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (in->host_ns_fd < 0)
                return nvct_error_set(err, errno, "open /proc/self/ns/mnt");
        if (setns(in->mntns_fd, CLONE_NEWNS) < 0)
                return nvct_error_set(err, errno, "enter the mount namespace of process %d", (int) in->target->pid);
        in->entered = true;
        return rootfs_open_root(in->target->rootfs, &in->root_fd, err);
}

static void leave(Injector *in) {
        if (in->entered && in->host_ns_fd >= 0 && setns(in->host_ns_fd, CLONE_NEWNS) < 0)
                inject_log(in, "failed to return to the host mount namespace: %s", strerror(errno));
        if (in->cwd_fd >= 0 && fchdir(in->cwd_fd) < 0)
                inject_log(in, "failed to restore the working directory: %s", strerror(errno));
        in->entered = false;
}

int nvct_inject(const NvctPlan *plan, const NvctInjectTarget *target, NvctInjectStats *stats, NvctError *err) {
        Injector in = { .plan = plan, .target = target, .root_fd = -EBADF, .mntns_fd = -EBADF,
                        .host_ns_fd = -EBADF, .cwd_fd = -EBADF, .pin_fd = -EBADF };
        long long t0 = inject_now_us();
        int r;

        in.pin_fd = nvct_container_pin(target->pid, &in.mntns_fd, err);
        if (in.pin_fd < 0)
                return in.pin_fd;
        r = enter_and_open_root(&in, err);
        in.stats.enter_us = inject_now_us() - t0;
        if (r >= 0)
                r = inject_mounts_and_nodes(&in, err);
        if (r >= 0 && target->ldconfig && plan->run_ldconfig)
                r = inject_ldcache(&in, err);
        if (r >= 0)
                r = nvct_container_alive(in.pin_fd, target->pid, err);
        if (r < 0)
                undo_all(&in);
        leave(&in);
        if (r >= 0 && !target->no_cgroups) {
                long long t = inject_now_us();
                r = inject_cgroups(&in, err);
                in.stats.cgroups_us = inject_now_us() - t;
        }
        if (r >= 0 && in.need_ldconfig) {
                long long t = inject_now_us();
                r = inject_ldconfig(&in, err);
                in.stats.ldconfig_us += inject_now_us() - t;
        }
        if (r < 0 && in.n_undo > 0 && !in.undone) {
                /* a late failure (cgroups, ldconfig): go back in and remove what we did */
                NvctError e2 = NVCT_ERROR_INIT;
                closep(&in.root_fd);
                closep(&in.host_ns_fd);
                closep(&in.cwd_fd);
                if (enter_and_open_root(&in, &e2) >= 0)
                        undo_all(&in);
                leave(&in);
        }
        if (stats)
                *stats = in.stats;
        undo_free(&in);
        closep(&in.root_fd);
        closep(&in.mntns_fd);
        closep(&in.host_ns_fd);
        closep(&in.cwd_fd);
        closep(&in.pin_fd);
        return r;
}
