/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <errno.h>
#include <stdbool.h>

#include "macros.h"

/*
 * The caller owns the error. It is fixed-size so it can live on the stack and fallback paths never have to free
 * it. The site that fails fills it once; callers may prefix context. The library never prints or exits: the CLI
 * reports the message once.
 */
typedef struct NvctError {
        int code;        /* positive errno, 0 when unset */
        char msg[1024];
} NvctError;

#define NVCT_ERROR_INIT { 0, { 0 } }

/* Record "<message>: <strerror(r)>" and return -|r|. */
int nvct_error_set(NvctError *err, int r, const char *fmt, ...) _printf_(3, 4);
/* Record "<message>" without the errno text and return -|r|. */
int nvct_error_setx(NvctError *err, int r, const char *fmt, ...) _printf_(3, 4);
/* Prepend "<prefix>: " to an existing message. Returns -err->code (or r when unset). */
int nvct_error_prefix(NvctError *err, int r, const char *fmt, ...) _printf_(3, 4);
void nvct_error_clear(NvctError *err);

/* The analyzer sees one file at a time, does not inline variadic functions and stops inlining others once its budget
 * for a path is spent, so it cannot always know that an error setter returns < 0; without this every error return
 * reads as a possible success with its outputs unset. Wrap always-negative helpers that it reports in it. Analysis
 * builds only: the value is the same. */
#ifdef __clang_analyzer__
#define NVCT_NEGATIVE(call)                                                                                            \
        ({                                                                                                             \
                int _neg = (call);                                                                                     \
                _neg < 0 ? _neg : -EIO;                                                                                \
        })
/* The same for variadic CLI helpers that print and return a non-zero exit status. */
#define NVCT_NONZERO(call)                                                                                             \
        ({                                                                                                             \
                int _nz = (call);                                                                                      \
                _nz != 0 ? _nz : 1;                                                                                    \
        })
#else
#define NVCT_NEGATIVE(call) (call)
#define NVCT_NONZERO(call) (call)
#endif
#if defined(__clang_analyzer__) && !defined(NVCT_ERROR_IMPL)
#define nvct_error_set(err, r, ...) NVCT_NEGATIVE((nvct_error_set)(err, r, __VA_ARGS__))
#define nvct_error_setx(err, r, ...) NVCT_NEGATIVE((nvct_error_setx)(err, r, __VA_ARGS__))
#define nvct_error_prefix(err, r, ...) NVCT_NEGATIVE((nvct_error_prefix)(err, r, __VA_ARGS__))
#endif
static inline bool nvct_error_isset(const NvctError *err) {
        return err && err->code != 0;
}
