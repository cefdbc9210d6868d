/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _nonnull_ __attribute__((nonnull))
#define _warn_unused_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

/* close() is never retried on EINTR: on Linux the fd is gone either way. */
static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                (void) close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                (void) fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* fdopendir that takes over *fd when it succeeds (*fd becomes -EBADF); when it fails *fd stays the caller's. */
static inline DIR *fdopendir_take(int *fd) {
        DIR *d = fdopendir(*fd);
        if (d)
                *fd = -EBADF;
        return d;
}

/* Hand ownership out of a cleanup-scoped variable. */
#define TAKE_PTR(p)                                                                                                    \
        ({                                                                                                             \
                __typeof__(p) _taken = (p);                                                                            \
                (p) = NULL;                                                                                            \
                _taken;                                                                                                \
        })
#define TAKE_FD(fd)                                                                                                    \
        ({                                                                                                             \
                int _taken = (fd);                                                                                     \
                (fd) = -EBADF;                                                                                         \
                _taken;                                                                                                \
        })

/* Convert a libc-style return (-1 + errno) into -errno. */
#define RET_NERRNO(expr)                                                                                               \
        ({                                                                                                             \
                __typeof__(expr) _r = (expr);                                                                          \
                _r < 0 ? -errno : _r;                                                                                  \
        })

#define streq(a, b) (strcmp((a), (b)) == 0)
#define strneq(a, b, n) (strncmp((a), (b), (n)) == 0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
