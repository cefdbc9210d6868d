/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "caps.h"
#include "discover-files.h"
#include "elf.h"
#include "ldcache.h"
#include "rootfs.h"
#include "strv.h"

/* Video libraries need libcuda and its helpers, so the video capability selects the compute set as well. */
#define CAPS_COMPUTE (NVCT_CAP_COMPUTE | NVCT_CAP_VIDEO)
/* Display implies graphics. */
#define CAPS_GRAPHICS (NVCT_CAP_GRAPHICS | NVCT_CAP_DISPLAY)

/*
 * Prefixes matched against ld.so.cache keys, in the order NVIDIA lists them. Each row yields at most one library:
 * the first cache entry whose real file is accepted.
 */
static const NvctLibraryRule library_rules[] = {
        /* utility */
        { "libnvidia-ml.so", NVCT_CAP_UTILITY },
        { "libnvidia-cfg.so", NVCT_CAP_UTILITY },
        { "libnvidia-nscq.so", NVCT_CAP_UTILITY },
        /* compute */
        { "libcuda.so", CAPS_COMPUTE },
        { "libcudadebugger.so", CAPS_COMPUTE },
        { "libnvidia-opencl.so", CAPS_COMPUTE },
        { "libnvidia-gpucomp.so", CAPS_COMPUTE },
        { "libnvidia-ptxjitcompiler.so", CAPS_COMPUTE },
        { "libnvidia-fatbinaryloader.so", CAPS_COMPUTE },
        { "libnvidia-allocator.so", CAPS_COMPUTE },
        { "libnvidia-compiler.so", CAPS_COMPUTE },
        { "libnvidia-pkcs11.so", CAPS_COMPUTE },
        { "libnvidia-pkcs11-openssl3.so", CAPS_COMPUTE },
        { "libnvidia-nvvm.so", CAPS_COMPUTE },
        /* video */
        { "libvdpau_nvidia.so", NVCT_CAP_VIDEO },
        { "libnvidia-encode.so", NVCT_CAP_VIDEO },
        { "libnvidia-opticalflow.so", NVCT_CAP_VIDEO },
        { "libnvcuvid.so", NVCT_CAP_VIDEO },
        /* graphics */
        { "libnvidia-eglcore.so", CAPS_GRAPHICS },
        { "libnvidia-glcore.so", CAPS_GRAPHICS },
        { "libnvidia-tls.so", CAPS_GRAPHICS },
        { "libnvidia-glsi.so", CAPS_GRAPHICS },
        { "libnvidia-fbc.so", CAPS_GRAPHICS },
        { "libnvidia-ifr.so", CAPS_GRAPHICS },
        { "libnvidia-rtcore.so", CAPS_GRAPHICS },
        { "libnvoptix.so", CAPS_GRAPHICS },
        /* graphics, GLVND vendor libraries */
        { "libGLX_nvidia.so", CAPS_GRAPHICS },
        { "libEGL_nvidia.so", CAPS_GRAPHICS },
        { "libGLESv2_nvidia.so", CAPS_GRAPHICS },
        { "libGLESv1_CM_nvidia.so", CAPS_GRAPHICS },
        { "libnvidia-glvkspirv.so", CAPS_GRAPHICS },
        { "libnvidia-cbl.so", CAPS_GRAPHICS },
        /* ngx */
        { "libnvidia-ngx.so", NVCT_CAP_NGX },
};

/* Driver libraries that are never injected: X.Org and toolkit plugins that belong to the host's display stack. */
static const char *const excluded_libraries[] = {
        "libnvidia-gtk2.so", "libnvidia-gtk3.so", "libnvidia-wfb.so",
        "nvidia_drv.so",     "libglx.so",         "libnvidia-egl-wayland.so",
};

/* The new-TLS build of libnvidia-tls is the one tagged GNU/Linux 2.3.99. */
#define TLS_PREFIX "libnvidia-tls.so"

static const NvctLibraryRule binary_rules[] = {
        { "nvidia-smi", NVCT_CAP_UTILITY },
        { "nvidia-debugdump", NVCT_CAP_UTILITY },
        { "nvidia-persistenced", NVCT_CAP_UTILITY },
        { "nv-fabricmanager", NVCT_CAP_UTILITY },
        { "nvidia-cuda-mps-control", NVCT_CAP_COMPUTE },
        { "nvidia-cuda-mps-server", NVCT_CAP_COMPUTE },
};

