/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "error.h"

/* Facts about a container image that decide where the driver goes. Read through the rootfs resolver only. */
typedef struct NvctImageFacts {
        char libs_dir[64];    /* "/usr/lib/x86_64-linux-gnu" (Debian multiarch) or "/usr/lib64" */
        char libs32_dir[64];  /* "/usr/lib/i386-linux-gnu", "/usr/lib32" or "/usr/lib" */
        char bins_dir[64];    /* "/usr/bin" */
        /* The image's CUDA forward-compat directory when it holds a libcuda newer than the host driver; empty
         * otherwise. Only its name is used (put first in ld.so.conf.d); nothing in it is mounted or followed. */
        char compat_dir[64];
} NvctImageFacts;

/*
 * Inspect the rootfs open at root_fd. driver_version is the host's NVRM version; compat libraries are only
 * considered when check_compat is set (compute containers).
 */
int nvct_image_inspect(int root_fd, const char *driver_version, bool check_compat, NvctImageFacts *ret,
                       NvctError *err);

/* Compare dotted numeric versions ("575.57.08" vs "580.159.04"): <0, 0, >0. Non-digits end a component. */
int nvct_version_compare(const char *a, const char *b);
