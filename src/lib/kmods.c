/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "discover-devices.h"
#include "discover-procfs.h"
#include "fileio.h"
#include "kmods.h"

#define MODPROBE "/sbin/modprobe"
#define MODPROBE_TIMEOUT_MS 10000

static void klog(const NvctKmodOptions *o, const char *fmt, ...) _printf_(2, 3);
static void klog(const NvctKmodOptions *o, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        if (!o || !o->log)
                return;
        va_start(ap, fmt);
        (void) vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        o->log(o->log_userdata, "%s", buf);
}

bool nvct_in_user_namespace(void) {
        _cleanup_free_ char *map = NULL;
        unsigned long a, b, c;
        int end = 0;

        if (read_file_at(AT_FDCWD, "/proc/self/uid_map", 4096, &map, NULL, NULL) < 0)
                return false; /* a kernel without user namespaces */
        /* The initial namespace maps exactly one range: all 2^32 ids onto themselves. */
        if (sscanf(map, " %lu %lu %lu %n", &a, &b, &c, &end) != 3)
                return true;
        return !(a == 0 && b == 0 && c == 4294967295UL && map[end] == '\0');
}

static int run_modprobe(const char *module, const NvctKmodOptions *o) {
        char *const argv[] = { (char *) MODPROBE, (char *) module, NULL };
        char *const envp[] = { NULL };
        int status;

        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (fd >= 0) {
                        dup2(fd, STDIN_FILENO);
                        dup2(fd, STDOUT_FILENO);
                        dup2(fd, STDERR_FILENO);
                }
                execve(MODPROBE, argv, envp);
                _exit(127);
        }
        for (int waited = 0;; waited += 10) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return -errno;
                if (waited >= MODPROBE_TIMEOUT_MS) {
                        kill(pid, SIGKILL);
                        (void) waitpid(pid, &status, 0);
                        klog(o, "%s %s: timed out", MODPROBE, module);
                        return -ETIMEDOUT;
                }
                nanosleep(&(struct timespec) { .tv_nsec = 10 * 1000 * 1000 }, NULL);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                klog(o, "%s %s failed (status %d)", MODPROBE, module, status);
                return -EIO;
        }
        klog(o, "loaded kernel module %s", module);
        return 0;
}

static char *join(const char *root, const char *rel) {
        char *s = NULL;
        size_t rl = strlen(root);
        while (rl > 0 && root[rl - 1] == '/')
                rl--;
        if (asprintf(&s, "%.*s/%s", (int) rl, root, rel[0] == '/' ? rel + 1 : rel) < 0)
                return NULL;
        return s;
}

typedef struct NodeOwner {
        uid_t uid;
        gid_t gid;
        mode_t mode;
} NodeOwner;

/* Returns 1 when created, 0 when something already exists there. */
static int make_node(const NvctRoots *roots, const char *path, unsigned major, unsigned minor, NodeOwner own,
                     const NvctKmodOptions *o, NvctError *err) {
        _cleanup_free_ char *host = join(roots->dev_root, path);
        struct stat st;

        if (!host)
                return nvct_error_set(err, ENOMEM, "create %s", path);
        if (fstatat(AT_FDCWD, host, &st, AT_SYMLINK_NOFOLLOW) == 0) {
                if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != major || minor(st.st_rdev) != minor)
                        klog(o, "leaving %s alone: it exists but is not character device %u:%u", host, major, minor);
                return 0;
        }
        if (errno != ENOENT)
                return nvct_error_set(err, errno, "stat %s", host);
        if (mknodat(AT_FDCWD, host, S_IFCHR | (own.mode & 0777), makedev(major, minor)) < 0)
                return nvct_error_set(err, errno, "mknod %s (%u:%u)", host, major, minor);
        /* mknod honours the umask and creates root-owned nodes: set both explicitly. */
        if (fchownat(AT_FDCWD, host, own.uid, own.gid, AT_SYMLINK_NOFOLLOW) < 0 ||
            fchmodat(AT_FDCWD, host, own.mode & 0777, 0) < 0) {
                int r = nvct_error_set(err, errno, "set owner and mode of %s", host);
                (void) unlink(host);
                return r;
        }
        klog(o, "created %s (%u:%u, mode %03o)", host, major, minor, (unsigned) (own.mode & 0777));
        return 1;
}

