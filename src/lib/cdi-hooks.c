/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buf.h"
#include "cdi-hooks.h"
#include "fileio.h"
#include "image.h"
#include "ldconfig.h"
#include "mount-util.h"
#include "oci.h"
#include "plan.h"
#include "rootfs.h"
#include "strv.h"

#define NVIDIA_FRONTEND_MAJOR 195u
#define PROFILE_DIR "/etc/nvidia/nvidia-application-profiles-rc.d"
#define PROFILE_FILE PROFILE_DIR "/10-container.conf"
#define LDCONF_DIR "/etc/ld.so.conf.d"
#define CONTAINER_PATH_MAX 4096u

/* ---- the container ------------------------------------------------------------------------------------ */

void nvct_hook_container_done(NvctHookContainer *c) {
        free(c->rootfs);
        free(c->bundle);
        *c = (NvctHookContainer) { 0 };
}

static int join_bundle(const char *bundle, const char *path, char **ret, NvctError *err) {
        if (path[0] == '/') {
                *ret = strdup(path);
        } else {
                if (!bundle || bundle[0] != '/')
                        return nvct_error_setx(err, EINVAL,
                                               "container root \"%s\" is relative and the OCI state has no absolute "
                                               "bundle to resolve it against", path);
                if (asprintf(ret, "%s/%s", bundle, path) < 0)
                        *ret = NULL;
        }
        return *ret ? 0 : nvct_error_set(err, ENOMEM, "container root");
}

int nvct_hook_container_from_state(const char *json, size_t len, NvctHookContainer *ret, NvctError *err) {
        _cleanup_oci_spec_ NvctOciSpec *spec = NULL;
        _cleanup_free_ char *config = NULL;
        NvctOciState st = { 0 };
        NvctHookContainer c = { 0 };
        int r;

        r = nvct_oci_state_parse(json, len, &st, err);
        if (r < 0)
                return r;
        c.pid = st.pid;
        if (st.bundle && st.bundle[0] && !(c.bundle = strdup(st.bundle))) {
                r = nvct_error_set(err, ENOMEM, "OCI state");
                goto out;
        }
        if (st.root && st.root[0]) {
                r = join_bundle(c.bundle, st.root, &c.rootfs, err);
                goto out;
        }
        if (!c.bundle || c.bundle[0] != '/') {
                /* runc runs createContainer hooks with cwd = rootfs: a relative bundle would make the cwd decide */
                r = nvct_error_setx(err, EINVAL, "OCI state: %s bundle path%s%s", c.bundle ? "relative" : "no",
                                    c.bundle ? " " : "", c.bundle ? c.bundle : "");
                goto out;
        }
        if (asprintf(&config, "%s/config.json", c.bundle) < 0) {
                r = nvct_error_set(err, ENOMEM, "OCI state");
                goto out;
        }
        r = nvct_oci_spec_load(config, &spec, err);
        if (r >= 0)
                r = join_bundle(c.bundle, nvct_oci_spec_root_path(spec), &c.rootfs, err);
out:
        nvct_oci_state_done(&st);
        if (r < 0) {
                nvct_hook_container_done(&c);
                return r;
        }
        *ret = c;
        return 0;
}

int nvct_hook_container_load(int fd, NvctHookContainer *ret, NvctError *err) {
        _cleanup_free_ char *text = malloc(NVCT_OCI_STATE_MAX + 1);
        size_t len = 0;

        if (!text)
                return nvct_error_set(err, ENOMEM, "OCI state");
        /* a pipe has no size: bound the read itself, one byte past the limit to tell "too large" apart */
        while (len <= NVCT_OCI_STATE_MAX) {
                ssize_t k = read(fd, text + len, NVCT_OCI_STATE_MAX + 1 - len);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return nvct_error_set(err, errno, "read the OCI state");
                if (k == 0)
                        break;
                len += (size_t) k;
        }
        return nvct_hook_container_from_state(text, len, ret, err);
}

