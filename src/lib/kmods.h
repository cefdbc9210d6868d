/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "driver.h"
#include "error.h"

/*
 * What nvidia-modprobe does for nvidia-container-cli --load-kmods: load the kernel modules and create the device
 * nodes the driver has not created (udev is often absent where containers are set up). Node numbers always come
 * from /proc/devices, procfs GPU information and the capability files, never from constants, except the fixed
 * nvidia minors 255 (nvidiactl) and 254 (nvidia-modeset).
 */

typedef struct NvctKmodOptions {
        bool create_imex_channels;      /* mknod the channels below (off with --no-create-imex-channels) */
        const unsigned *imex_channels;
        size_t n_imex_channels;
        void (*log)(void *userdata, const char *fmt, ...) _printf_(2, 3);
        void *log_userdata;
} NvctKmodOptions;

/* True when this process runs in a user namespace other than the initial one (uid_map is not the identity). */
bool nvct_in_user_namespace(void);

/*
 * --load-kmods: only as root outside a user namespace. modprobe (the host's /sbin/modprobe, empty environment,
 * 10 s limit) nvidia, nvidia-uvm and nvidia-modeset unless <proc_root>/driver/nvidia shows the driver loaded,
 * then nvct_create_device_nodes(). Every failure is only logged: the caller goes on and discovery reports what
 * is really missing.
 */
void nvct_kmods_load(const NvctRoots *roots, const NvctKmodOptions *opts);

/*
 * Create the missing nodes below <dev_root>/dev: nvidiactl, nvidia<minor> per GPU, nvidia-modeset (when the
 * nvidia_modeset module is loaded), nvidia-uvm and nvidia-uvm-tools (when /proc/devices has nvidia-uvm),
 * nvidia-caps/nvidia-capN for the MIG config/monitor and existing instance capabilities, and the IMEX channels
 * asked for. Owner and mode come from driver/nvidia/params (DeviceFileUID/GID/Mode) and, for caps, from each
 * capability file. Existing files are left alone. Returns the number of nodes created.
 */
int nvct_create_device_nodes(const NvctRoots *roots, const NvctKmodOptions *opts, NvctError *err);
