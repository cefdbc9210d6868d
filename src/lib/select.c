/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discover-procfs.h"
#include "select.h"

#define BITS_PER_WORD (sizeof(unsigned long) * CHAR_BIT)
#define MAX_TOKEN 128

static bool bit_test(const unsigned long *bits, size_t i) {
        return bits && (bits[i / BITS_PER_WORD] >> (i % BITS_PER_WORD)) & 1UL;
}

static void bit_set(unsigned long *bits, size_t i) {
        bits[i / BITS_PER_WORD] |= 1UL << (i % BITS_PER_WORD);
}

const char *nvct_token_sanitize(const char *tok, size_t len, char *buf, size_t size) {
        size_t n = MIN(len, MIN(size - 1, (size_t) 64));
        for (size_t i = 0; i < n; i++)
                buf[i] = (unsigned char) tok[i] >= 0x20 && (unsigned char) tok[i] < 0x7f ? tok[i] : '?';
        buf[n] = '\0';
        return buf;
}

NvctSelection *nvct_selection_free(NvctSelection *s) {
        if (!s)
                return NULL;
        free(s->gpus);
        free(s->migs);
        free(s->gpu_bits);
        free(s->mig_bits);
        free(s->mig_base);
        free(s);
        return NULL;
}

static NvctSelection *selection_new(const NvctDriver *drv) {
        _cleanup_(nvct_selection_freep) NvctSelection *s = calloc(1, sizeof(*s));
        size_t n_migs = 0;

        if (!s)
                return NULL;
        s->n_gpus_total = drv->n_gpus;
        s->mig_base = calloc(drv->n_gpus + 1, sizeof(*s->mig_base));
        if (!s->mig_base)
                return NULL;
        for (size_t i = 0; i < drv->n_gpus; i++) {
                s->mig_base[i] = n_migs;
                n_migs += drv->gpus[i].n_migs;
        }
        s->mig_base[drv->n_gpus] = n_migs;
        s->gpu_bits = calloc(drv->n_gpus / BITS_PER_WORD + 1, sizeof(unsigned long));
        s->mig_bits = calloc(n_migs / BITS_PER_WORD + 1, sizeof(unsigned long));
        s->gpus = calloc(drv->n_gpus + 1, sizeof(*s->gpus));
        s->migs = calloc(n_migs + 1, sizeof(*s->migs));
        if (!s->gpu_bits || !s->mig_bits || !s->gpus || !s->migs)
                return NULL;
        return TAKE_PTR(s);
}

bool nvct_selection_has_gpu(const NvctSelection *s, size_t gpu) {
        return s && gpu < s->n_gpus_total && bit_test(s->gpu_bits, gpu);
}

bool nvct_selection_has_mig(const NvctSelection *s, size_t gpu, size_t mig) {
        if (!s || gpu >= s->n_gpus_total || s->mig_base[gpu] + mig >= s->mig_base[gpu + 1])
                return false;
        return bit_test(s->mig_bits, s->mig_base[gpu] + mig);
}

/* Arrays were sized for every device, so adding never allocates. */
static void add_gpu(NvctSelection *s, size_t gpu) {
        if (bit_test(s->gpu_bits, gpu))
                return;
        bit_set(s->gpu_bits, gpu);
        s->gpus[s->n_gpus++] = gpu;
}

static void add_mig(NvctSelection *s, size_t gpu, size_t mig) {
        size_t bit = s->mig_base[gpu] + mig;
        if (!bit_test(s->mig_bits, bit)) {
                bit_set(s->mig_bits, bit);
                s->migs[s->n_migs++] = (NvctMigRef) { .gpu = gpu, .mig = mig };
        }
        add_gpu(s, gpu);
}