/* ---- files inside the root ------------------------------------------------------------------------------ */

static uint64_t hash_fnv1a(const char *s, size_t n) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++) {
                h ^= (unsigned char) s[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static uint64_t random_u64(void) {
        uint64_t v = 0;
        if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t) sizeof(v))
                v = hash_fnv1a((const char *) &v, sizeof(v)) ^ ((uint64_t) getpid() << 32) ^ (uint64_t) (uintptr_t) &v;
        return v;
}

static int write_all(int fd, const char *data, size_t len) {
        for (size_t off = 0; off < len;) {
                ssize_t k = write(fd, data + off, len - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                off += (size_t) k;
        }
        return 0;
}

static const char *slash(const char *path) {
        return path[0] == '/' ? "" : "/";
}

int nvct_hook_write_file(int root_fd, const char *path, const char *data, size_t len, mode_t mode,
                         NvctError *err) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = rootfs_open_parent(root_fd, path, ROOTFS_MKDIR_PARENTS, &name, err);
        char tmp[40];
        int r;

        if (dfd < 0)
                return dfd;
        if (streq(name, "."))
                return nvct_error_setx(err, EISDIR, "rootfs %s%s: is a directory", slash(path), path);
        _cleanup_close_ int fd = -EBADF;
        for (unsigned i = 0; i < 16 && fd < 0; i++) {
                snprintf(tmp, sizeof(tmp), ".#nvct-%016llx", (unsigned long long) random_u64());
                fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, mode);
                if (fd < 0 && errno != EEXIST)
                        return nvct_error_set(err, errno, "rootfs %s%s: create a temporary file", slash(path), path);
        }
        if (fd < 0)
                return nvct_error_setx(err, EEXIST, "rootfs %s%s: no free temporary name", slash(path), path);
        r = write_all(fd, data, len);
        if (r >= 0 && fchmod(fd, mode) < 0)
                r = -errno;
        if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
                r = -errno;
        if (r < 0) {
                (void) unlinkat(dfd, tmp, 0);
                return nvct_error_set(err, r, "rootfs %s%s: write", slash(path), path);
        }
        return 0;
}

static int check_container_dir(const char *d, NvctError *err) {
        if (d[0] != '/' || strlen(d) >= CONTAINER_PATH_MAX || strpbrk(d, "\n\r"))
                return nvct_error_setx(err, EINVAL, "invalid container directory \"%s\": must be absolute, one line",
                                       d);
        return 0;
}

int nvct_hook_write_ldconf_dropin(int root_fd, const char *prefix, char *const *dirs, char **ret_path,
                                  NvctError *err) {
        _cleanup_buf_ Buf b = BUF_INIT;
        _cleanup_free_ char *path = NULL;
        int r;

        for (char *const *d = dirs; d && *d; d++) {
                r = check_container_dir(*d, err);
                if (r < 0)
                        return r;
                buf_printf(&b, "%s\n", *d);
        }
        if (b.oom)
                return nvct_error_set(err, ENOMEM, "ld.so.conf drop-in");
        if (b.len == 0)
                return nvct_error_setx(err, EINVAL, "ld.so.conf drop-in %s: no directories", prefix);
        if (asprintf(&path, LDCONF_DIR "/%s-%016llx.conf", prefix,
                     (unsigned long long) hash_fnv1a(b.data, b.len)) < 0)
                return nvct_error_set(err, ENOMEM, "ld.so.conf drop-in");
        r = nvct_hook_write_file(root_fd, path, b.data, b.len, 0644, err);
        if (r < 0)
                return r;
        if (ret_path)
                *ret_path = TAKE_PTR(path);
        return 0;
}

