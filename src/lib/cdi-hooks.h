/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

/*
 * The CDI hooks (nvidia-cdi-hook, nvidia-ctk hook): small edits to a container's rootfs that CDI has no field
 * for. They run as createContainer hooks, i.e. as host root inside the container's mount namespace before
 * pivot_root, with a cwd and an environment the image may control. So: the container comes only from the OCI
 * state and the bundle's config.json, every rootfs path goes through the resolver (rootfs.h), every file is
 * created next to a parent fd with O_EXCL|O_NOFOLLOW, nothing from the image is run or mounted, and no
 * environment variable selects anything.
 */

/* Limits on what an image can make the hooks read. */
#define NVCT_HOOK_DEV_SCAN_MAX 4096u      /* entries of the container's /dev */
#define NVCT_HOOK_COMPAT_SCAN_MAX 4096u   /* entries of the compat directory */
#define NVCT_HOOK_PARAMS_MAX (64u * 1024u)

/* The container a hook works on. */
typedef struct NvctHookContainer {
        char *rootfs;   /* absolute, as the runtime's mount namespace sees it */
        char *bundle;   /* absolute, or NULL when the state carried a root */
        pid_t pid;      /* as the state says; 1 under runc (container pid ns), 0 under crun */
} NvctHookContainer;

/*
 * Read the OCI state from fd (a pipe: bounded by NVCT_OCI_STATE_MAX, not by st_size) and find the container root:
 * the state's "root" (crun) if present, else root.path of <bundle>/config.json, made absolute against the bundle.
 * A relative or missing bundle is refused: the cwd is never consulted.
 */
int nvct_hook_container_load(int fd, NvctHookContainer *ret, NvctError *err);
/* The same from state text already read. */
int nvct_hook_container_from_state(const char *json, size_t len, NvctHookContainer *ret, NvctError *err);
void nvct_hook_container_done(NvctHookContainer *c);

/*
 * create-symlinks: "TARGET::LINK". LINK is a path inside the root, TARGET the link content stored verbatim.
 * Returns 0 or -EINVAL with a message for anything else (no "::", an empty or relative link).
 */
int nvct_hook_parse_link(const char *spec, char **ret_target, char **ret_link, NvctError *err);
/*
 * Create each link (duplicates once), parents created inside the root: a link already pointing at TARGET is
 * kept, anything else at LINK except a directory is replaced atomically (symlinkat to a temporary name +
 * renameat). Returns the number of links created.
 */
int nvct_hook_create_symlinks(int root_fd, char *const *specs, NvctError *err);

/*
 * Write path inside the root with data: a temporary file created O_EXCL|O_NOFOLLOW in the parent's fd (parents
 * created), then renamed over path, so a symlink, FIFO or file planted there is replaced and never followed.
 */
int nvct_hook_write_file(int root_fd, const char *path, const char *data, size_t len, mode_t mode,
                         NvctError *err);

/*
 * The ld.so.conf drop-in "/etc/ld.so.conf.d/<prefix>-<hash of the content>.conf" listing dirs, one per line.
 * The name is stable, so running the hook again rewrites the same file. *ret_path (optional) gets its path.
 */
int nvct_hook_write_ldconf_dropin(int root_fd, const char *prefix, char *const *dirs, char **ret_path,
                                  NvctError *err);
/*
 * Make sure /etc/ld.so.conf exists and is a regular file: a missing one is created (O_EXCL) including
 * ld.so.conf.d; a FIFO, device, socket or directory is refused. Returns 1 when it was created.
 */
int nvct_hook_ensure_ld_so_conf(int root_fd, NvctError *err);

typedef struct NvctHookLdcacheArgs {
        const char *rootfs;        /* absolute, visible in the current mount namespace */
        int root_fd;               /* O_PATH of rootfs */
        char *const *folders;      /* absolute container directories (may be NULL) */
        const char *ldconfig_path; /* host path of ldconfig; "<path>.real" wins when it exists */
        unsigned timeout_ms;       /* 0: the sandbox default */
        int log_fd;                /* ldconfig's output, or -1 */
} NvctHookLdcacheArgs;

/*
 * update-ldcache: write the 00-nvcr drop-in for the folders, create /etc/ld.so.conf when missing, then rebuild
 * /etc/ld.so.cache with the host ldconfig in the sandbox of ldconfig.h, as the owner of the rootfs.
 */
int nvct_hook_update_ldcache(const NvctHookLdcacheArgs *a, NvctError *err);

