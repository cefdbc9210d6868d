/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "driver.h"
#include "error.h"

/*
 * Device selection as nvidia-container-cli --device understands it. Tokens are comma-separated and tried in
 * this order: "all" (case-insensitive; selects everything and ends parsing), GPU-<uuid> (case-insensitive), a PCI
 * address (any domain width, function 0), a decimal index, MIG-<uuid>, <gpu>:<mig> (enumeration indexes).
 * Empty tokens and duplicates are ignored; a MIG device also selects its parent. Anything else, including
 * tokens with '/', "..", signs, "0x" or out-of-range numbers, fails with "<tok>: unknown device".
 *
 * The result keeps both membership bitsets (for "is GPU i selected?") and the selection order, because
 * nvidia-container-cli lists devices in the order they were asked for.
 */

typedef struct NvctMigRef {
        size_t gpu; /* index into drv->gpus */
        size_t mig; /* index into drv->gpus[gpu].migs */
} NvctMigRef;

typedef struct NvctSelection {
        bool all;            /* "all" was given */
        size_t *gpus;        /* selected GPUs (drv->gpus indexes), in selection order */
        size_t n_gpus;
        NvctMigRef *migs;    /* selected MIG devices, in selection order */
        size_t n_migs;
        /* Bitsets: bit i of gpu_bits is GPU i; MIG (g, m) is bit mig_base[g] + m of mig_bits. */
        unsigned long *gpu_bits;
        unsigned long *mig_bits;
        size_t *mig_base;
        size_t n_gpus_total;
} NvctSelection;

/*
 * Select devices of drv from spec (NULL or "" selects nothing). As in nvidia-container-cli, a host without GPUs
 * selects nothing whatever spec says. Errors name the token: "<tok>: unknown device".
 */
int nvct_select_devices(const NvctDriver *drv, const char *spec, NvctSelection **ret, NvctError *err);

/*
 * --mig-config / --mig-monitor: only "all" is accepted (what names the option in messages, "mig-config"). The
 * result holds the MIG-capable GPUs among the visible GPUs and the parents of visible MIG devices, with all set.
 * Refused when specific MIG devices were selected. spec NULL gives an empty selection.
 */
int nvct_select_mig_caps(const NvctDriver *drv, const NvctSelection *visible, const char *spec, const char *what,
                         NvctSelection **ret, NvctError *err);

bool nvct_selection_has_gpu(const NvctSelection *s, size_t gpu);
bool nvct_selection_has_mig(const NvctSelection *s, size_t gpu, size_t mig);

NvctSelection *nvct_selection_free(NvctSelection *s);
static inline void nvct_selection_freep(NvctSelection **s) {
        nvct_selection_free(*s);
}
#define _cleanup_selection_ _cleanup_(nvct_selection_freep)

#define NVCT_IMEX_CHANNEL_MAX (1u << 20)

/*
 * IMEX channel list "0,3,7": decimal numbers below 2^20, comma-separated; empty tokens and duplicates ignored,
 * order kept. *ret is NULL when nothing was given.
 */
int nvct_parse_imex_channels(const char *spec, unsigned **ret, size_t *ret_n, NvctError *err);

/* Copy tok into buf for an error message: at most 64 bytes, non-printable bytes as '?'. */
const char *nvct_token_sanitize(const char *tok, size_t len, char *buf, size_t size);
