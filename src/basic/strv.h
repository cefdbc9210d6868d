/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macros.h"

/* NULL-terminated arrays of owned strings. */
typedef char **Strv;

/* Inline so that the static analyzers see that NULL has length 0. */
static inline size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}
char **strv_free(char **l);
static inline void strv_freep(char ***l) {
        strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Append a copy of s. Returns 0 or -ENOMEM. */
int strv_extend(char ***l, const char *s);
/* Append s itself, taking ownership (freed on failure). */
int strv_consume(char ***l, char *s);
int strv_extendf(char ***l, const char *fmt, ...) _printf_(2, 3);
bool strv_contains(char *const *l, const char *s);
char **strv_copy(char *const *l);
/* Split on any character of seps; empty fields are dropped when skip_empty. */
int strv_split(const char *s, const char *seps, bool skip_empty, char ***ret);
char *strv_join(char *const *l, const char *sep);
void strv_sort(char **l);
