/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int buf_reserve(Buf *b, size_t extra) {
        if (b->oom)
                return -ENOMEM;
        if (b->len + extra + 1 <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + extra + 1) {
                if (cap > ((size_t) -1) / 2) {
                        b->oom = 1;
                        return -ENOMEM;
                }
                cap *= 2;
        }
        char *d = realloc(b->data, cap);
        if (!d) {
                b->oom = 1;
                return -ENOMEM;
        }
        b->data = d;
        b->cap = cap;
        return 0;
}

int buf_append(Buf *b, const char *s, size_t n) {
        int r = buf_reserve(b, n);
        if (r < 0)
                return r;
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int buf_puts(Buf *b, const char *s) {
        return buf_append(b, s, strlen(s));
}

int buf_printf(Buf *b, const char *fmt, ...) {
        va_list ap, ap2;
        va_start(ap, fmt);
        va_copy(ap2, ap);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
                va_end(ap2);
                return -EINVAL;
        }
        int r = buf_reserve(b, (size_t) n);
        if (r < 0) {
                va_end(ap2);
                return r;
        }
        (void) vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap2);
        va_end(ap2);
        b->len += (size_t) n;
        return 0;
}

void buf_free(Buf *b) {
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

char *buf_steal(Buf *b) {
        if (b->oom) {
                buf_free(b);
                return NULL;
        }
        if (!b->data && buf_reserve(b, 0) < 0)
                return NULL;
        if (b->data && b->len == 0)
                b->data[0] = '\0';
        char *d = b->data;
        b->data = NULL;
        b->len = b->cap = 0;
        return d;
}
