/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

#include "error.h"

/*
 * The requirement language of NVIDIA_REQUIRE_* and `configure --require`:
 *
 *     expr  := group ( ' ' group )*        a space separates OR groups
 *     group := term ( ',' term )*          a comma separates AND terms
 *     term  := name op value               name: cuda|driver|arch|brand, case-insensitive
 *     op    := = | != | < | <= | > | >=    the longest run of "<>=!" must be exactly one of these
 *
 * cuda, driver and arch compare as versions: dot-separated decimal components, compared numerically as digit
 * strings (never converted, so they cannot overflow), trailing zero components ignored (arch=9 equals 9.0).
 * brand takes only = and != and compares case-insensitively.
 *
 * Unlike libnvidia-container, which parses lazily and so never looks at terms after a decided group, every term
 * is validated before anything is evaluated: a malformed term is an error even where NVIDIA would have skipped it.
 */

/* What one visible GPU offers. A NULL member is unknown and makes every term on it vacuously true. */
typedef struct NvctRequireFacts {
        const char *cuda;   /* CUDA driver API version, "13.0" */
        const char *driver; /* kernel driver version, "580.159.04" */
        const char *arch;   /* compute capability, "9.0" */
        const char *brand;  /* NVML brand name, "Nvidia" */
} NvctRequireFacts;

/*
 * Quote an untrusted token for a message: at most NVCT_TOKEN_QUOTE_MAX bytes of it ("..." marks the cut), with
 * quotes, backslashes and non-printable bytes escaped, so a hostile value cannot forge log lines. buf should hold
 * NVCT_TOKEN_QUOTE_BUF bytes.
 */
#define NVCT_TOKEN_QUOTE_MAX 64U
#define NVCT_TOKEN_QUOTE_BUF (NVCT_TOKEN_QUOTE_MAX * 4U + 8U)
void nvct_token_quote(const char *s, size_t n, char *buf, size_t size);

/* Bounds: anything larger is an invalid expression. */
#define NVCT_REQUIRE_EXPR_MAX (64U * 1024U)
#define NVCT_REQUIRE_TERMS_MAX 4096U
#define NVCT_REQUIRE_VERSION_COMPONENTS_MAX 32U
#define NVCT_REQUIRE_VERSION_DIGITS_MAX 64U

/*
 * Check the syntax of one expression without evaluating it. An empty expression is valid (it requires nothing).
 * Returns 0, or -EINVAL with "requirement error: invalid expression (<why>)".
 */
int nvct_require_validate(const char *expr, NvctError *err);

/*
 * Evaluate every expression (a NULL-terminated list; NULL means none) against each of n_facts fact sets, one
 * per visible GPU or MIG parent; every expression must hold for every set. With n_facts == 0 the expressions
 * are evaluated once: cuda and driver come from facts[0] when facts is not NULL, arch and brand are unknown.
 *
 * Returns 0 when all hold; -EINVAL for a malformed expression or a fact that is not a version; -EPERM when a
 * condition is unsatisfied, with NVIDIA's message followed by the values seen, e.g.
 *   requirement error: unsatisfied condition: cuda>=13.1, please update your driver to a newer version, or use
 *   an earlier cuda container (cuda=13.0, driver=580.159.04, arch=9.0, brand=Nvidia on GPU 0)
 */
int nvct_require_check(char *const *exprs, const NvctRequireFacts *facts, size_t n_facts, NvctError *err);
