/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf-dev.h"
#include "cgroup.h"
#include "fileio.h"
#include "strv.h"

#define CGROUP_FILE_MAX (64u * 1024u)
#define MOUNTINFO_MAX (16u * 1024u * 1024u)

enum { IDX_V1, IDX_V2, IDX_N };

struct NvctCgroup {
        int fd[IDX_N];     /* O_RDONLY|O_DIRECTORY of the cgroup directory, or -EBADF */
        char *path[IDX_N]; /* its host path, for messages */
};

NvctCgroup *nvct_cgroup_free(NvctCgroup *cg) {
        if (!cg)
                return NULL;
        for (int i = 0; i < IDX_N; i++) {
                closep(&cg->fd[i]);
                free(cg->path[i]);
        }
        free(cg);
        return NULL;
}

unsigned nvct_cgroup_versions(const NvctCgroup *cg) {
        return (cg->fd[IDX_V1] >= 0 ? NVCT_CGROUP_V1 : 0) | (cg->fd[IDX_V2] >= 0 ? NVCT_CGROUP_V2 : 0);
}

const char *nvct_cgroup_path(const NvctCgroup *cg, NvctCgroupVersion v) {
        int i = v == NVCT_CGROUP_V1 ? IDX_V1 : IDX_V2;
        return cg->fd[i] >= 0 ? cg->path[i] : NULL;
}

static bool list_contains(const char *list, const char *word, char sep) {
        size_t n = strlen(word);

        for (const char *p = list; p;) {
                const char *end = strchr(p, sep);
                size_t len = end ? (size_t) (end - p) : strlen(p);
                if (len == n && strneq(p, word, n))
                        return true;
                p = end ? end + 1 : NULL;
        }
        return false;
}

/* From /proc/PID/cgroup text: the v1 devices path and the v2 path (each NULL when absent). */
static void parse_proc_cgroup(char *text, char **ret_v1, char **ret_v2) {
        *ret_v1 = *ret_v2 = NULL;
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *c1 = strchr(line, ':');
                char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
                if (!c2 || c2[1] != '/')
                        continue;
                *c1 = *c2 = '\0';
                if (streq(line, "0") && c1[1] == '\0')
                        *ret_v2 = c2 + 1;
                else if (list_contains(c1 + 1, "devices", ','))
                        *ret_v1 = c2 + 1;
        }
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s) {
        char *w = s;

        for (char *r = s; *r;) {
                if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
                    r[3] <= '7') {
                        *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
                        r += 4;
                } else
                        *w++ = *r++;
        }
        *w = '\0';
}

/* Length of root as a path prefix of path ("/" matches everything), or -1. */
static ssize_t root_prefix(const char *root, const char *path) {
        size_t n = strlen(root);

        if (streq(root, "/"))
                return 0;
        if (!strneq(root, path, n) || (path[n] != '/' && path[n] != '\0'))
                return -1;
        return (ssize_t) n;
}

typedef struct MountMatch {
        char *mountpoint;
        ssize_t root_len;
} MountMatch;

/*
 * Consider one mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS".
 * The mount root is shown relative to our cgroup namespace, like the paths in /proc/PID/cgroup, so a cgroup is
 * reachable through a mount whose root is a prefix of its path. The longest such root wins.
 */
static int match_mount_line(char *line, bool v2, const char *cg_path, MountMatch *best) {
        char *fields[5], *save = NULL, *tok = strtok_r(line, " ", &save);
        size_t n = 0;

        while (tok && n < ELEMENTSOF(fields)) {
                fields[n++] = tok;
                tok = strtok_r(NULL, " ", &save);
        }
        while (tok && !streq(tok, "-"))
                tok = strtok_r(NULL, " ", &save);
        char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
        char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
        char *superopts = source ? strtok_r(NULL, " ", &save) : NULL;
        if (n < ELEMENTSOF(fields) || !superopts)
                return 0;
        if (v2 ? !streq(fstype, "cgroup2") : !(streq(fstype, "cgroup") && list_contains(superopts, "devices", ',')))
                return 0;

        unescape_octal(fields[3]);
        unescape_octal(fields[4]);
        ssize_t len = root_prefix(fields[3], cg_path);
        if (len < 0 || (best->mountpoint && len <= best->root_len))
                return 0;
        char *mp = strdup(fields[4]);
        if (!mp)
                return -ENOMEM;
        free(best->mountpoint);
        best->mountpoint = mp;
        best->root_len = len;
        return 0;
}

static int find_mount(const char *mountinfo, bool v2, const char *cg_path, char **ret_mountpoint,
                      const char **ret_rel) {
        _cleanup_free_ char *copy = strdup(mountinfo);
        MountMatch best = { NULL, -1 };

        if (!copy)
                return -ENOMEM;
        for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                int r = match_mount_line(line, v2, cg_path, &best);
                if (r < 0) {
                        free(best.mountpoint);
                        return r;
                }
        }
        if (!best.mountpoint)
                return -ENOENT;
        *ret_mountpoint = best.mountpoint;
        *ret_rel = cg_path + best.root_len;
        return 0;
}

