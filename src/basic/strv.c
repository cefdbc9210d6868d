/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"

char **strv_free(char **l) {
        if (l) {
                for (char **p = l; *p; p++)
                        free(*p);
                free(l);
        }
        return NULL;
}

int strv_consume(char ***l, char *s) {
        if (!s)
                return -ENOMEM;
        size_t n = strv_length(*l);
        char **nl = realloc(*l, sizeof(char *) * (n + 2));
        if (!nl) {
                free(s);
                return -ENOMEM;
        }
        nl[n] = s;
        nl[n + 1] = NULL;
        *l = nl;
        return 0;
}

int strv_extend(char ***l, const char *s) {
        return strv_consume(l, strdup(s));
}

int strv_extendf(char ***l, const char *fmt, ...) {
        char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return strv_consume(l, s);
}

bool strv_contains(char *const *l, const char *s) {
        if (l)
                for (char *const *p = l; *p; p++)
                        if (streq(*p, s))
                                return true;
        return false;
}

char **strv_copy(char *const *l) {
        char **c = calloc(1, sizeof(char *));
        if (!c)
                return NULL;
        if (l)
                for (char *const *p = l; *p; p++)
                        if (strv_extend(&c, *p) < 0)
                                return strv_free(c);
        return c;
}

int strv_split(const char *s, const char *seps, bool skip_empty, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        const char *p = s;
        for (;;) {
                size_t n = strcspn(p, seps);
                if (n > 0 || !skip_empty) {
                        char *w = strndup(p, n);
                        int r = strv_consume(&l, w);
                        if (r < 0)
                                return r;
                }
                if (p[n] == '\0')
                        break;
                p += n + 1;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

char *strv_join(char *const *l, const char *sep) {
        size_t len = 0, sl = strlen(sep), n = strv_length(l);
        for (size_t i = 0; i < n; i++)
                len += strlen(l[i]) + (i ? sl : 0);
        char *r = malloc(len + 1), *q = r;
        if (!r)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (i) {
                        memcpy(q, sep, sl);
                        q += sl;
                }
                size_t k = strlen(l[i]);
                memcpy(q, l[i], k);
                q += k;
        }
        *q = '\0';
        return r;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void strv_sort(char **l) {
        size_t n = strv_length(l);
        if (n > 1)
                qsort(l, n, sizeof(char *), cmp_str);
}
