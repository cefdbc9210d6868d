/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/*
 * User and group lookups in /etc/passwd and /etc/group, read directly. A static binary must not use glibc's NSS,
 * which would dlopen the host's (possibly newer) libnss modules into it. Names only resolve from local files, as
 * for a system tool running before any directory service.
 */
int passwd_by_name(const char *name, uid_t *ret_uid, gid_t *ret_gid);
int passwd_by_uid(uid_t uid, gid_t *ret_gid);
int group_by_name(const char *name, gid_t *ret_gid);
/* The same on explicit files, for tests. */
int passwd_file_lookup(const char *path, const char *name, long want_id, unsigned long *ret_id, unsigned long *ret_gid);
