/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stddef.h>

#include "macros.h"

/* A growable text buffer, always NUL-terminated once anything was appended. */
typedef struct Buf {
        char *data;
        size_t len;
        size_t cap;
        int oom; /* sticky: set once an allocation failed */
} Buf;

#define BUF_INIT { NULL, 0, 0, 0 }

int buf_append(Buf *b, const char *s, size_t n);
int buf_puts(Buf *b, const char *s);
int buf_printf(Buf *b, const char *fmt, ...) _printf_(2, 3);
void buf_free(Buf *b);
/* Return the text (caller frees) or NULL on an earlier allocation failure. */
char *buf_steal(Buf *b);
static inline void buf_freep(Buf *b) {
        buf_free(b);
}
#define _cleanup_buf_ _cleanup_(buf_freep)
