/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "passwd.h"

#define PASSWD_MAX (16U * 1024U * 1024U)

/* Split a colon-separated line in place; returns the number of fields (at most max). */
static size_t split_fields(char *line, char **fields, size_t max) {
        size_t n = 0;
        for (char *p = line; n < max;) {
                fields[n++] = p;
                p = strchr(p, ':');
                if (!p)
                        break;
                *p++ = '\0';
        }
        return n;
}

static bool parse_id(const char *s, unsigned long *ret) {
        char *end = NULL;
        if (!*s || *s == '-')
                return false;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > 0xfffffffeUL)
                return false;
        *ret = v;
        return true;
}

/* passwd: name:x:uid:gid:…; group: name:x:gid:…. Looks up by name, or by id when name is NULL. */
int passwd_file_lookup(const char *path, const char *name, long want_id, unsigned long *ret_id, unsigned long *ret_gid) {
        _cleanup_free_ char *text = NULL;
        NvctError ignored = NVCT_ERROR_INIT;
        int r = read_file_at(AT_FDCWD, path, PASSWD_MAX, &text, NULL, &ignored);
        if (r < 0)
                return r;
        for (char *line = text; line && *line;) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *f[4] = { 0 };
                unsigned long id = 0, gid = 0;
                size_t n = split_fields(line, f, 4);
                if (n >= 3 && parse_id(f[2], &id) && (n < 4 || parse_id(f[3], &gid) || !ret_gid) &&
                    (name ? streq(f[0], name) : (long) id == want_id)) {
                        *ret_id = id;
                        if (ret_gid)
                                *ret_gid = gid;
                        return 0;
                }
                line = next;
        }
        return -ENOENT;
}

int passwd_by_name(const char *name, uid_t *ret_uid, gid_t *ret_gid) {
        unsigned long uid, gid;
        int r = passwd_file_lookup("/etc/passwd", name, -1, &uid, &gid);
        if (r < 0)
                return r;
        *ret_uid = (uid_t) uid;
        *ret_gid = (gid_t) gid;
        return 0;
}

int passwd_by_uid(uid_t uid, gid_t *ret_gid) {
        unsigned long id, gid;
        int r = passwd_file_lookup("/etc/passwd", NULL, (long) uid, &id, &gid);
        if (r < 0)
                return r;
        *ret_gid = (gid_t) gid;
        return 0;
}

int group_by_name(const char *name, gid_t *ret_gid) {
        unsigned long gid;
        int r = passwd_file_lookup("/etc/group", name, -1, &gid, NULL);
        if (r < 0)
                return r;
        *ret_gid = (gid_t) gid;
        return 0;
}