int nvct_hook_ensure_ld_so_conf(int root_fd, NvctError *err) {
        static const char conf[] = "/etc/ld.so.conf", text[] = "include /etc/ld.so.conf.d/*.conf\n";
        NvctError probe = NVCT_ERROR_INIT;
        struct stat st;

        _cleanup_close_ int fd = rootfs_open(root_fd, conf, O_PATH, 0, &probe);
        if (fd >= 0) {
                if (fstat(fd, &st) < 0)
                        return nvct_error_set(err, errno, "rootfs %s", conf);
                /* ldconfig would block on a FIFO or read a device forever */
                if (!S_ISREG(st.st_mode))
                        return nvct_error_setx(err, EINVAL, "rootfs %s: not a regular file (mode 0%o), refusing it",
                                               conf, (unsigned) st.st_mode);
                return 0;
        }
        if (fd != -ENOENT)
                return nvct_error_setx(err, -fd, "%s", probe.msg);

        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = rootfs_open_parent(root_fd, conf, ROOTFS_MKDIR_PARENTS, &name, err);
        if (dfd < 0)
                return dfd;
        _cleanup_close_ int out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                                         0644);
        if (out < 0)
                /* EEXIST here is a dangling symlink: we do not create files through it */
                return nvct_error_set(err, errno, "rootfs %s: create", conf);
        int r = write_all(out, text, sizeof(text) - 1);
        if (r < 0)
                return nvct_error_set(err, r, "rootfs %s: write", conf);
        return 1;
}

/* ---- create-symlinks ------------------------------------------------------------------------------------ */

int nvct_hook_parse_link(const char *spec, char **ret_target, char **ret_link, NvctError *err) {
        const char *sep = strstr(spec, "::");

        if (!sep || sep == spec || !sep[2] || strstr(sep + 2, "::"))
                return nvct_error_setx(err, EINVAL, "invalid symlink specification \"%s\": expected TARGET::LINK",
                                       spec);
        if (strlen(spec) >= 2 * CONTAINER_PATH_MAX)
                return nvct_error_setx(err, ENAMETOOLONG, "symlink specification too long");
        char *t = strndup(spec, (size_t) (sep - spec)), *l = strdup(sep + 2);
        if (!t || !l) {
                free(t);
                free(l);
                return nvct_error_set(err, ENOMEM, "symlink specification");
        }
        *ret_target = t;
        *ret_link = l;
        return 0;
}

/* True when link already is a symlink whose content is target. */
static bool link_is(int root_fd, const char *link, const char *target) {
        NvctError ignored = NVCT_ERROR_INIT;
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dfd = rootfs_open_parent(root_fd, link, 0, &name, &ignored);
        char buf[CONTAINER_PATH_MAX];

        if (dfd < 0)
                return false;
        ssize_t n = readlinkat(dfd, name, buf, sizeof(buf));
        return n >= 0 && (size_t) n < sizeof(buf) && strlen(target) == (size_t) n && memcmp(buf, target, n) == 0;
}

int nvct_hook_create_symlinks(int root_fd, char *const *specs, NvctError *err) {
        _cleanup_strv_free_ char **done = NULL;
        int n = 0, r;

        for (char *const *s = specs; s && *s; s++) {
                _cleanup_free_ char *target = NULL, *link = NULL;
                if (strv_contains(done, *s))
                        continue;
                r = nvct_hook_parse_link(*s, &target, &link, err);
                if (r < 0)
                        return r;
                if (!link_is(root_fd, link, target)) {
                        r = rootfs_symlink(root_fd, target, link, ROOTFS_MKDIR_PARENTS, err);
                        if (r < 0)
                                return nvct_error_prefix(err, r, "create link %s -> %s", link, target);
                        n++;
                }
                if (strv_extend(&done, *s) < 0)
                        return nvct_error_set(err, ENOMEM, "create-symlinks");
        }
        return n;
}

/* ---- update-ldcache ------------------------------------------------------------------------------------- */

