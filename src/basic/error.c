/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The analysis-only wrappers in error.h must not rename the definitions below. */
#define NVCT_ERROR_IMPL
#include "error.h"

static int abs_errno(int r) {
        if (r < 0)
                r = -r;
        return r == 0 ? EIO : r;
}

_printf_(4, 0) static int error_vset(NvctError *err, int r, bool with_errno, const char *fmt, va_list ap) {
        int code = abs_errno(r);

        if (!err)
                return -code;
        err->code = code;
        int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        if (with_errno && n >= 0 && (size_t) n < sizeof(err->msg))
                snprintf(err->msg + n, sizeof(err->msg) - (size_t) n, ": %s", strerror(code));
        return -code;
}

int nvct_error_set(NvctError *err, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int ret = error_vset(err, r, true, fmt, ap);
        va_end(ap);
        return ret;
}

int nvct_error_setx(NvctError *err, int r, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int ret = error_vset(err, r, false, fmt, ap);
        va_end(ap);
        return ret;
}

int nvct_error_prefix(NvctError *err, int r, const char *fmt, ...) {
        // cppcheck-suppress ctunullpointer ; sizeof does not evaluate err, and NULL is handled just below
        char prefix[512], old[sizeof(err->msg)];
        va_list ap;

        if (!err)
                return -abs_errno(r);
        if (err->code == 0)
                err->code = abs_errno(r);
        va_start(ap, fmt);
        (void) vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof(old));
        snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
        return -err->code;
}

void nvct_error_clear(NvctError *err) {
        if (!err)
                return;
        err->code = 0;
        err->msg[0] = '\0';
}