/* Searched inside the driver root (after the driver's own bin dir), never the caller's $PATH. */
static const char *const binary_dirs[] = {
        "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin",
};

static const struct {
        const char *path;
        NvctIpcKind ipc;
        unsigned caps;
        bool dir;
} ipc_rules[] = {
        { "/run/nvidia-persistenced/socket", NVCT_IPC_PERSISTENCED, NVCT_CAP_UTILITY, false },
        { "/var/run/nvidia-persistenced/socket", NVCT_IPC_PERSISTENCED, NVCT_CAP_UTILITY, false },
        { "/run/nvidia-fabricmanager/socket", NVCT_IPC_FABRICMANAGER, NVCT_CAP_UTILITY, false },
        { "/var/run/nvidia-fabricmanager/socket", NVCT_IPC_FABRICMANAGER, NVCT_CAP_UTILITY, false },
        { "/tmp/nvidia-mps", NVCT_IPC_MPS, CAPS_COMPUTE, true },
};

#if defined(__x86_64__)
#define VULKAN_ARCH_ICD "vulkan/icd.d/nvidia_icd.x86_64.json"
#elif defined(__aarch64__)
#define VULKAN_ARCH_ICD "vulkan/icd.d/nvidia_icd.aarch64.json"
#else
#define VULKAN_ARCH_ICD NULL
#endif

/* Graphics configs: where they are looked for below each data directory, and where a container expects them. */
static const struct {
        const char *sub[2];
        const char *container;
} config_rules[] = {
        { { "glvnd/egl_vendor.d/10_nvidia.json" }, "/usr/share/glvnd/egl_vendor.d/10_nvidia.json" },
        { { "vulkan/icd.d/nvidia_icd.json", VULKAN_ARCH_ICD }, "/etc/vulkan/icd.d/nvidia_icd.json" },
        { { "vulkan/icd.d/nvidia_layers.json" }, "/etc/vulkan/icd.d/nvidia_layers.json" },
        { { "vulkan/implicit_layer.d/nvidia_layers.json" }, "/etc/vulkan/implicit_layer.d/nvidia_layers.json" },
        { { "egl/egl_external_platform.d/15_nvidia_gbm.json" },
          "/usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json" },
        { { "egl/egl_external_platform.d/10_nvidia_wayland.json" },
          "/usr/share/egl/egl_external_platform.d/10_nvidia_wayland.json" },
        { { "egl/egl_external_platform.d/09_nvidia_wayland2.json" },
          "/usr/share/egl/egl_external_platform.d/09_nvidia_wayland2.json" },
        { { "egl/egl_external_platform.d/20_nvidia_xcb.json" },
          "/usr/share/egl/egl_external_platform.d/20_nvidia_xcb.json" },
        { { "egl/egl_external_platform.d/20_nvidia_xlib.json" },
          "/usr/share/egl/egl_external_platform.d/20_nvidia_xlib.json" },
        { { "nvidia/nvoptix.bin" }, "/usr/share/nvidia/nvoptix.bin" },
        { { "X11/xorg.conf.d/10-nvidia.conf" }, "/usr/share/X11/xorg.conf.d/10-nvidia.conf" },
        { { "X11/xorg.conf.d/nvidia-drm-outputclass.conf" }, "/usr/share/X11/xorg.conf.d/nvidia-drm-outputclass.conf" },
};

static const char *const config_dirs[] = { "/etc", "/usr/local/share", "/usr/share" };

/* X.Org module directories below each driver library directory, then the distributions' fixed ones. */
static const char *const xorg_lib_subdirs[] = {
        "nvidia/xorg", "xorg/modules/drivers", "xorg/modules/extensions", "xorg/modules/updates/drivers",
        "xorg/modules/updates/extensions",
};
static const char *const xorg_dirs[] = {
        "/usr/lib/xorg/modules/drivers",   "/usr/lib/xorg/modules/extensions", "/usr/lib64/xorg/modules/drivers",
        "/usr/lib64/xorg/modules/extensions", "/usr/X11R6/lib/modules/drivers", "/usr/X11R6/lib/modules/extensions",
};

const NvctLibraryRule *nvct_library_rules(size_t *ret_n) {
        *ret_n = ELEMENTSOF(library_rules);
        return library_rules;
}

static bool has_prefix(const char *s, const char *prefix) {
        return strneq(s, prefix, strlen(prefix));
}

