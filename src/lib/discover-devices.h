/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "driver.h"
#include "error.h"

/* Fixed numbers of the nvidia major (NVIDIA's own convention, not read from anywhere). */
#define NVCT_NVIDIACTL_MINOR 255
#define NVCT_MODESET_MINOR 254
#define NVCT_IMEX_CHANNEL_LIMIT (1u << 20)
#define NVCT_MAX_IMEX_NODES 65536

typedef enum NvctDevState {
        NVCT_DEV_PRESENT,
        NVCT_DEV_MISSING,     /* nothing at that path */
        NVCT_DEV_WRONG_TYPE,  /* not a character device (symlinks included) */
        NVCT_DEV_WRONG_NUMBER,/* a character device, but not major:minor */
        NVCT_DEV_NO_MAJOR,    /* the driver registers no such major in /proc/devices */
} NvctDevState;

const char *nvct_dev_state_string(NvctDevState s);

/*
 * Probe the node at container path `path` ("/dev/nvidia0") below dev_root, without following a symlink in the
 * final component. ret gets path, host_path, the expected numbers, the node's mode/uid/gid and present.
 * major == 0 means "the driver has no such major" (never present). Returns 0 or -ENOMEM; *ret_state (optional)
 * says why a node is not present.
 */
int nvct_devnode_probe(const char *dev_root, const char *path, unsigned major, unsigned minor, NvctDevNode *ret,
                       NvctDevState *ret_state, NvctError *err);
void nvct_devnode_clear(NvctDevNode *n);

/*
 * Fill drv->ctl, each GPU's node and DRM card/render nodes (matched through
 * <sys_root>/bus/pci/devices/<bus>/drm/), drv->cap_nodes (/dev/nvidia-caps/nvidia-capN) and drv->imex_channels
 * (/dev/nvidia-caps-imex-channels/channelN). Needs drv->major_* and the GPUs from procfs. drm_major comes from
 * /proc/devices ("drm"), 0 when absent.
 */
int nvct_devices_discover(const NvctRoots *roots, unsigned drm_major, NvctDriver *drv, NvctError *err);

/* The container path of a control node, by NVCT_CTL_* index. */
const char *nvct_ctl_path(unsigned idx);

/* The present cap node with this minor, or NULL. */
const NvctDevNode *nvct_driver_find_cap_node(const NvctDriver *drv, unsigned minor);
/* The present IMEX channel node, or NULL. */
const NvctDevNode *nvct_driver_find_imex_channel(const NvctDriver *drv, unsigned channel);
