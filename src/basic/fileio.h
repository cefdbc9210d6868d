/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

/*
 * Read a whole regular file relative to dirfd (AT_FDCWD for host paths), at most max_size bytes.
 * The file is opened O_NONBLOCK|O_NOCTTY so a FIFO or device planted in its place cannot block us, and anything
 * that is not a regular file (or a procfs file, which reports size 0) is refused. The result is NUL-terminated.
 */
int read_file_at(int dirfd, const char *path, size_t max_size, char **ret, size_t *ret_len, NvctError *err);
/* Same, on an already-open fd. */
int read_fd(int fd, const char *what, size_t max_size, char **ret, size_t *ret_len, NvctError *err);
/* Write data to dir/name atomically: a temp file in the same dir, fsync, rename. */
int write_file_atomic(const char *path, const char *data, size_t len, mode_t mode, NvctError *err);
/*
 * The same without the fsync: readers never see a partial file, but a crash may lose the new content. For files
 * whose life ends with a crash anyway, such as a bundle's config.json on the way to `runc create` (an fsync
 * there costs milliseconds on every container start).
 */
int write_file_atomic_volatile(const char *path, const char *data, size_t len, mode_t mode, NvctError *err);