static int library_rule_index(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(library_rules); i++)
                if (has_prefix(name, library_rules[i].prefix))
                        return (int) i;
        return -1;
}

unsigned nvct_library_caps(const char *basename) {
        int i = library_rule_index(basename);
        return i < 0 ? 0 : library_rules[i].caps;
}

bool nvct_library_excluded(const char *basename) {
        for (size_t i = 0; i < ELEMENTSOF(excluded_libraries); i++)
                if (has_prefix(basename, excluded_libraries[i]))
                        return true;
        return false;
}

unsigned nvct_binary_caps(const char *basename) {
        for (size_t i = 0; i < ELEMENTSOF(binary_rules); i++)
                if (streq(basename, binary_rules[i].prefix))
                        return binary_rules[i].caps;
        return 0;
}

void nvct_file_done(NvctFile *f) {
        if (!f)
                return;
        free(f->path);
        free(f->host_path);
        free(f->container_path);
        free(f->soname);
        *f = (NvctFile) { 0 };
}

typedef struct FileList {
        NvctFile *v;
        size_t n;
} FileList;

static void file_list_done(FileList *l) {
        for (size_t i = 0; i < l->n; i++)
                nvct_file_done(&l->v[i]);
        free(l->v);
        *l = (FileList) { 0 };
}

static int file_list_push(FileList *l, NvctFile *f) {
        NvctFile *v = realloc(l->v, (l->n + 1) * sizeof(*v));
        if (!v) {
                nvct_file_done(f);
                return -ENOMEM;
        }
        l->v = v;
        l->v[l->n++] = *f;
        *f = (NvctFile) { 0 };
        return 0;
}

/* A root opened once, with its real path so that resolved fds can be turned back into root-relative paths. */
typedef struct Root {
        int fd;
        char path[PATH_MAX];
        size_t prefix_len; /* 0 when the root is "/" */
} Root;

static int root_open(const char *path, Root *ret, NvctError *err) {
        int r = rootfs_open_root(path, &ret->fd, err);
        if (r < 0)
                return r;
        r = fd_get_path(ret->fd, ret->path, sizeof(ret->path));
        if (r < 0)
                return nvct_error_set(err, r, "resolve root %s", path);
        ret->prefix_len = streq(ret->path, "/") ? 0 : strlen(ret->path);
        return 0;
}

/* A file found inside a root: its fd, type, and both spellings of where it really is. */
typedef struct Found {
        int fd;
        struct stat st;
        char host[PATH_MAX];
        const char *rel; /* points into host: the path inside the root */
} Found;

static void found_done(Found *f) {
        closep(&f->fd);
}

/*
 * Resolve path inside the root. Returns 1 when found, 0 when it is absent or unusable (a lookup miss, never an
 * error), or -ENOMEM.
 */
static int root_find(const Root *root, const char *path, int open_flags, Found *ret) {
        NvctError scratch = NVCT_ERROR_INIT;

        ret->fd = rootfs_open(root->fd, path, open_flags, 0, &scratch);
        if (ret->fd < 0)
                return ret->fd == -ENOMEM ? -ENOMEM : 0;
        if (fstat(ret->fd, &ret->st) < 0 || fd_get_path(ret->fd, ret->host, sizeof(ret->host)) < 0) {
                closep(&ret->fd);
                ret->fd = -EBADF;
                return 0;
        }
        /* The resolver keeps us inside the root; a path outside it would mean the root moved under us. */
        if (root->prefix_len > 0 && (!strneq(ret->host, root->path, root->prefix_len) ||
                                     (ret->host[root->prefix_len] != '/' && ret->host[root->prefix_len] != '\0'))) {
                closep(&ret->fd);
                ret->fd = -EBADF;
                return 0;
        }
        ret->rel = ret->host[root->prefix_len] ? ret->host + root->prefix_len : "/";
        return 1;
}

typedef struct Ctx {
        Root root;
        Root ipc;
        const char *version;
        char **lib_dirs;
        FileList bins, libs, libs32, ipcs, firmware, configs, xorg;
} Ctx;

static bool has_version_suffix(const char *base, const char *version) {
        size_t bl = strlen(base), vl = strlen(version);
        return bl > vl + 1 && base[bl - vl - 1] == '.' && streq(base + bl - vl, version);
}