/*
 * enable-cuda-compat: when compat_root (default /usr/local/cuda/compat) holds a regular libcuda.so.X.Y of a
 * driver branch newer than host_driver_version, write the drop-in "/etc/ld.so.conf.d/00-compat-<hash>.conf"
 * naming compat_root. Only the name is used: nothing there is opened for content, mounted or followed out of
 * the root. Returns 1 when the drop-in was written, 0 when the host driver is new enough.
 */
int nvct_hook_enable_cuda_compat(int root_fd, const char *host_driver_version, const char *compat_root,
                                 NvctError *err);
/* Whether dir inside the root holds such a libcuda (the scan behind the hook). Returns 1, 0 or -errno. */
int nvct_hook_compat_is_newer(int root_fd, const char *dir, const char *host_driver_version, NvctError *err);

/*
 * disable-device-node-modification: when host_params (the host's /proc/driver/nvidia/params text) says
 * "ModifyDeviceFiles: 1", cover the container's /proc/driver/nvidia/params with a read-only copy that says 0.
 * The container's /proc must be a real directory on procfs and the target a regular file on procfs or tmpfs;
 * anything else is refused. Returns 1 when mounted, 0 when there was nothing to do.
 */
int nvct_hook_disable_device_node_modification(int root_fd, const char *host_params, NvctError *err);

/*
 * update-application-profile: when the container has NVIDIA's EGL or Vulkan driver config (graphics) and
 * /dev/nvidiaN character devices, write /etc/nvidia/nvidia-application-profiles-rc.d/10-container.conf with an
 * EGLVisibleDGPUDevices mask of their minors (< 64). Returns 1 when written, 0 when not needed.
 */
int nvct_hook_update_application_profile(int root_fd, NvctError *err);
/* The mask of /dev/nvidiaN character devices in the root (0 when none). */
int nvct_hook_gpu_minor_mask(int root_fd, uint64_t *ret, NvctError *err);
/* The profile text for a mask. Caller frees. */
char *nvct_hook_application_profile_text(uint64_t mask);

/* chmod: parse "755"-style octal (at most 07777). */
int nvct_hook_parse_mode(const char *s, mode_t *ret, NvctError *err);
/*
 * Change the mode of each path inside the root: a missing path is skipped, a final symlink refused, the object
 * changed through its own fd (never by a path string). Returns the number of objects changed.
 */
int nvct_hook_chmod(int root_fd, mode_t mode, char *const *paths, NvctError *err);

/* ---- arguments ------------------------------------------------------------------------------------------ */

typedef enum NvctHookKind {
        NVCT_HOOK_UNKNOWN = -1,
        NVCT_HOOK_CREATE_SYMLINKS,
        NVCT_HOOK_UPDATE_LDCACHE,
        NVCT_HOOK_ENABLE_CUDA_COMPAT,
        NVCT_HOOK_DISABLE_DEVICE_NODE_MODIFICATION,
        NVCT_HOOK_UPDATE_APPLICATION_PROFILE,
        NVCT_HOOK_CHMOD,
        NVCT_HOOK_NOOP,
        _NVCT_HOOK_MAX,
} NvctHookKind;

/* The options of every hook; each hook accepts only its own (plus --container-spec). */
typedef struct NvctHookArgs {
        char **link;                      /* create-symlinks --link (repeatable, comma lists split) */
        char **folder;                    /* update-ldcache --folder */
        char *ldconfig_path;              /* update-ldcache --ldconfig-path */
        char *host_driver_version;        /* enable-cuda-compat */
        char *host_cuda_version;          /* enable-cuda-compat (accepted; the driver major decides) */
        char *cuda_compat_container_root; /* enable-cuda-compat */
        char *mode;                       /* chmod --mode */
        char **path;                      /* chmod --path */
        bool enable_deprecated;           /* chmod --enable-deprecated: the opt-in */
        char *container_spec;             /* hidden, all hooks: read the state from this file, "-" = stdin */
        char *host_proc_root;             /* hidden, disable-device-node-modification: the host procfs */
        bool help;                        /* -h/--help was given */
} NvctHookArgs;

NvctHookKind nvct_hook_kind_from_name(const char *name);
const char *nvct_hook_kind_name(NvctHookKind k);
/*
 * Parse a hook's options; argv[0] is the hook name. --name VALUE, --name=VALUE and single-dash forms work.
 * Following NVIDIA's compatibility rule, unknown options and stray arguments are not errors: each adds one line
 * to *ret_warnings (may be NULL). A known option without its value or a bad boolean is an error.
 */
int nvct_hook_args_parse(NvctHookKind kind, int argc, char *const *argv, NvctHookArgs *ret, char ***ret_warnings,
                         NvctError *err);
void nvct_hook_args_done(NvctHookArgs *a);