static bool all_digits(const char *s, size_t len) {
        if (len == 0)
                return false;
        for (size_t i = 0; i < len; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

/* GPU-uuid, PCI address, decimal index. Returns the GPU index or -1. */
static long match_gpu(const NvctDriver *drv, const char *tok, size_t len) {
        char busid[32];
        unsigned long n;

        if (len > 4 && strncasecmp(tok, "GPU-", 4) == 0)
                for (size_t i = 0; i < drv->n_gpus; i++)
                        if (strlen(drv->gpus[i].uuid) == len && strncasecmp(drv->gpus[i].uuid, tok, len) == 0)
                                return (long) i;
        if (nvct_busid_normalize(tok, busid, sizeof(busid)) >= 0 && streq(busid + strlen(busid) - 2, ".0"))
                for (size_t i = 0; i < drv->n_gpus; i++)
                        if (strcasecmp(drv->gpus[i].busid, busid) == 0)
                                return (long) i;
        if (all_digits(tok, len) && nvct_parse_decimal(tok, len, drv->n_gpus, &n) >= 0)
                return (long) n;
        return -1;
}

/* MIG-uuid, <gpu>:<mig>. */
static bool match_mig(const NvctDriver *drv, const char *tok, size_t len, size_t *ret_gpu, size_t *ret_mig) {
        if (len > 4 && strncasecmp(tok, "MIG-", 4) == 0)
                for (size_t i = 0; i < drv->n_gpus; i++)
                        for (size_t j = 0; j < drv->gpus[i].n_migs; j++) {
                                const char *u = drv->gpus[i].migs[j].uuid;
                                if (strlen(u) == len && strncasecmp(u, tok, len) == 0) {
                                        *ret_gpu = i;
                                        *ret_mig = j;
                                        return true;
                                }
                        }
        const char *colon = memchr(tok, ':', len);
        unsigned long g, m;
        if (!colon || !all_digits(tok, (size_t) (colon - tok)) || !all_digits(colon + 1, len - (size_t) (colon - tok) - 1))
                return false;
        if (nvct_parse_decimal(tok, (size_t) (colon - tok), drv->n_gpus, &g) < 0 ||
            nvct_parse_decimal(colon + 1, len - (size_t) (colon - tok) - 1, drv->gpus[g].n_migs, &m) < 0)
                return false;
        *ret_gpu = g;
        *ret_mig = m;
        return true;
}

/* Characters that no device name contains; a token with them is refused before any matching. */
static bool token_suspicious(const char *tok, size_t len) {
        if (len > MAX_TOKEN || memchr(tok, '/', len))
                return true;
        for (size_t i = 0; i + 1 < len; i++)
                if (tok[i] == '.' && tok[i + 1] == '.')
                        return true;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) tok[i] <= 0x20 || (unsigned char) tok[i] >= 0x7f)
                        return true;
        return false;
}

static int unknown_device(const char *tok, size_t len, NvctError *err) {
        char buf[80];
        return nvct_error_setx(err, ENODEV, "%s: unknown device", nvct_token_sanitize(tok, len, buf, sizeof(buf)));
}

/* Walk comma-separated tokens, skipping empty ones. */
static bool next_token(const char **cursor, const char **ret_tok, size_t *ret_len) {
        const char *p = *cursor;
        while (p && *p == ',')
                p++;
        if (!p || !*p)
                return false;
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t) (end - p) : strlen(p);
        *ret_tok = p;
        *ret_len = len;
        *cursor = p + len;
        return true;
}

static int select_token(const NvctDriver *drv, NvctSelection *s, const char *tok, size_t len, NvctError *err) {
        char buf[MAX_TOKEN + 1];
        size_t g, m;

        if (token_suspicious(tok, len))
                return unknown_device(tok, len, err);
        memcpy(buf, tok, len);
        buf[len] = '\0';
        long i = match_gpu(drv, buf, len);
        if (i >= 0) {
                add_gpu(s, (size_t) i);
                return 0;
        }
        if (match_mig(drv, buf, len, &g, &m)) {
                add_mig(s, g, m);
                return 0;
        }
        return unknown_device(tok, len, err);
}