static const char *path_basename(const char *p) {
        const char *s = strrchr(p, '/');
        return s ? s + 1 : p;
}

/* Returns 1 and fills *ret when the entry's real file is an acceptable driver library, 0 when it is not. */
static int try_library(Ctx *c, const char *value, size_t rule, NvctFileKind kind, NvctFile *ret) {
        _cleanup_(found_done) Found f = { .fd = -EBADF };
        NvctError scratch = NVCT_ERROR_INIT;

        int r = root_find(&c->root, value, O_RDONLY | O_NONBLOCK, &f);
        if (r <= 0)
                return r;
        if (!S_ISREG(f.st.st_mode))
                return 0;
        if (!has_version_suffix(path_basename(f.rel), c->version))
                return 0;

        NvctElfInfo info;
        if (nvct_elf_read_fd(f.fd, f.host, &info, &scratch) < 0)
                return 0;
        if (streq(library_rules[rule].prefix, TLS_PREFIX) &&
            !nvct_elf_has_abi(&info, NVCT_ELF_ABI_OS_LINUX, 2, 3, 99)) {
                nvct_elf_info_done(&info);
                return 0;
        }
        char *soname = TAKE_PTR(info.soname);
        *ret = (NvctFile) {
                .kind = kind,
                .caps = library_rules[rule].caps,
                .path = strdup(f.rel),
                .host_path = strdup(f.host),
                .soname = soname,
        };
        nvct_elf_info_done(&info);
        if (!ret->path || !ret->host_path) {
                nvct_file_done(ret);
                return -ENOMEM;
        }
        return 1;
}

static int discover_libraries(Ctx *c, const NvctLdcache *cache, uint32_t arch, NvctFileKind kind, FileList *out) {
        NvctFile slots[ELEMENTSOF(library_rules)] = { 0 };
        int r = 0;

        for (size_t i = 0; i < cache->n_entries && r >= 0; i++) {
                const NvctLdcacheEntry *e = &cache->entries[i];
                if (!nvct_ldcache_entry_is(e, arch))
                        continue;
                int j = library_rule_index(e->key);
                if (j < 0 || slots[j].path)
                        continue;
                r = try_library(c, e->value, (size_t) j, kind, &slots[j]);
        }
        for (size_t j = 0; j < ELEMENTSOF(slots); j++) {
                if (r >= 0 && slots[j].path)
                        r = file_list_push(out, &slots[j]);
                nvct_file_done(&slots[j]);
        }
        return r;
}

/* "/usr/local/nvidia/lib64" + "bin" -> "/usr/local/nvidia/bin": the driver's own tree next to its libraries. */
static char *sibling_dir(const char *lib_dir, const char *name) {
        const char *s = strrchr(lib_dir, '/');
        char *p = NULL;
        if (!s || s == lib_dir)
                return asprintf(&p, "/%s", name) < 0 ? NULL : p;
        return asprintf(&p, "%.*s/%s", (int) (s - lib_dir), lib_dir, name) < 0 ? NULL : p;
}

