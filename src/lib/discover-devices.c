/* SPDX-License-Identifier: Apache-2.0 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "discover-devices.h"
#include "discover-procfs.h"

static const char *const ctl_paths[NVCT_CTL_COUNT] = {
        [NVCT_CTL_NVIDIACTL] = "/dev/nvidiactl",
        [NVCT_CTL_UVM] = "/dev/nvidia-uvm",
        [NVCT_CTL_UVM_TOOLS] = "/dev/nvidia-uvm-tools",
        [NVCT_CTL_MODESET] = "/dev/nvidia-modeset",
};

const char *nvct_ctl_path(unsigned idx) {
        return idx < NVCT_CTL_COUNT ? ctl_paths[idx] : NULL;
}

const char *nvct_dev_state_string(NvctDevState s) {
        switch (s) {
        case NVCT_DEV_PRESENT:
                return "present";
        case NVCT_DEV_MISSING:
                return "not present";
        case NVCT_DEV_WRONG_TYPE:
                return "not a character device";
        case NVCT_DEV_WRONG_NUMBER:
                return "unexpected device number";
        case NVCT_DEV_NO_MAJOR:
                return "the driver registers no major for it";
        }
        return "unknown";
}

static char *dev_join(const char *root, const char *path) {
        char *s = NULL;
        size_t rl = strlen(root);
        while (rl > 0 && root[rl - 1] == '/')
                rl--;
        if (asprintf(&s, "%.*s%s", (int) rl, root, path) < 0)
                return NULL;
        return s;
}

void nvct_devnode_clear(NvctDevNode *n) {
        if (!n)
                return;
        free(n->path);
        free(n->host_path);
        *n = (NvctDevNode) { 0 };
}

int nvct_devnode_probe(const char *dev_root, const char *path, unsigned major, unsigned minor, NvctDevNode *ret,
                       NvctDevState *ret_state, NvctError *err) {
        NvctDevNode n = { .major = major, .minor = minor };
        NvctDevState state;
        struct stat st;

        n.path = strdup(path);
        n.host_path = dev_join(dev_root, path);
        if (!n.path || !n.host_path) {
                nvct_devnode_clear(&n);
                return nvct_error_set(err, ENOMEM, "probe %s", path);
        }
        /* The final component is never followed: a symlink planted at /dev/nvidia0 is not the device. */
        if (major == 0)
                state = NVCT_DEV_NO_MAJOR;
        else if (fstatat(AT_FDCWD, n.host_path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                state = NVCT_DEV_MISSING;
        else if (!S_ISCHR(st.st_mode))
                state = NVCT_DEV_WRONG_TYPE;
        else if (major(st.st_rdev) != major || minor(st.st_rdev) != minor)
                state = NVCT_DEV_WRONG_NUMBER;
        else {
                state = NVCT_DEV_PRESENT;
                n.mode = st.st_mode & 07777;
                n.uid = st.st_uid;
                n.gid = st.st_gid;
                n.present = true;
        }
        nvct_devnode_clear(ret);
        *ret = n;
        if (ret_state)
                *ret_state = state;
        return 0;
}

static int probe_drm(const NvctRoots *roots, unsigned drm_major, NvctGpu *g, NvctError *err) {
        _cleanup_free_ char *dir = NULL;
        const char *bus = g->proc_dir ? strrchr(g->proc_dir, '/') : NULL;
        struct dirent *de;
        int r;

        if (!bus || drm_major == 0)
                return 0;
        size_t rl = strlen(roots->sys_root);
        while (rl > 0 && roots->sys_root[rl - 1] == '/')
                rl--;
        if (asprintf(&dir, "%.*s/bus/pci/devices%s/drm", (int) rl, roots->sys_root, bus) < 0)
                return nvct_error_set(err, ENOMEM, "probe DRM nodes");
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                unsigned long n;
                char path[64];
                NvctDevNode *slot;
                if (strneq(de->d_name, "card", 4) &&
                    nvct_parse_decimal(de->d_name + 4, strlen(de->d_name + 4), 256, &n) >= 0)
                        slot = &g->drm_card;
                else if (strneq(de->d_name, "renderD", 7) &&
                         nvct_parse_decimal(de->d_name + 7, strlen(de->d_name + 7), 1024, &n) >= 0)
                        slot = &g->drm_render;
                else
                        continue;
                if (slot->present)
                        continue;
                snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
                r = nvct_devnode_probe(roots->dev_root, path, drm_major, (unsigned) n, slot, NULL, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int node_compare(const void *a, const void *b) {
        const NvctDevNode *x = a, *y = b;
        return x->minor < y->minor ? -1 : x->minor > y->minor;
}

/*
 * Present nodes "<dir>/<prefix><N>" with major:N, sorted by N. Scanning the directory rather than probing every
 * possible minor keeps this proportional to what exists (mig-minors lists thousands of possible caps).
 */
static int scan_nodes(const char *dev_root, const char *dir, const char *prefix, unsigned major,
                      NvctDevNode **ret, size_t *ret_n, NvctError *err) {
        _cleanup_free_ char *host_dir = dev_join(dev_root, dir);
        NvctDevNode *list = NULL;
        size_t n = 0, cap = 0, pl = strlen(prefix);
        struct dirent *de;
        int r = 0;

        *ret = NULL;
        *ret_n = 0;
        if (!host_dir)
                return nvct_error_set(err, ENOMEM, "scan %s", dir);
        if (major == 0)
                return 0;
        _cleanup_closedir_ DIR *d = opendir(host_dir);
        if (!d)
                return 0;
        while ((de = readdir(d)) && n < NVCT_MAX_IMEX_NODES) {
                unsigned long minor;
                char path[128];
                if (!strneq(de->d_name, prefix, pl) ||
                    nvct_parse_decimal(de->d_name + pl, strlen(de->d_name + pl), NVCT_MINOR_LIMIT, &minor) < 0)
                        continue;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        NvctDevNode *nl = realloc(list, ncap * sizeof(*nl));
                        if (!nl) {
                                r = nvct_error_set(err, ENOMEM, "scan %s", dir);
                                goto fail;
                        }
                        list = nl;
                        cap = ncap;
                }
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                list[n] = (NvctDevNode) { 0 };
                r = nvct_devnode_probe(dev_root, path, major, (unsigned) minor, &list[n], NULL, err);
                if (r < 0)
                        goto fail;
                if (list[n].present)
                        n++;
                else
                        nvct_devnode_clear(&list[n]);
        }
        if (n > 1)
                qsort(list, n, sizeof(*list), node_compare);
        *ret = list;
        *ret_n = n;
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                nvct_devnode_clear(&list[i]);
        free(list);
        return r;
}

int nvct_devices_discover(const NvctRoots *roots, unsigned drm_major, NvctDriver *drv, NvctError *err) {
        static const unsigned ctl_minor[NVCT_CTL_COUNT] = {
                [NVCT_CTL_NVIDIACTL] = NVCT_NVIDIACTL_MINOR, [NVCT_CTL_UVM] = 0,
                [NVCT_CTL_UVM_TOOLS] = 1, [NVCT_CTL_MODESET] = NVCT_MODESET_MINOR,
        };
        int r;

        for (unsigned i = 0; i < NVCT_CTL_COUNT; i++) {
                unsigned major = i == NVCT_CTL_UVM || i == NVCT_CTL_UVM_TOOLS ? drv->major_uvm : drv->major_nvidia;
                r = nvct_devnode_probe(roots->dev_root, ctl_paths[i], major, ctl_minor[i], &drv->ctl[i], NULL, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < drv->n_gpus; i++) {
                NvctGpu *g = &drv->gpus[i];
                char path[64];
                snprintf(path, sizeof(path), "/dev/nvidia%u", g->minor);
                r = nvct_devnode_probe(roots->dev_root, path, drv->major_nvidia, g->minor, &g->node, NULL, err);
                if (r < 0)
                        return r;
                r = probe_drm(roots, drm_major, g, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < drv->n_cap_nodes; i++)
                nvct_devnode_clear(&drv->cap_nodes[i]);
        free(drv->cap_nodes);
        r = scan_nodes(roots->dev_root, "/dev/nvidia-caps", "nvidia-cap", drv->major_caps, &drv->cap_nodes,
                       &drv->n_cap_nodes, err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < drv->n_imex_channels; i++)
                nvct_devnode_clear(&drv->imex_channels[i]);
        free(drv->imex_channels);
        return scan_nodes(roots->dev_root, "/dev/nvidia-caps-imex-channels", "channel", drv->major_imex,
                          &drv->imex_channels, &drv->n_imex_channels, err);
}

static const NvctDevNode *find_minor(const NvctDevNode *list, size_t n, unsigned minor) {
        for (size_t i = 0; i < n; i++)
                if (list[i].minor == minor && list[i].present)
                        return &list[i];
        return NULL;
}

const NvctDevNode *nvct_driver_find_cap_node(const NvctDriver *drv, unsigned minor) {
        return find_minor(drv->cap_nodes, drv->n_cap_nodes, minor);
}

const NvctDevNode *nvct_driver_find_imex_channel(const NvctDriver *drv, unsigned channel) {
        return find_minor(drv->imex_channels, drv->n_imex_channels, channel);
}