static int make_dir(const NvctRoots *roots, const char *path, NvctError *err) {
        _cleanup_free_ char *host = join(roots->dev_root, path);
        if (!host)
                return nvct_error_set(err, ENOMEM, "create %s", path);
        if (mkdir(host, 0755) < 0 && errno != EEXIST)
                return nvct_error_set(err, errno, "mkdir %s", host);
        return 0;
}

/* The capability file at proc path rel as a /dev/nvidia-caps node. */
static int make_cap_node(const NvctRoots *roots, unsigned major, const char *cap_path, const NvctKmodOptions *o,
                         NvctError *err) {
        unsigned minor;
        mode_t mode;
        char node[64];

        if (nvct_procfs_read_cap_minor(roots->proc_root, cap_path, &minor, &mode, NULL) < 0)
                return 0;
        int r = make_dir(roots, "/dev/nvidia-caps", err);
        if (r < 0)
                return r;
        snprintf(node, sizeof(node), "/dev/nvidia-caps/nvidia-cap%u", minor);
        return make_node(roots, node, major, minor, (NodeOwner) { 0, 0, mode }, o, err);
}

static int make_mig_cap_nodes(const NvctRoots *roots, const NvctDriver *drv, const NvctKmodOptions *o,
                              NvctError *err) {
        int n = 0, r;

        if (drv->major_caps == 0)
                return 0;
        static const char *const globals[] = { "/proc/driver/nvidia/capabilities/mig/config",
                                               "/proc/driver/nvidia/capabilities/mig/monitor" };
        for (size_t i = 0; i < ELEMENTSOF(globals); i++) {
                if ((r = make_cap_node(roots, drv->major_caps, globals[i], o, err)) < 0)
                        return r;
                n += r;
        }
        for (size_t i = 0; i < drv->n_gpus; i++) {
                NvctGpu g = drv->gpus[i];
                g.migs = NULL;
                g.n_migs = 0;
                if (nvct_procfs_read_migs(roots->proc_root, &g, NULL) < 0)
                        continue;
                for (size_t j = 0; j < g.n_migs && r >= 0; j++) {
                        if ((r = make_cap_node(roots, drv->major_caps, g.migs[j].gi_access, o, err)) >= 0)
                                n += r;
                        if (r >= 0 && (r = make_cap_node(roots, drv->major_caps, g.migs[j].ci_access, o, err)) >= 0)
                                n += r;
                }
                for (size_t j = 0; j < g.n_migs; j++) {
                        free(g.migs[j].gi_access);
                        free(g.migs[j].ci_access);
                }
                free(g.migs);
                if (r < 0)
                        return r;
        }
        return n;
}

static NodeOwner params_owner(const char *params) {
        NodeOwner own = { 0, 0, 0666 };
        unsigned long v;
        if (nvct_procfs_param(params, "DeviceFileUID", &v) >= 0)
                own.uid = (uid_t) v;
        if (nvct_procfs_param(params, "DeviceFileGID", &v) >= 0)
                own.gid = (gid_t) v;
        if (nvct_procfs_param(params, "DeviceFileMode", &v) >= 0)
                own.mode = (mode_t) (v & 0777);
        return own;
}

static bool module_loaded(const NvctRoots *roots, const char *name) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/module/%s", roots->sys_root, name) < 0)
                return false;
        return access(p, F_OK) == 0;
}

static int make_nvidia_nodes(const NvctRoots *roots, const NvctDriver *drv, NodeOwner own,
                             const NvctKmodOptions *o, NvctError *err) {
        int n = 0, r;
        char path[64];

        if (drv->major_nvidia == 0)
                return 0;
        if ((r = make_node(roots, "/dev/nvidiactl", drv->major_nvidia, NVCT_NVIDIACTL_MINOR, own, o, err)) < 0)
                return r;
        n += r;
        for (size_t i = 0; i < drv->n_gpus; i++) {
                snprintf(path, sizeof(path), "/dev/nvidia%u", drv->gpus[i].minor);
                if ((r = make_node(roots, path, drv->major_nvidia, drv->gpus[i].minor, own, o, err)) < 0)
                        return r;
                n += r;
        }
        if (module_loaded(roots, "nvidia_modeset")) {
                if ((r = make_node(roots, "/dev/nvidia-modeset", drv->major_nvidia, NVCT_MODESET_MINOR, own, o,
                                   err)) < 0)
                        return r;
                n += r;
        }
        return n;
}