int nvct_hook_update_ldcache(const NvctHookLdcacheArgs *a, NvctError *err) {
        _cleanup_free_ char *configured = NULL, *host = NULL;
        struct stat st;
        struct statfs sfs;
        int r;

        if (!a->ldconfig_path || a->ldconfig_path[0] != '/')
                return nvct_error_setx(err, EINVAL, "ldconfig path \"%s\" must be an absolute host path",
                                       a->ldconfig_path ? a->ldconfig_path : "");
        if (a->folders && a->folders[0]) {
                r = nvct_hook_write_ldconf_dropin(a->root_fd, "00-nvcr", a->folders, NULL, err);
                if (r < 0)
                        return r;
        }
        r = nvct_hook_ensure_ld_so_conf(a->root_fd, err);
        if (r < 0)
                return r;
        if (asprintf(&configured, "@%s", a->ldconfig_path) < 0)
                return nvct_error_set(err, ENOMEM, "ldconfig");
        r = nvct_ldconfig_resolve_host(configured, false, &host, err);
        if (r < 0)
                return r;
        /* ldconfig runs as whoever owns the rootfs: root for a rootful container, the mapped user otherwise */
        if (fstat(a->root_fd, &st) < 0 || fstatfs(a->root_fd, &sfs) < 0)
                return nvct_error_set(err, errno, "stat rootfs %s", a->rootfs);
        NvctLdconfigRun run = {
                .mntns_fd = -1,
                .rootfs = a->rootfs,
                .ldconfig_path = host,
                .dirs = (char **) a->folders,
                .uid = st.st_uid,
                .gid = st.st_gid,
                .no_pivot = sfs.f_type == RAMFS_MAGIC,
                .log_fd = a->log_fd,
                .timeout_ms = a->timeout_ms,
        };
        return nvct_ldconfig_run(&run, err);
}

/* ---- enable-cuda-compat --------------------------------------------------------------------------------- */

/* "libcuda.so.575.57.08" → "575"; false for the soname link and anything else. */
static bool compat_libcuda_major(const char *name, char *ret, size_t size) {
        if (!strneq(name, "libcuda.so.", 11))
                return false;
        const char *v = name + 11;
        size_t digits = strspn(v, "0123456789");
        if (digits == 0 || digits >= size || v[digits] != '.' || strspn(v, "0123456789.") != strlen(v))
                return false;
        memcpy(ret, v, digits);
        ret[digits] = '\0';
        return true;
}

static bool driver_major(const char *version, char *ret, size_t size) {
        size_t digits = strspn(version, "0123456789");
        if (digits == 0 || digits >= size || (version[digits] && version[digits] != '.'))
                return false;
        memcpy(ret, version, digits);
        ret[digits] = '\0';
        return true;
}

