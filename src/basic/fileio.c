/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

int read_fd(int fd, const char *what, size_t max_size, char **ret, size_t *ret_len, NvctError *err) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return nvct_error_set(err, errno, "stat %s", what);
        if (!S_ISREG(st.st_mode))
                return nvct_error_setx(err, EINVAL, "%s: not a regular file", what);
        if ((size_t) st.st_size > max_size)
                return nvct_error_setx(err, EFBIG, "%s: file too large (%lld bytes, limit %zu)", what,
                                       (long long) st.st_size, max_size);

        size_t cap = st.st_size > 0 ? (size_t) st.st_size + 1 : 4096, len = 0;
        _cleanup_free_ char *data = malloc(cap);
        if (!data)
                return nvct_error_set(err, ENOMEM, "read %s", what);
        for (;;) {
                if (len + 1 >= cap) {
                        if (cap > max_size + 1)
                                return nvct_error_setx(err, EFBIG, "%s: file too large (limit %zu bytes)", what,
                                                       max_size);
                        size_t ncap = MIN(cap * 2, max_size + 2);
                        char *n = realloc(data, ncap);
                        if (!n)
                                return nvct_error_set(err, ENOMEM, "read %s", what);
                        data = n;
                        cap = ncap;
                }
                ssize_t k = read(fd, data + len, cap - len - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return nvct_error_set(err, errno, "read %s", what);
                }
                if (k == 0)
                        break;
                len += (size_t) k;
                if (len > max_size)
                        return nvct_error_setx(err, EFBIG, "%s: file too large (limit %zu bytes)", what, max_size);
        }
        data[len] = '\0';
        *ret = TAKE_PTR(data);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_file_at(int dirfd, const char *path, size_t max_size, char **ret, size_t *ret_len, NvctError *err) {
        _cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0)
                return nvct_error_set(err, errno, "open %s", path);
        return read_fd(fd, path, max_size, ret, ret_len, err);
}

static int write_file_replace(const char *path, const char *data, size_t len, mode_t mode, bool durable,
                              NvctError *err) {
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s.nvct-XXXXXX", path) < 0)
                return nvct_error_set(err, ENOMEM, "write %s", path);
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return nvct_error_set(err, errno, "create temporary file for %s", path);
        int r = 0;
        for (size_t off = 0; off < len;) {
                ssize_t k = write(fd, data + off, len - off);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = nvct_error_set(err, errno, "write %s", tmp);
                        goto fail;
                }
                off += (size_t) k;
        }
        if (fchmod(fd, mode) < 0 || (durable && fsync(fd) < 0)) {
                r = nvct_error_set(err, errno, "write %s", tmp);
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = nvct_error_set(err, errno, "rename %s to %s", tmp, path);
                goto fail;
        }
        return 0;
fail:
        (void) unlink(tmp);
        return r;
}

int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, NvctError *err) {
        return write_file_replace(path, data, len, mode, true, err);
}

int write_file_atomic_volatile(const char *path, const char *data, size_t len, mode_t mode, NvctError *err) {
        return write_file_replace(path, data, len, mode, false, err);
}