/* The same as openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV), one component at a time. */
static int open_beneath_walk(int mnt_fd, const char *rel) {
        struct stat mst;
        _cleanup_strv_free_ char **parts = NULL;

        if (fstat(mnt_fd, &mst) < 0)
                return -errno;
        int r = strv_split(rel, "/", true, &parts);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = openat(mnt_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (char **p = parts; p && *p; p++) {
                if (streq(*p, "..") || streq(*p, "."))
                        return -EXDEV;
                int next = openat(fd, *p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (next < 0)
                        return -errno;
                closep(&fd);
                fd = next;
                struct stat st;
                if (fstat(fd, &st) < 0)
                        return -errno;
                if (st.st_dev != mst.st_dev)
                        return -EXDEV;
        }
        return TAKE_FD(fd);
}

static int open_beneath(int mnt_fd, const char *rel) {
        struct open_how how = {
                .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        while (*rel == '/')
                rel++;
        long fd = syscall(SYS_openat2, mnt_fd, *rel ? rel : ".", &how, sizeof(how));
        if (fd >= 0)
                return (int) fd;
        if (errno != ENOSYS && errno != EPERM && errno != E2BIG)
                return -errno;
        return open_beneath_walk(mnt_fd, rel);
}

static int check_magic(int fd, bool v2, const char *what, NvctError *err) {
        struct statfs sfs;

        if (fstatfs(fd, &sfs) < 0)
                return nvct_error_set(err, errno, "statfs %s", what);
        unsigned long want = v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC;
        if ((unsigned long) sfs.f_type != want)
                return nvct_error_setx(err, EXDEV, "%s is not a cgroup%s file system (magic 0x%lx)", what,
                                       v2 ? "2" : "", (unsigned long) sfs.f_type);
        return 0;
}

static int open_one(NvctCgroup *cg, int idx, const char *mountinfo, const char *cg_path, NvctError *err) {
        bool v2 = idx == IDX_V2;
        _cleanup_free_ char *mountpoint = NULL, *path = NULL;
        const char *rel;

        int r = find_mount(mountinfo, v2, cg_path, &mountpoint, &rel);
        if (r == -ENOENT)
                return 0; /* the hierarchy is not mounted here: nothing to update through it */
        if (r < 0)
                return nvct_error_set(err, r, "parse /proc/self/mountinfo");
        while (*rel == '/')
                rel++;
        if (asprintf(&path, "%s%s%s", mountpoint, *rel ? "/" : "", rel) < 0)
                return nvct_error_set(err, ENOMEM, "cgroup path");

        _cleanup_close_ int mnt_fd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (mnt_fd < 0)
                return nvct_error_set(err, errno, "open cgroup mount %s", mountpoint);
        r = check_magic(mnt_fd, v2, mountpoint, err);
        if (r < 0)
                return r;
        int fd = open_beneath(mnt_fd, rel);
        if (fd == -ENOENT)
                return nvct_error_setx(err, ENOENT, "cgroup directory %s does not exist (container gone?)", path);
        if (fd < 0)
                return nvct_error_set(err, fd, "open cgroup directory %s", path);
        cg->fd[idx] = fd;
        r = check_magic(fd, v2, path, err);
        if (r < 0)
                return r;
        cg->path[idx] = TAKE_PTR(path);
        return 0;
}

int nvct_cgroup_open(int proc_pid_fd, NvctCgroup **ret, NvctError *err) {
        _cleanup_free_ char *text = NULL, *mountinfo = NULL;
        char *v1, *v2;
        int r;

        r = read_file_at(proc_pid_fd, "cgroup", CGROUP_FILE_MAX, &text, NULL, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "cgroup of the container process");
        parse_proc_cgroup(text, &v1, &v2);
        r = read_file_at(AT_FDCWD, "/proc/self/mountinfo", MOUNTINFO_MAX, &mountinfo, NULL, err);
        if (r < 0)
                return r;

        _cleanup_cgroup_ NvctCgroup *cg = calloc(1, sizeof(NvctCgroup));
        if (!cg)
                return nvct_error_set(err, ENOMEM, "cgroup");
        cg->fd[IDX_V1] = cg->fd[IDX_V2] = -EBADF;
        if (v1) {
                r = open_one(cg, IDX_V1, mountinfo, v1, err);
                if (r < 0)
                        return r;
        }
        if (v2) {
                r = open_one(cg, IDX_V2, mountinfo, v2, err);
                if (r < 0)
                        return r;
        }
        if (nvct_cgroup_versions(cg) == 0)
                return nvct_error_setx(err, ENODEV,
                                       "no devices cgroup: neither a v1 devices controller nor a cgroup2 mount holds "
                                       "the container process");
        *ret = TAKE_PTR(cg);
        return 0;
}

int nvct_cgroup_open_pid(pid_t pid, NvctCgroup **ret, NvctError *err) {
        char p[64];

        snprintf(p, sizeof(p), "/proc/%d", (int) pid);
        _cleanup_close_ int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return nvct_error_set(err, errno, "open %s", p);
        return nvct_cgroup_open(fd, ret, err);
}

static int parse_number(const char *s, size_t len, unsigned *ret) {
        if (len == 1 && s[0] == '*') {
                *ret = NVCT_CGROUP_ANY;
                return 0;
        }
        if (len == 0 || len > 10)
                return -EINVAL;
        unsigned long v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long) (s[i] - '0');
        }
        if (v > INT32_MAX)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}

static bool access_valid(const char *a) {
        if (!a[0] || strlen(a) > 3)
                return false;
        for (const char *p = a; *p; p++)
                if (!strchr("rwm", *p) || strchr(p + 1, *p))
                        return false;
        return true;
}

int nvct_cgroup_rule_parse(const char *s, NvctCgroupRule *ret, NvctError *err) {
        NvctCgroupRule r = { .major = NVCT_CGROUP_ANY, .minor = NVCT_CGROUP_ANY, .access = "rwm" };

        if (streq(s, "a")) {
                r.type = 'a';
                *ret = r;
                return 0;
        }
        if (!strchr("abc", s[0]) || s[0] == '\0' || s[1] != ' ')
                goto invalid;
        r.type = s[0];
        const char *colon = strchr(s + 2, ':'), *space = colon ? strchr(colon, ' ') : NULL;
        if (!space || parse_number(s + 2, (size_t) (colon - s - 2), &r.major) < 0 ||
            parse_number(colon + 1, (size_t) (space - colon - 1), &r.minor) < 0 || !access_valid(space + 1))
                goto invalid;
        memcpy(r.access, space + 1, strlen(space + 1) + 1);
        *ret = r;
        return 0;
invalid:
        return nvct_error_setx(err, EINVAL, "invalid device rule \"%s\" (want \"c MAJOR:MINOR ACCESS\")", s);
}

int nvct_cgroup_rule_format(const NvctCgroupRule *rule, char *buf, size_t size) {
        char maj[16] = "*", min[16] = "*";

        if (!strchr("abc", rule->type) || rule->type == '\0' || !access_valid(rule->access) ||
            (rule->major != NVCT_CGROUP_ANY && rule->major > INT32_MAX) ||
            (rule->minor != NVCT_CGROUP_ANY && rule->minor > INT32_MAX))
                return -EINVAL;
        if (rule->type == 'a')
                return snprintf(buf, size, "a") < (int) size ? 0 : -ENOBUFS;
        if (rule->major != NVCT_CGROUP_ANY)
                snprintf(maj, sizeof(maj), "%u", rule->major);
        if (rule->minor != NVCT_CGROUP_ANY)
                snprintf(min, sizeof(min), "%u", rule->minor);
        int n = snprintf(buf, size, "%c %s:%s %s", rule->type, maj, min, rule->access);
        return n >= 0 && (size_t) n < size ? 0 : -ENOBUFS;
}

static int allow_v1(NvctCgroup *cg, const NvctCgroupRule *rules, size_t n, NvctError *err) {
        const char *path = cg->path[IDX_V1];
        _cleanup_close_ int fd = openat(cg->fd[IDX_V1], "devices.allow", O_WRONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

        if (fd < 0 && (errno == ENOENT || errno == ENODEV))
                return nvct_error_setx(err, ENOENT, "cgroup %s was removed (container gone?)", path);
        if (fd < 0)
                return nvct_error_set(err, errno, "open %s/devices.allow", path);
        for (size_t i = 0; i < n; i++) {
                char line[64];
                (void) nvct_cgroup_rule_format(&rules[i], line, sizeof(line));
                /* One rule per write(): the kernel parses each write as a single rule. */
                ssize_t k = write(fd, line, strlen(line));
                if (k < 0 && errno == ENODEV)
                        return nvct_error_setx(err, ENOENT, "cgroup %s was removed (container gone?)", path);
                if (k < 0)
                        return nvct_error_set(err, errno, "write \"%s\" to %s/devices.allow", line, path);
        }
        return (int) n;
}

int nvct_cgroup_allow_devices(NvctCgroup *cg, const NvctCgroupRule *rules, size_t n, NvctError *err) {
        int total = 0, r;

        for (size_t i = 0; i < n; i++) {
                char line[64];
                if (nvct_cgroup_rule_format(&rules[i], line, sizeof(line)) < 0)
                        return nvct_error_setx(err, EINVAL, "device rule %zu: invalid type '%c' or access \"%.4s\"", i,
                                               rules[i].type ? rules[i].type : '?', rules[i].access);
        }
        if (n == 0)
                return 0;
        if (cg->fd[IDX_V1] >= 0) {
                r = allow_v1(cg, rules, n, err);
                if (r < 0)
                        return r;
                total += r;
        }
        if (cg->fd[IDX_V2] >= 0) {
                r = bpf_dev_allow(cg->fd[IDX_V2], cg->path[IDX_V2], rules, n, err);
                if (r < 0)
                        return r;
                total += r;
        }
        return total;
}