static int collect_lib_dirs(Ctx *c) {
        for (size_t i = 0; i < c->libs.n; i++) {
                const char *p = c->libs.v[i].path, *s = strrchr(p, '/');
                _cleanup_free_ char *d = s && s != p ? strndup(p, (size_t) (s - p)) : strdup("/");
                if (!d)
                        return -ENOMEM;
                if (!strv_contains(c->lib_dirs, d) && strv_consume(&c->lib_dirs, TAKE_PTR(d)) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/*
 * <libdir>/../<sub>[/<tail>] for every library directory, before or after the fixed dirs, without duplicates.
 * The driver's own tree goes first for binaries: a host may put wrapper scripts in /usr/bin (a sandbox does)
 * that would not run inside a container, while symlinks there resolve to the same file either way.
 */
static int search_dirs(Ctx *c, const char *const *fixed, size_t n_fixed, bool own_first, const char *sub,
                       const char *tail, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        for (size_t i = 0; !own_first && i < n_fixed; i++)
                if (strv_extend(&l, fixed[i]) < 0)
                        return -ENOMEM;
        for (char **d = c->lib_dirs; d && *d; d++) {
                _cleanup_free_ char *s = sibling_dir(*d, sub);
                if (!s)
                        return -ENOMEM;
                if (tail) {
                        char *t = NULL;
                        if (asprintf(&t, "%s/%s", s, tail) < 0)
                                return -ENOMEM;
                        free(s);
                        s = t;
                }
                if (!strv_contains(l, s) && strv_consume(&l, TAKE_PTR(s)) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; own_first && i < n_fixed; i++)
                if (!strv_contains(l, fixed[i]) && strv_extend(&l, fixed[i]) < 0)
                        return -ENOMEM;
        *ret = TAKE_PTR(l);
        return 0;
}

static int make_file(NvctFileKind kind, unsigned caps, const Found *f, const char *container, NvctFile *ret) {
        *ret = (NvctFile) {
                .kind = kind,
                .caps = caps,
                .path = strdup(f->rel),
                .host_path = strdup(f->host),
                .container_path = container ? strdup(container) : NULL,
        };
        if (!ret->path || !ret->host_path || (container && !ret->container_path)) {
                nvct_file_done(ret);
                return -ENOMEM;
        }
        return 0;
}

/* The first regular file among dir/name for dir in dirs; 1 when found. */
static int find_in_dirs(const Root *root, char *const *dirs, const char *name, bool executable, Found *ret) {
        for (char *const *d = dirs; d && *d; d++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", *d, name) < 0)
                        return -ENOMEM;
                int r = root_find(root, p, O_PATH, ret);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (S_ISREG(ret->st.st_mode) && (!executable || (ret->st.st_mode & 0111)))
                        return 1;
                found_done(ret);
                ret->fd = -EBADF;
        }
        return 0;
}

static int discover_binaries(Ctx *c) {
        _cleanup_strv_free_ char **dirs = NULL;
        int r = search_dirs(c, binary_dirs, ELEMENTSOF(binary_dirs), true, "bin", NULL, &dirs);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(binary_rules); i++) {
                _cleanup_(found_done) Found f = { .fd = -EBADF };
                NvctFile file;
                r = find_in_dirs(&c->root, dirs, binary_rules[i].prefix, true, &f);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                r = make_file(NVCT_FILE_BIN, binary_rules[i].caps, &f, NULL, &file);
                if (r < 0 || (r = file_list_push(&c->bins, &file)) < 0)
                        return r;
        }
        return 0;
}

static int discover_ipcs(Ctx *c) {
        unsigned seen = 0;
        for (size_t i = 0; i < ELEMENTSOF(ipc_rules); i++) {
                _cleanup_(found_done) Found f = { .fd = -EBADF };
                NvctFile file;
                if (seen & (1u << ipc_rules[i].ipc))
                        continue;
                int r = root_find(&c->ipc, ipc_rules[i].path, O_PATH, &f);
                if (r < 0)
                        return r;
                if (r == 0 || (ipc_rules[i].dir ? !S_ISDIR(f.st.st_mode) : !S_ISSOCK(f.st.st_mode)))
                        continue;
                r = make_file(NVCT_FILE_IPC, ipc_rules[i].caps, &f, ipc_rules[i].path, &file);
                if (r < 0)
                        return r;
                file.ipc = ipc_rules[i].ipc;
                if ((r = file_list_push(&c->ipcs, &file)) < 0)
                        return r;
                seen |= 1u << ipc_rules[i].ipc;
        }
        return 0;
}

/* The gsp*.bin names in one firmware directory, sorted; an absent directory gives none. */
static int list_firmware(const Root *root, const char *dir, char ***ret) {
        NvctError scratch = NVCT_ERROR_INIT;
        _cleanup_strv_free_ char **names = calloc(1, sizeof(char *));
        if (!names)
                return -ENOMEM;
        int fd = rootfs_open(root->fd, dir, O_RDONLY | O_DIRECTORY, ROOTFS_DIRECTORY, &scratch);
        if (fd >= 0) {
                _cleanup_closedir_ DIR *d = fdopendir(fd);
                if (!d) {
                        int e = errno;
                        closep(&fd);
                        return e == ENOMEM ? -ENOMEM : 0;
                }
                for (struct dirent *de; (de = readdir(d));)
                        if (fnmatch("gsp*.bin", de->d_name, FNM_PERIOD) == 0 && strv_extend(&names, de->d_name) < 0)
                                return -ENOMEM;
        }
        strv_sort(names);
        *ret = TAKE_PTR(names);
        return 0;
}

static bool file_list_has_path(const FileList *l, const char *path, bool container) {
        for (size_t i = 0; i < l->n; i++)
                if (streq(container ? l->v[i].container_path : l->v[i].path, path))
                        return true;
        return false;
}

static int discover_firmware(Ctx *c) {
        _cleanup_free_ char *std = NULL, *tail = NULL;
        if (asprintf(&std, "/lib/firmware/nvidia/%s", c->version) < 0 ||
            asprintf(&tail, "nvidia/%s", c->version) < 0)
                return -ENOMEM;
        const char *fixed[] = { std };
        _cleanup_strv_free_ char **dirs = NULL;
        int r = search_dirs(c, fixed, 1, false, "firmware", tail, &dirs);
        if (r < 0)
                return r;

        for (char **d = dirs; d && *d; d++) {
                _cleanup_strv_free_ char **names = NULL;
                r = list_firmware(&c->root, *d, &names);
                if (r < 0)
                        return r;
                for (char **n = names; n && *n; n++) {
                        _cleanup_(found_done) Found f = { .fd = -EBADF };
                        _cleanup_free_ char *p = NULL, *container = NULL;
                        NvctFile file;
                        if (asprintf(&p, "%s/%s", *d, *n) < 0 || asprintf(&container, "%s/%s", std, *n) < 0)
                                return -ENOMEM;
                        r = root_find(&c->root, p, O_PATH, &f);
                        if (r < 0)
                                return r;
                        if (r == 0 || !S_ISREG(f.st.st_mode) || file_list_has_path(&c->firmware, container, true) ||
                            file_list_has_path(&c->firmware, f.rel, false))
                                continue;
                        r = make_file(NVCT_FILE_FIRMWARE, NVCT_CAP_ALL, &f, container, &file);
                        if (r < 0 || (r = file_list_push(&c->firmware, &file)) < 0)
                                return r;
                }
        }
        return 0;
}

static int discover_configs(Ctx *c) {
        _cleanup_strv_free_ char **dirs = NULL;
        int r = search_dirs(c, config_dirs, ELEMENTSOF(config_dirs), false, "share", NULL, &dirs);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(config_rules); i++) {
                _cleanup_(found_done) Found f = { .fd = -EBADF };
                NvctFile file;
                r = 0;
                for (size_t k = 0; k < ELEMENTSOF(config_rules[i].sub) && r == 0; k++)
                        if (config_rules[i].sub[k])
                                r = find_in_dirs(&c->root, dirs, config_rules[i].sub[k], false, &f);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                r = make_file(NVCT_FILE_CONFIG, CAPS_GRAPHICS, &f, config_rules[i].container, &file);
                if (r < 0 || (r = file_list_push(&c->configs, &file)) < 0)
                        return r;
        }
        return 0;
}

static int discover_xorg(Ctx *c) {
        _cleanup_strv_free_ char **dirs = NULL;
        for (char **d = c->lib_dirs; d && *d; d++)
                for (size_t i = 0; i < ELEMENTSOF(xorg_lib_subdirs); i++)
                        if (strv_extendf(&dirs, "%s/%s", *d, xorg_lib_subdirs[i]) < 0)
                                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(xorg_dirs); i++)
                if (strv_extend(&dirs, xorg_dirs[i]) < 0)
                        return -ENOMEM;

        _cleanup_free_ char *glxserver = NULL;
        if (asprintf(&glxserver, "libglxserver_nvidia.so.%s", c->version) < 0)
                return -ENOMEM;
        const char *names[] = { "nvidia_drv.so", glxserver };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                _cleanup_(found_done) Found f = { .fd = -EBADF };
                NvctFile file;
                int r = find_in_dirs(&c->root, dirs, names[i], false, &f);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                /* X.Org finds its modules by configured path: they go to the same path in the container. */
                r = make_file(NVCT_FILE_XORG, CAPS_GRAPHICS, &f, f.rel, &file);
                if (r < 0 || (r = file_list_push(&c->xorg, &file)) < 0)
                        return r;
        }
        return 0;
}