int nvct_select_devices(const NvctDriver *drv, const char *spec, NvctSelection **ret, NvctError *err) {
        _cleanup_selection_ NvctSelection *s = selection_new(drv);
        const char *cur = spec, *tok;
        size_t len;

        if (!s)
                return nvct_error_set(err, ENOMEM, "device selection");
        while (drv->n_gpus > 0 && next_token(&cur, &tok, &len)) {
                if (len == 3 && strncasecmp(tok, "all", 3) == 0) {
                        for (size_t i = 0; i < drv->n_gpus; i++)
                                add_gpu(s, i);
                        for (size_t i = 0; i < drv->n_gpus; i++)
                                for (size_t j = 0; j < drv->gpus[i].n_migs; j++)
                                        add_mig(s, i, j);
                        s->all = true;
                        break;
                }
                int r = select_token(drv, s, tok, len, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int nvct_select_mig_caps(const NvctDriver *drv, const NvctSelection *visible, const char *spec, const char *what,
                         NvctSelection **ret, NvctError *err) {
        _cleanup_selection_ NvctSelection *s = selection_new(drv);
        const char *cur = spec, *tok;
        char buf[80];
        size_t len;

        if (!s)
                return nvct_error_set(err, ENOMEM, "%s selection", what);
        while (next_token(&cur, &tok, &len)) {
                if (len != 3 || strncasecmp(tok, "all", 3) != 0)
                        return nvct_error_setx(err, EINVAL, "%s: only 'all' devices are currently supported",
                                               nvct_token_sanitize(tok, len, buf, sizeof(buf)));
                if (visible && !visible->all && visible->n_migs > 0)
                        return nvct_error_setx(err, EINVAL, "%s: cannot enable %s with specific MIG devices selected",
                                               nvct_token_sanitize(tok, len, buf, sizeof(buf)), what);
                for (size_t i = 0; visible && i < visible->n_gpus; i++)
                        if (visible->gpus[i] < drv->n_gpus && drv->gpus[visible->gpus[i]].mig_capable)
                                add_gpu(s, visible->gpus[i]);
                for (size_t i = 0; visible && i < visible->n_migs; i++)
                        if (visible->migs[i].gpu < drv->n_gpus && drv->gpus[visible->migs[i].gpu].mig_capable)
                                add_gpu(s, visible->migs[i].gpu);
                s->all = true;
                break;
        }
        *ret = TAKE_PTR(s);
        return 0;
}

int nvct_parse_imex_channels(const char *spec, unsigned **ret, size_t *ret_n, NvctError *err) {
        _cleanup_free_ unsigned long *seen = NULL;
        _cleanup_free_ unsigned *list = NULL;
        size_t n = 0, cap = 0, len;
        const char *cur = spec, *tok;
        char buf[80];

        *ret = NULL;
        *ret_n = 0;
        while (next_token(&cur, &tok, &len)) {
                unsigned long v;
                if (!all_digits(tok, len) || nvct_parse_decimal(tok, len, NVCT_IMEX_CHANNEL_MAX, &v) < 0)
                        return nvct_error_setx(err, EINVAL, "%s: invalid channel (expected a decimal number below %u)",
                                               nvct_token_sanitize(tok, len, buf, sizeof(buf)),
                                               NVCT_IMEX_CHANNEL_MAX);
                if (!seen && !(seen = calloc(NVCT_IMEX_CHANNEL_MAX / BITS_PER_WORD, sizeof(*seen))))
                        return nvct_error_set(err, ENOMEM, "IMEX channels");
                if (bit_test(seen, v))
                        continue;
                bit_set(seen, v);
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        unsigned *nl = realloc(list, ncap * sizeof(*nl));
                        if (!nl)
                                return nvct_error_set(err, ENOMEM, "IMEX channels");
                        list = nl;
                        cap = ncap;
                }
                list[n++] = (unsigned) v;
        }
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}