int nvct_hook_compat_is_newer(int root_fd, const char *dir, const char *host_driver_version, NvctError *err) {
        NvctError probe = NVCT_ERROR_INIT;
        char host_major[16], major[16];

        if (!host_driver_version || !driver_major(host_driver_version, host_major, sizeof(host_major)))
                return nvct_error_setx(err, EINVAL, "invalid host driver version \"%s\"",
                                       host_driver_version ? host_driver_version : "");
        _cleanup_close_ int fd = rootfs_open(root_fd, dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK, ROOTFS_DIRECTORY,
                                             &probe);
        if (fd < 0)
                return 0; /* no compat directory (or not one we may enter): nothing to prefer */
        DIR *d = fdopendir_take(&fd);
        if (!d)
                return nvct_error_set(err, errno, "rootfs %s", dir);
        _cleanup_closedir_ DIR *dp = d;
        struct dirent *de;
        for (unsigned scanned = 0; scanned < NVCT_HOOK_COMPAT_SCAN_MAX && (de = readdir(dp)); scanned++) {
                struct stat st;
                if (!compat_libcuda_major(de->d_name, major, sizeof(major)))
                        continue;
                /* a symlink, directory, FIFO or device in the image's compat dir never counts (CVE-2024-0132) */
                if (fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (nvct_version_compare(major, host_major) > 0)
                        return 1;
        }
        return 0;
}

int nvct_hook_enable_cuda_compat(int root_fd, const char *host_driver_version, const char *compat_root,
                                 NvctError *err) {
        const char *dir = compat_root && *compat_root ? compat_root : "/usr/local/cuda/compat";
        int r;

        r = check_container_dir(dir, err);
        if (r < 0)
                return r;
        r = nvct_hook_compat_is_newer(root_fd, dir, host_driver_version, err);
        if (r <= 0)
                return r;
        char *dirs[] = { (char *) dir, NULL };
        r = nvct_hook_write_ldconf_dropin(root_fd, "00-compat", dirs, NULL, err);
        return r < 0 ? r : 1;
}

/* ---- disable-device-node-modification ------------------------------------------------------------------- */

/* The container's /proc/driver/nvidia/params, as an O_PATH fd; 0 when absent. */
static int open_params_target(int root_fd, int *ret_fd, NvctError *err) {
        NvctError probe = NVCT_ERROR_INIT;
        struct statfs sfs;
        struct stat st;

        /* /proc must be the real thing: a symlink or a plain directory of the image is refused (CVE-2019-16884) */
        _cleanup_close_ int proc_fd = rootfs_open(root_fd, "/proc", O_PATH | O_DIRECTORY,
                                                  ROOTFS_NOFOLLOW | ROOTFS_DIRECTORY, &probe);
        if (proc_fd < 0)
                return nvct_error_setx(err, -proc_fd, "container /proc: %s", probe.msg);
        if (fstatfs(proc_fd, &sfs) < 0)
                return nvct_error_set(err, errno, "container /proc");
        if (sfs.f_type != PROC_SUPER_MAGIC)
                return nvct_error_setx(err, EXDEV, "container /proc is not procfs (f_type 0x%llx), refusing it",
                                       (unsigned long long) sfs.f_type);
        /* resolved beneath /proc: nothing the image wrote can be on this path */
        _cleanup_close_ int fd = rootfs_open(proc_fd, "driver/nvidia/params", O_PATH, ROOTFS_NOFOLLOW, &probe);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return nvct_error_setx(err, -fd, "container /proc/driver/nvidia/params: %s", probe.msg);
        if (fstat(fd, &st) < 0 || fstatfs(fd, &sfs) < 0)
                return nvct_error_set(err, errno, "container /proc/driver/nvidia/params");
        /* procfs itself, or the tmpfs view that nvidia-container-cli configure mounts there */
        if (!S_ISREG(st.st_mode) || (sfs.f_type != PROC_SUPER_MAGIC && sfs.f_type != TMPFS_MAGIC))
                return nvct_error_setx(err, EXDEV, "container /proc/driver/nvidia/params is not a driver file, "
                                                   "refusing to cover it");
        *ret_fd = TAKE_FD(fd);
        return 1;
}

/* What the container reads there now; a view that already says 0 needs no cover. */
static bool target_allows_modify(int target_fd) {
        NvctError ignored = NVCT_ERROR_INIT;
        _cleanup_free_ char *text = NULL, *fixed = NULL;
        char path[64];

        snprintf(path, sizeof(path), "/proc/self/fd/%d", target_fd);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0 || read_fd(fd, "params", NVCT_HOOK_PARAMS_MAX, &text, NULL, &ignored) < 0)
                return true;
        fixed = nvct_params_disable_modify(text);
        return !fixed || !streq(fixed, text);
}