static int load_ldcache(const Root *root, const char *path, NvctLdcache **ret, NvctError *err) {
        char what[PATH_MAX + 64];
        if (root->prefix_len > 0)
                snprintf(what, sizeof(what), "%s (in driver root %s)", path, root->path);
        else
                snprintf(what, sizeof(what), "%s", path);

        NvctError scratch = NVCT_ERROR_INIT;
        _cleanup_close_ int fd = rootfs_open(root->fd, path, O_RDONLY | O_NONBLOCK, 0, &scratch);
        if (fd < 0)
                return nvct_error_set(err, fd, "open ld.so.cache %s", what);
        return nvct_ldcache_read_fd(fd, what, ret, err);
}

static void ctx_done(Ctx *c) {
        closep(&c->root.fd);
        closep(&c->ipc.fd);
        strv_free(c->lib_dirs);
        FileList *lists[] = { &c->bins, &c->libs, &c->libs32, &c->ipcs, &c->firmware, &c->configs, &c->xorg };
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                file_list_done(lists[i]);
}

/* Move everything into drv in listing order; nothing in drv changes unless all allocations succeed. */
static int ctx_commit(Ctx *c, NvctDriver *drv) {
        FileList *lists[] = { &c->bins, &c->libs, &c->libs32, &c->ipcs, &c->firmware, &c->configs, &c->xorg };
        size_t total = drv->n_files;
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                total += lists[i]->n;

        _cleanup_strv_free_ char **dirs = strv_copy(drv->lib_dirs);
        if (!dirs)
                return -ENOMEM;
        for (char **d = c->lib_dirs; d && *d; d++)
                if (!strv_contains(dirs, *d) && strv_extend(&dirs, *d) < 0)
                        return -ENOMEM;
        NvctFile *v = realloc(drv->files, (total > 0 ? total : 1) * sizeof(*v));
        if (!v)
                return -ENOMEM;
        drv->files = v;
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                if (lists[i]->n > 0)
                        memcpy(drv->files + drv->n_files, lists[i]->v, lists[i]->n * sizeof(*v));
                drv->n_files += lists[i]->n;
                free(lists[i]->v);
                *lists[i] = (FileList) { 0 };
        }
        strv_free(drv->lib_dirs);
        drv->lib_dirs = TAKE_PTR(dirs);
        return 0;
}