static int make_other_nodes(const NvctRoots *roots, const NvctDriver *drv, NodeOwner own, const NvctKmodOptions *o,
                            NvctError *err) {
        int n = 0, r;
        char path[96];

        if (drv->major_uvm != 0) {
                /* nvidia-modprobe makes the UVM nodes world-accessible whatever the params say. */
                NodeOwner uvm = { 0, 0, 0666 };
                if ((r = make_node(roots, "/dev/nvidia-uvm", drv->major_uvm, 0, uvm, o, err)) < 0)
                        return r;
                n += r;
                if ((r = make_node(roots, "/dev/nvidia-uvm-tools", drv->major_uvm, 1, uvm, o, err)) < 0)
                        return r;
                n += r;
        }
        if ((r = make_mig_cap_nodes(roots, drv, o, err)) < 0)
                return r;
        n += r;
        if (!o || !o->create_imex_channels || drv->major_imex == 0 || o->n_imex_channels == 0)
                return n;
        if ((r = make_dir(roots, "/dev/nvidia-caps-imex-channels", err)) < 0)
                return r;
        for (size_t i = 0; i < o->n_imex_channels; i++) {
                if (o->imex_channels[i] >= NVCT_IMEX_CHANNEL_LIMIT)
                        continue;
                snprintf(path, sizeof(path), "/dev/nvidia-caps-imex-channels/channel%u", o->imex_channels[i]);
                if ((r = make_node(roots, path, drv->major_imex, o->imex_channels[i], own, o, err)) < 0)
                        return r;
                n += r;
        }
        return n;
}

int nvct_create_device_nodes(const NvctRoots *roots_in, const NvctKmodOptions *opts, NvctError *err) {
        _cleanup_driver_ NvctDriver *drv = calloc(1, sizeof(NvctDriver));
        _cleanup_free_ char *params = NULL;
        NvctRoots r_roots, *roots = &r_roots;
        int n, r;

        nvct_roots_fill_defaults(roots_in, &r_roots);
        if (!drv)
                return nvct_error_set(err, ENOMEM, "create device nodes");
        r = nvct_procfs_read_majors(roots->proc_root, drv, NULL, err);
        if (r < 0)
                return r;
        r = nvct_procfs_read_gpus(roots->proc_root, drv, err);
        if (r < 0)
                return r;
        (void) nvct_procfs_read(roots->proc_root, "driver/nvidia/params", NVCT_PROC_SMALL_MAX, &params, NULL);
        NodeOwner own = params_owner(params);
        n = make_nvidia_nodes(roots, drv, own, opts, err);
        if (n < 0)
                return n;
        r = make_other_nodes(roots, drv, own, opts, err);
        if (r < 0)
                return r;
        return n + r;
}

void nvct_kmods_load(const NvctRoots *roots_in, const NvctKmodOptions *opts) {
        NvctError err = NVCT_ERROR_INIT;
        NvctRoots roots_buf, *roots = &roots_buf;
        struct stat st;

        nvct_roots_fill_defaults(roots_in, &roots_buf);
        _cleanup_free_ char *dir = join(roots->proc_root, "driver/nvidia");
        if (geteuid() != 0) {
                klog(opts, "not loading kernel modules: not running as root");
                return;
        }
        if (nvct_in_user_namespace()) {
                klog(opts, "not loading kernel modules: running in a user namespace");
                return;
        }
        if (dir && stat(dir, &st) == 0)
                klog(opts, "kernel modules already loaded (%s exists)", dir);
        else {
                static const char *const modules[] = { "nvidia", "nvidia-uvm", "nvidia-modeset" };
                for (size_t i = 0; i < ELEMENTSOF(modules); i++)
                        (void) run_modprobe(modules[i], opts);
        }
        if (nvct_create_device_nodes(roots, opts, &err) < 0)
                klog(opts, "creating device nodes: %s", err.msg);
}