/* A read-only tmpfs holding the edited copy, mounted on a scratch directory in the root, bound onto the target. */
static int cover_params(int root_fd, int target_fd, const char *text, NvctError *err) {
        const unsigned flags = MNT_F_RO | MNT_F_NOSUID | MNT_F_NODEV | MNT_F_NOEXEC;
        char scratch[64], file[80];
        bool created = false;
        int r;

        snprintf(scratch, sizeof(scratch), "/.nvct-params-%016llx", (unsigned long long) random_u64());
        snprintf(file, sizeof(file), "%s/params", scratch);
        _cleanup_close_ int dir_fd = rootfs_create_dir(root_fd, scratch, 0700, &created, err);
        if (dir_fd < 0)
                return dir_fd;
        if (!created)
                return nvct_error_setx(err, EEXIST, "rootfs %s: already exists", scratch);
        MountFile f = { .name = "params", .content = text, .len = strlen(text), .mode = 0444 };
        r = mount_tmpfs_files(dir_fd, 0555, &f, 1, flags, "params copy", err);
        if (r >= 0) {
                NvctError probe = NVCT_ERROR_INIT;
                _cleanup_close_ int src = rootfs_open(root_fd, file, O_PATH, ROOTFS_NOFOLLOW, &probe);
                r = src < 0 ? nvct_error_setx(err, -src, "%s", probe.msg) :
                              mount_bind_fd(src, target_fd, flags, "/proc/driver/nvidia/params", err);
                /* the bind keeps the tmpfs alive; the scratch mount and directory go */
                NvctError ignored = NVCT_ERROR_INIT;
                (void) umount_fd(dir_fd, scratch, &ignored);
        }
        NvctError ignored = NVCT_ERROR_INIT;
        (void) rootfs_unlink(root_fd, scratch, true, &ignored);
        return r;
}

int nvct_hook_disable_device_node_modification(int root_fd, const char *host_params, NvctError *err) {
        _cleanup_free_ char *fixed = NULL;
        _cleanup_close_ int target = -EBADF;
        int r;

        if (!host_params)
                return 0;
        fixed = nvct_params_disable_modify(host_params);
        if (!fixed)
                return nvct_error_set(err, ENOMEM, "params");
        if (streq(fixed, host_params))
                return 0; /* the driver does not modify device files: nothing to hide */
        r = open_params_target(root_fd, &target, err);
        if (r <= 0)
                return r;
        if (!target_allows_modify(target))
                return 0;
        r = cover_params(root_fd, target, fixed, err);
        return r < 0 ? r : 1;
}

/* ---- update-application-profile ------------------------------------------------------------------------- */

/* "nvidia" followed by 1-3 digits: the GPU nodes, not nvidiactl, nvidia-uvm or nvidia-caps. */
static bool is_gpu_node_name(const char *name) {
        if (!strneq(name, "nvidia", 6))
                return false;
        size_t n = strspn(name + 6, "0123456789");
        return n >= 1 && n <= 3 && name[6 + n] == '\0';
}

int nvct_hook_gpu_minor_mask(int root_fd, uint64_t *ret, NvctError *err) {
        NvctError probe = NVCT_ERROR_INIT;
        uint64_t mask = 0;

        *ret = 0;
        _cleanup_close_ int fd = rootfs_open(root_fd, "/dev", O_RDONLY | O_DIRECTORY | O_NONBLOCK, ROOTFS_DIRECTORY,
                                             &probe);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return nvct_error_setx(err, -fd, "%s", probe.msg);
        DIR *d = fdopendir_take(&fd);
        if (!d)
                return nvct_error_set(err, errno, "container /dev");
        _cleanup_closedir_ DIR *dp = d;
        struct dirent *de;
        for (unsigned scanned = 0; scanned < NVCT_HOOK_DEV_SCAN_MAX && (de = readdir(dp)); scanned++) {
                struct stat st;
                if (!is_gpu_node_name(de->d_name))
                        continue;
                if (fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISCHR(st.st_mode) ||
                    major(st.st_rdev) != NVIDIA_FRONTEND_MAJOR || minor(st.st_rdev) >= 64)
                        continue;
                mask |= UINT64_C(1) << minor(st.st_rdev);
        }
        *ret = mask;
        return 0;
}

char *nvct_hook_application_profile_text(uint64_t mask) {
        char *s = NULL;
        if (asprintf(&s,
                     "{\"profiles\":[{\"name\":\"_container_\",\"settings\":[\"EGLVisibleDGPUDevices\",0x%llx]}],"
                     "\"rules\":[{\"pattern\":[],\"profile\":\"_container_\"}]}\n",
                     (unsigned long long) mask) < 0)
                return NULL;
        return s;
}