static int discover_all(Ctx *c, const NvctRoots *roots, unsigned flags, NvctError *err) {
        _cleanup_ldcache_ NvctLdcache *cache = NULL;
        uint32_t arch;

        int r = load_ldcache(&c->root, roots->ldcache ? roots->ldcache : "/etc/ld.so.cache", &cache, err);
        if (r < 0)
                return r;
        r = nvct_ldcache_arch(false, &arch);
        if (r < 0)
                return nvct_error_set(err, r, "ld.so.cache architecture of this build");
        r = discover_libraries(c, cache, arch, NVCT_FILE_LIB, &c->libs);
        if (r >= 0 && (flags & NVCT_DISCOVER_COMPAT32) && nvct_ldcache_arch(true, &arch) >= 0)
                r = discover_libraries(c, cache, arch, NVCT_FILE_LIB32, &c->libs32);
        if (r >= 0)
                r = collect_lib_dirs(c);
        if (r >= 0)
                r = discover_binaries(c);
        if (r >= 0)
                r = discover_ipcs(c);
        if (r >= 0)
                r = discover_firmware(c);
        if (r >= 0)
                r = discover_configs(c);
        if (r >= 0)
                r = discover_xorg(c);
        if (r < 0)
                return nvct_error_set(err, r, "discover driver files in %s", c->root.path);
        return 0;
}

int nvct_discover_files(const NvctRoots *roots, const char *driver_version, unsigned flags, NvctDriver *drv,
                        NvctError *err) {
        if (!driver_version || !*driver_version || strchr(driver_version, '/'))
                return nvct_error_setx(err, EINVAL, "driver file discovery: invalid driver version \"%s\"",
                                       driver_version ? driver_version : "");

        const char *driver_root = roots && roots->driver_root ? roots->driver_root : "/";
        const char *ipc_root = roots && roots->ipc_root ? roots->ipc_root : driver_root;
        NvctRoots defaults = NVCT_ROOTS_DEFAULT;
        if (!roots)
                roots = &defaults;

        _cleanup_(ctx_done) Ctx c = { .root.fd = -EBADF, .ipc.fd = -EBADF, .version = driver_version };
        int r = root_open(driver_root, &c.root, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "driver root");
        r = root_open(ipc_root, &c.ipc, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "IPC root");
        r = discover_all(&c, roots, flags, err);
        if (r < 0)
                return r;
        r = ctx_commit(&c, drv);
        if (r < 0)
                return nvct_error_set(err, r, "driver file discovery");
        return 0;
}
