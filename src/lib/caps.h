/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "error.h"

/* Driver capabilities, as in NVIDIA_DRIVER_CAPABILITIES and the configure flags. */
typedef enum NvctCaps {
        NVCT_CAP_UTILITY = 1 << 0,
        NVCT_CAP_COMPUTE = 1 << 1,
        NVCT_CAP_VIDEO = 1 << 2,
        NVCT_CAP_GRAPHICS = 1 << 3,
        NVCT_CAP_DISPLAY = 1 << 4,
        NVCT_CAP_NGX = 1 << 5,
        NVCT_CAP_COMPAT32 = 1 << 6,
        NVCT_CAP_ALL = (1 << 7) - 1,
} NvctCaps;

/* "utility" -> NVCT_CAP_UTILITY; 0 if unknown. */
unsigned nvct_cap_from_name(const char *name);
/* The canonical name of a single bit. */
const char *nvct_cap_name(unsigned cap);
/* Comma list in NVIDIA's sorted order (compat32,compute,display,graphics,ngx,utility,video). Caller frees. */
char *nvct_caps_to_string(unsigned caps);
/*
 * Parse a comma list ("compute,utility", "all"). Unknown names fail with EINVAL naming the offending token.
 * Empty tokens are skipped.
 */
int nvct_caps_parse(const char *s, unsigned *ret, NvctError *err);