/* The profile only matters to NVIDIA's EGL and Vulkan drivers; without their configs the container has none. */
static bool has_graphics(int root_fd) {
        static const char *const configs[] = {
                "/usr/share/glvnd/egl_vendor.d/10_nvidia.json", "/etc/glvnd/egl_vendor.d/10_nvidia.json",
                "/etc/vulkan/icd.d/nvidia_icd.json",            "/etc/vulkan/icd.d/nvidia_icd.x86_64.json",
                "/usr/share/vulkan/icd.d/nvidia_icd.json",
        };
        for (size_t i = 0; i < ELEMENTSOF(configs); i++) {
                NvctError ignored = NVCT_ERROR_INIT;
                _cleanup_close_ int fd = rootfs_open(root_fd, configs[i], O_PATH, 0, &ignored);
                if (fd >= 0)
                        return true;
        }
        return false;
}

int nvct_hook_update_application_profile(int root_fd, NvctError *err) {
        uint64_t mask = 0;
        int r;

        if (!has_graphics(root_fd))
                return 0;
        r = nvct_hook_gpu_minor_mask(root_fd, &mask, err);
        if (r < 0 || mask == 0)
                return r;
        _cleanup_free_ char *text = nvct_hook_application_profile_text(mask);
        if (!text)
                return nvct_error_set(err, ENOMEM, "application profile");
        _cleanup_close_ int dfd = rootfs_mkdir_p(root_fd, PROFILE_DIR, 0755, err);
        if (dfd < 0)
                return dfd;
        r = nvct_hook_write_file(root_fd, PROFILE_FILE, text, strlen(text), 0444, err);
        return r < 0 ? r : 1;
}

/* ---- chmod ---------------------------------------------------------------------------------------------- */

int nvct_hook_parse_mode(const char *s, mode_t *ret, NvctError *err) {
        size_t n = s ? strspn(s, "01234567") : 0;

        if (n == 0 || s[n] || n > 5)
                return nvct_error_setx(err, EINVAL, "invalid mode \"%s\": expected an octal number",
                                       s ? s : "");
        unsigned long v = strtoul(s, NULL, 8);
        if (v > 07777)
                return nvct_error_setx(err, EINVAL, "invalid mode \"%s\": at most 07777", s);
        *ret = (mode_t) v;
        return 0;
}

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* chmod the object itself: fchmodat2(AT_EMPTY_PATH) on the O_PATH fd, else its /proc/self/fd magic link. */
static int chmod_fd(int fd, mode_t mode) {
        if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) >= 0)
                return 0;
        if (errno != ENOSYS && errno != EINVAL && errno != EBADF && errno != EPERM)
                return -errno;
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        return RET_NERRNO(chmod(path, mode));
}

int nvct_hook_chmod(int root_fd, mode_t mode, char *const *paths, NvctError *err) {
        int n = 0;

        for (char *const *p = paths; p && *p; p++) {
                NvctError probe = NVCT_ERROR_INIT;
                struct stat st;
                _cleanup_close_ int fd = rootfs_open(root_fd, *p, O_PATH, ROOTFS_NOFOLLOW, &probe);
                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return nvct_error_setx(err, -fd, "chmod %s: %s", *p, probe.msg);
                /* a symlink is never changed; with O_PATH|O_NOFOLLOW-style resolution we would hold the link */
                if (fstat(fd, &st) < 0)
                        return nvct_error_set(err, errno, "chmod %s", *p);
                if (S_ISLNK(st.st_mode))
                        return nvct_error_setx(err, ELOOP, "chmod %s: is a symlink, refusing it", *p);
                int r = chmod_fd(fd, mode);
                if (r < 0)
                        return nvct_error_set(err, r, "chmod %s to 0%o", *p, (unsigned) mode);
                n++;
        }
        return n;
}
