/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "rootfs.h"

/* A hostile image may hold millions of entries in the compat dir; we never read more than this. */
#define COMPAT_SCAN_MAX 4096

static bool rootfs_is_dir(int root_fd, const char *path) {
        NvctError ignored = NVCT_ERROR_INIT;
        _cleanup_close_ int fd = rootfs_open(root_fd, path, O_PATH | O_DIRECTORY, 0, &ignored);
        return fd >= 0;
}

static bool rootfs_exists(int root_fd, const char *path) {
        NvctError ignored = NVCT_ERROR_INIT;
        _cleanup_close_ int fd = rootfs_open(root_fd, path, O_PATH, 0, &ignored);
        return fd >= 0;
}

int nvct_version_compare(const char *a, const char *b) {
        while (*a || *b) {
                /* compare one numeric component without converting, so huge values cannot overflow */
                while (*a == '0' && a[1] >= '0' && a[1] <= '9')
                        a++;
                while (*b == '0' && b[1] >= '0' && b[1] <= '9')
                        b++;
                size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
                if (la != lb)
                        return la < lb ? -1 : 1;
                int c = strncmp(a, b, la);
                if (c)
                        return c < 0 ? -1 : 1;
                a += la;
                b += lb;
                if (*a != '.' && *b != '.')
                        break;
                if (*a == '.')
                        a++;
                if (*b == '.')
                        b++;
        }
        return 0;
}

/* "libcuda.so.575.57.08" → "575.57.08"; NULL for the soname link and anything else. */
static const char *compat_libcuda_version(const char *name) {
        if (!strneq(name, "libcuda.so.", 11))
                return NULL;
        const char *v = name + 11;
        /* a full driver version has at least major.minor */
        if (!strchr(v, '.') || strspn(v, "0123456789.") != strlen(v))
                return NULL;
        return v;
}

static int find_compat_dir(int root_fd, const char *driver_version, char *ret, size_t size) {
        static const char dir[] = "/usr/local/cuda/compat";
        NvctError ignored = NVCT_ERROR_INIT;
        _cleanup_close_ int fd = rootfs_open(root_fd, dir, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0, &ignored);
        if (fd < 0)
                return 0;
        DIR *d = fdopendir_take(&fd);
        if (!d)
                return 0;
        _cleanup_closedir_ DIR *dp = d;
        struct dirent *de;
        unsigned scanned = 0;
        bool newer = false;
        while (!newer && (de = readdir(dp)) && scanned++ < COMPAT_SCAN_MAX) {
                const char *v = compat_libcuda_version(de->d_name);
                struct stat st;
                if (!v)
                        continue;
                /* only a real file counts: symlinks, directories, fifos and devices are ignored (CVE-2024-0132) */
                if (fstatat(dirfd(dp), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                /* the compat lib is useful only when its driver branch is newer than the host's */
                char major_c[16], major_h[16];
                snprintf(major_c, sizeof(major_c), "%.*s", (int) strcspn(v, "."), v);
                snprintf(major_h, sizeof(major_h), "%.*s", (int) strcspn(driver_version, "."), driver_version);
                if (nvct_version_compare(major_c, major_h) > 0)
                        newer = true;
        }
        if (newer)
                snprintf(ret, size, "%s", dir);
        return 0;
}

int nvct_image_inspect(int root_fd, const char *driver_version, bool check_compat, NvctImageFacts *ret,
                       NvctError *err _unused_) {
        NvctImageFacts f = { .bins_dir = "/usr/bin" };

        if (rootfs_exists(root_fd, "/etc/debian_version")) {
                snprintf(f.libs_dir, sizeof(f.libs_dir), "/usr/lib/x86_64-linux-gnu");
                snprintf(f.libs32_dir, sizeof(f.libs32_dir), "/usr/lib/i386-linux-gnu");
        } else {
                snprintf(f.libs_dir, sizeof(f.libs_dir), "/usr/lib64");
                snprintf(f.libs32_dir, sizeof(f.libs32_dir), rootfs_is_dir(root_fd, "/usr/lib32") ? "/usr/lib32" :
                                                                                                     "/usr/lib");
        }
        if (check_compat && driver_version && *driver_version)
                find_compat_dir(root_fd, driver_version, f.compat_dir, sizeof(f.compat_dir));
        *ret = f;
        return 0;
}
