/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "discover-procfs.h"
#include "fileio.h"

#define PROC_CAPS_PREFIX "/proc/driver/nvidia/capabilities/"

/* One line of text: [*p, *p+len), advancing past the newline. Returns false at the end. */
static bool next_line(const char **cursor, const char **ret_line, size_t *ret_len) {
        const char *p = *cursor;
        if (!p || !*p)
                return false;
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t) (nl - p) : strlen(p);
        *ret_line = p;
        *ret_len = len;
        *cursor = nl ? nl + 1 : p + len;
        return true;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r';
}

/* Trim blanks on both sides of [*s, *s+*len). */
static void trim(const char **s, size_t *len) {
        while (*len > 0 && is_blank(**s)) {
                (*s)++;
                (*len)--;
        }
        while (*len > 0 && is_blank((*s)[*len - 1]))
                (*len)--;
}

int nvct_parse_decimal(const char *s, size_t len, unsigned long limit, unsigned long *ret) {
        unsigned long v = 0;

        if (len == 0 || len > 10)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long) (s[i] - '0');
        }
        if (v >= limit)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* Up to max hex digits at *p; advances *p. */
static int parse_hex(const char **p, size_t max, unsigned long *ret) {
        unsigned long v = 0;
        size_t n = 0;

        while (n < max && isxdigit((unsigned char) (*p)[n])) {
                char c = (char) tolower((unsigned char) (*p)[n]);
                v = v * 16 + (unsigned long) (c <= '9' ? c - '0' : c - 'a' + 10);
                n++;
        }
        if (n == 0 || isxdigit((unsigned char) (*p)[n]))
                return -EINVAL;
        *p += n;
        *ret = v;
        return 0;
}

int nvct_busid_normalize(const char *s, char *ret, size_t size) {
        unsigned long domain, bus, slot, fn;
        const char *p = s;

        if (!s || parse_hex(&p, 8, &domain) < 0 || *p++ != ':' || parse_hex(&p, 2, &bus) < 0 || *p++ != ':' ||
            parse_hex(&p, 2, &slot) < 0 || *p++ != '.' || *p < '0' || *p > '7' || p[1] != '\0')
                return -EINVAL;
        fn = (unsigned long) (*p - '0');
        if (slot > 0x1f)
                return -EINVAL;
        int n = snprintf(ret, size, "%08lx:%02lx:%02lx.%lx", domain, bus, slot, fn);
        return n < 0 || (size_t) n >= size ? -ENOBUFS : 0;
}

static bool is_version_token(const char *s, size_t len) {
        size_t dots = 0, run = 0;

        if (len == 0 || len >= 64)
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '.') {
                        if (run == 0)
                                return false;
                        dots++;
                        run = 0;
                } else if (s[i] >= '0' && s[i] <= '9') {
                        if (++run > 8)
                                return false;
                } else
                        return false;
        }
        return run > 0 && dots >= 1 && dots <= 3;
}

int nvct_procfs_parse_version(const char *text, char *ret, size_t size, NvctError *err) {
        static const char prefix[] = "NVRM version:";
        const char *cur = text, *line;
        size_t len;

        if (!next_line(&cur, &line, &len) || len < sizeof(prefix) - 1 || !strneq(line, prefix, sizeof(prefix) - 1))
                return nvct_error_setx(err, EBADMSG, "unknown format: no \"NVRM version:\" line");
        for (size_t i = sizeof(prefix) - 1; i < len;) {
                while (i < len && is_blank(line[i]))
                        i++;
                size_t start = i;
                while (i < len && !is_blank(line[i]))
                        i++;
                if (is_version_token(line + start, i - start)) {
                        if (i - start >= size)
                                return nvct_error_setx(err, ENOBUFS, "version string too long");
                        memcpy(ret, line + start, i - start);
                        ret[i - start] = '\0';
                        return 0;
                }
        }
        return nvct_error_setx(err, EBADMSG, "unknown format: no version number in the \"NVRM version:\" line");
}

/* Copy a value of printable ASCII only. */
static int copy_printable(const char *v, size_t len, char *dst, size_t size) {
        if (len == 0 || len >= size)
                return -EINVAL;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) v[i] < 0x20 || (unsigned char) v[i] > 0x7e)
                        return -EINVAL;
        memcpy(dst, v, len);
        dst[len] = '\0';
        return 0;
}

static bool valid_uuid(const char *v, size_t len, const char *prefix) {
        size_t pl = strlen(prefix);
        if (len <= pl || len >= 96 || strncasecmp(v, prefix, pl) != 0)
                return false;
        for (size_t i = pl; i < len; i++)
                if (!isxdigit((unsigned char) v[i]) && v[i] != '-')
                        return false;
        return true;
}

/* Split "Key: value" and trim both; false when there is no colon. */
static bool split_key(const char *line, size_t len, const char **key, size_t *klen, const char **val,
                      size_t *vlen) {
        const char *colon = memchr(line, ':', len);
        if (!colon)
                return false;
        *key = line;
        *klen = (size_t) (colon - line);
        *val = colon + 1;
        *vlen = len - *klen - 1;
        trim(key, klen);
        trim(val, vlen);
        return true;
}

static bool key_is(const char *key, size_t klen, const char *name) {
        return klen == strlen(name) && strneq(key, name, klen);
}

int nvct_procfs_parse_gpu_information(const char *text, NvctProcGpuInfo *ret, NvctError *err) {
        NvctProcGpuInfo info = { .minor = 0 };
        bool have_model = false, have_uuid = false, have_minor = false, have_bus = false;
        const char *cur = text, *line, *key, *val;
        size_t len, klen, vlen;

        while (next_line(&cur, &line, &len)) {
                if (!split_key(line, len, &key, &klen, &val, &vlen))
                        continue;
                if (key_is(key, klen, "Model") && !have_model) {
                        if (copy_printable(val, vlen, info.model, sizeof(info.model)) < 0)
                                return nvct_error_setx(err, EBADMSG, "invalid Model");
                        have_model = true;
                } else if (key_is(key, klen, "GPU UUID") && !have_uuid) {
                        if (!valid_uuid(val, vlen, "GPU-"))
                                return nvct_error_setx(err, EBADMSG, "invalid GPU UUID");
                        memcpy(info.uuid, val, vlen);
                        info.uuid[vlen] = '\0';
                        /* the prefix is matched case-insensitively; stored as NVML and nvidia-smi spell it */
                        memcpy(info.uuid, "GPU-", 4);
                        have_uuid = true;
                } else if (key_is(key, klen, "Bus Location") && !have_bus) {
                        char tmp[32];
                        if (vlen >= sizeof(tmp))
                                return nvct_error_setx(err, EBADMSG, "invalid Bus Location");
                        memcpy(tmp, val, vlen);
                        tmp[vlen] = '\0';
                        if (nvct_busid_normalize(tmp, info.busid, sizeof(info.busid)) < 0)
                                return nvct_error_setx(err, EBADMSG, "invalid Bus Location");
                        have_bus = true;
                } else if (key_is(key, klen, "Device Minor") && !have_minor) {
                        unsigned long m;
                        /* 254 and 255 are nvidia-modeset and nvidiactl. */
                        if (nvct_parse_decimal(val, vlen, 254, &m) < 0)
                                return nvct_error_setx(err, EBADMSG, "invalid Device Minor");
                        info.minor = (unsigned) m;
                        have_minor = true;
                }
        }
        if (!have_model || !have_uuid || !have_minor)
                return nvct_error_setx(err, EBADMSG, "missing %s", !have_model ? "Model" : !have_uuid ? "GPU UUID" :
                                                                                                     "Device Minor");
        *ret = info;
        return 0;
}

static void set_major(NvctProcMajors *m, const char *name, size_t len, unsigned major) {
        static const struct {
                const char *name;
                size_t offset;
        } table[] = {
                { "nvidia-frontend", offsetof(NvctProcMajors, nvidia) },
                { "nvidia", offsetof(NvctProcMajors, nvidia) },
                { "nvidia-uvm", offsetof(NvctProcMajors, uvm) },
                { "nvidia-caps", offsetof(NvctProcMajors, caps) },
                { "nvidia-caps-imex-channels", offsetof(NvctProcMajors, imex) },
                { "drm", offsetof(NvctProcMajors, drm) },
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++) {
                if (!key_is(name, len, table[i].name))
                        continue;
                unsigned slot;
                memcpy(&slot, (char *) m + table[i].offset, sizeof(slot));
                if (slot == 0) /* the first registration wins */
                        memcpy((char *) m + table[i].offset, &major, sizeof(major));
                return;
        }
}

int nvct_procfs_parse_devices(const char *text, NvctProcMajors *ret, NvctError *err) {
        NvctProcMajors m = { 0 };
        bool in_char = false, seen_header = false;
        const char *cur = text, *line;
        size_t len;

        while (next_line(&cur, &line, &len)) {
                trim(&line, &len);
                if (len == 0)
                        continue;
                if (line[len - 1] == ':') {
                        in_char = key_is(line, len, "Character devices:");
                        seen_header = true;
                        continue;
                }
                if (!in_char)
                        continue;
                size_t i = 0;
                while (i < len && line[i] >= '0' && line[i] <= '9')
                        i++;
                unsigned long major;
                if (i == len || !is_blank(line[i]) || nvct_parse_decimal(line, i, 4096, &major) < 0 || major == 0)
                        return nvct_error_setx(err, EBADMSG, "malformed line \"%.*s\"", (int) MIN(len, 64),
                                               line);
                const char *name = line + i;
                size_t nlen = len - i;
                trim(&name, &nlen);
                set_major(&m, name, nlen, (unsigned) major);
        }
        if (!seen_header)
                return nvct_error_setx(err, EBADMSG, "no \"Character devices:\" section");
        *ret = m;
        return 0;
}

/* "gpu%u/gi%u/access", "gpu%u/gi%u/ci%u/access", "config", "monitor". Returns 1 when recognised. */
static int parse_mig_minor_name(const char *s, size_t len, NvctMigMinor *e) {
        int ids[3] = { -1, -1, -1 };
        static const char *const prefixes[] = { "gpu", "gi", "ci" };
        size_t i = 0;

        if (key_is(s, len, "config") || key_is(s, len, "monitor")) {
                *e = (NvctMigMinor) { .gpu = -1, .gi = -1, .ci = -1 };
                memcpy(e->name, s, len);
                e->name[len] = '\0';
                return 1;
        }
        for (size_t level = 0; level < 3; level++) {
                size_t pl = strlen(prefixes[level]);
                if (len - i > pl && strneq(s + i, prefixes[level], pl)) {
                        size_t j = i + pl, k = j;
                        while (k < len && s[k] >= '0' && s[k] <= '9')
                                k++;
                        unsigned long v;
                        if (k == len || s[k] != '/')
                                return 0;
                        if (nvct_parse_decimal(s + j, k - j, 4096, &v) < 0)
                                return -EBADMSG;
                        ids[level] = (int) v;
                        i = k + 1;
                } else
                        break;
        }
        if (ids[0] < 0 || ids[1] < 0 || !key_is(s + i, len - i, "access"))
                return 0;
        *e = (NvctMigMinor) { .gpu = ids[0], .gi = ids[1], .ci = ids[2] };
        strcpy(e->name, "access");
        return 1;
}

int nvct_procfs_parse_mig_minors(const char *text, NvctMigMinor **ret, size_t *ret_n, NvctError *err) {
        _cleanup_free_ NvctMigMinor *list = NULL;
        size_t n = 0, cap = 0;
        const char *cur = text, *line;
        size_t len;

        while (next_line(&cur, &line, &len)) {
                trim(&line, &len);
                if (len == 0)
                        continue;
                const char *sp = line;
                while (sp < line + len && !is_blank(*sp))
                        sp++;
                size_t nlen = (size_t) (sp - line);
                const char *num = sp;
                size_t numlen = len - nlen;
                trim(&num, &numlen);
                NvctMigMinor e;
                int r = parse_mig_minor_name(line, nlen, &e);
                if (r < 0)
                        return nvct_error_setx(err, EBADMSG, "malformed entry \"%.*s\"", (int) MIN(nlen, 64), line);
                if (r == 0)
                        continue;
                unsigned long minor;
                if (nvct_parse_decimal(num, numlen, NVCT_MINOR_LIMIT, &minor) < 0)
                        return nvct_error_setx(err, EBADMSG, "malformed minor in \"%.*s\"", (int) MIN(len, 64),
                                               line);
                e.minor = (unsigned) minor;
                if (n == cap) {
                        if (cap >= NVCT_PROC_MAX_MIG_MINORS)
                                return nvct_error_setx(err, E2BIG, "more than %u entries", NVCT_PROC_MAX_MIG_MINORS);
                        size_t ncap = cap ? cap * 2 : 64;
                        NvctMigMinor *nl = realloc(list, ncap * sizeof(*nl));
                        if (!nl)
                                return nvct_error_set(err, ENOMEM, "parse");
                        list = nl;
                        cap = ncap;
                }
                list[n++] = e;
        }
        *ret = TAKE_PTR(list);
        *ret_n = n;
        return 0;
}

int nvct_procfs_parse_cap_file(const char *text, unsigned *ret_minor, mode_t *ret_mode, NvctError *err) {
        const char *cur = text, *line, *key, *val;
        size_t len, klen, vlen;
        unsigned long minor = 0, mode = 0444;
        bool have_minor = false, have_mode = false;

        while (next_line(&cur, &line, &len)) {
                if (!split_key(line, len, &key, &klen, &val, &vlen))
                        continue;
                if (key_is(key, klen, "DeviceFileMinor") && !have_minor) {
                        if (nvct_parse_decimal(val, vlen, NVCT_MINOR_LIMIT, &minor) < 0)
                                return nvct_error_setx(err, EBADMSG, "invalid DeviceFileMinor");
                        have_minor = true;
                } else if (key_is(key, klen, "DeviceFileMode") && !have_mode) {
                        if (nvct_parse_decimal(val, vlen, 07777 + 1, &mode) < 0)
                                return nvct_error_setx(err, EBADMSG, "invalid DeviceFileMode");
                        have_mode = true;
                }
        }
        if (!have_minor)
                return nvct_error_setx(err, EBADMSG, "no DeviceFileMinor");
        *ret_minor = (unsigned) minor;
        if (ret_mode)
                *ret_mode = (mode_t) mode;
        return 0;
}

int nvct_procfs_param(const char *text, const char *key, unsigned long *ret) {
        const char *cur = text, *line, *k, *val;
        size_t len, klen, vlen;

        if (!text)
                return -ENOENT;
        while (next_line(&cur, &line, &len)) {
                if (!split_key(line, len, &k, &klen, &val, &vlen) || !key_is(k, klen, key))
                        continue;
                return nvct_parse_decimal(val, vlen, 0xffffffffUL + 1, ret) < 0 ? -EBADMSG : 0;
        }
        return -ENOENT;
}

static char *root_join(const char *root, const char *rel) {
        char *s = NULL;
        size_t rl = strlen(root);
        while (rl > 1 && root[rl - 1] == '/')
                rl--;
        while (*rel == '/')
                rel++;
        if (asprintf(&s, "%.*s%s%s", (int) rl, root, rl == 1 && root[0] == '/' ? "" : "/", rel) < 0)
                return NULL;
        return s;
}

int nvct_procfs_read(const char *proc_root, const char *rel, size_t max, char **ret, NvctError *err) {
        _cleanup_free_ char *path = root_join(proc_root, rel);
        if (!path)
                return nvct_error_set(err, ENOMEM, "read %s", rel);
        return read_file_at(AT_FDCWD, path, max, ret, NULL, err);
}

int nvct_procfs_read_version(const char *proc_root, NvctDriver *drv, NvctError *err) {
        _cleanup_free_ char *path = root_join(proc_root, "driver/nvidia/version");
        _cleanup_free_ char *text = NULL;
        struct stat st;
        int r;

        if (!path)
                return nvct_error_set(err, ENOMEM, "read driver version");
        /* The directory missing means the kernel module is not loaded: say so rather than "open failed". */
        _cleanup_free_ char *dir = root_join(proc_root, "driver/nvidia");
        if (!dir)
                return nvct_error_set(err, ENOMEM, "read driver version");
        if (stat(dir, &st) < 0)
                return nvct_error_set(err, errno, "NVIDIA driver not loaded: %s", dir);
        r = read_file_at(AT_FDCWD, path, NVCT_PROC_SMALL_MAX, &text, NULL, err);
        if (r < 0)
                return r;
        r = nvct_procfs_parse_version(text, drv->version, sizeof(drv->version), err);
        if (r < 0)
                return nvct_error_prefix(err, r, "%s", path);
        free(drv->proc_version);
        drv->proc_version = TAKE_PTR(text);
        return 0;
}

static int gpu_compare(const void *a, const void *b) {
        return strcmp(((const NvctGpu *) a)->busid, ((const NvctGpu *) b)->busid);
}

static int read_one_gpu(const char *proc_root, const char *name, NvctGpu *g, NvctError *err) {
        _cleanup_free_ char *rel = NULL, *text = NULL;
        NvctProcGpuInfo info;
        char busid[32];
        int r;

        if (nvct_busid_normalize(name, busid, sizeof(busid)) < 0)
                return 0; /* not a PCI address: not a GPU directory */
        if (asprintf(&rel, "driver/nvidia/gpus/%s/information", name) < 0)
                return nvct_error_set(err, ENOMEM, "read GPU %s", name);
        r = nvct_procfs_read(proc_root, rel, NVCT_PROC_SMALL_MAX, &text, err);
        if (r < 0)
                return r;
        r = nvct_procfs_parse_gpu_information(text, &info, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "%s/%s", proc_root, rel);
        if (info.busid[0] && !streq(info.busid, busid))
                return nvct_error_setx(err, EBADMSG, "%s/%s: Bus Location %s does not match the directory name",
                                       proc_root, rel, info.busid);
        *g = (NvctGpu) { .minor = info.minor };
        snprintf(g->uuid, sizeof(g->uuid), "%s", info.uuid);
        snprintf(g->busid, sizeof(g->busid), "%s", busid);
        snprintf(g->model, sizeof(g->model), "%s", info.model);
        if (asprintf(&g->proc_dir, "/proc/driver/nvidia/gpus/%s", name) < 0) {
                g->proc_dir = NULL;
                return nvct_error_set(err, ENOMEM, "read GPU %s", name);
        }
        return 1;
}

static int check_unique(const NvctGpu *gpus, size_t n, NvctError *err) {
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                        if (gpus[i].minor == gpus[j].minor)
                                return nvct_error_setx(err, EBADMSG, "GPUs %s and %s share device minor %u",
                                                       gpus[i].busid, gpus[j].busid, gpus[i].minor);
                        if (strcasecmp(gpus[i].uuid, gpus[j].uuid) == 0 || streq(gpus[i].busid, gpus[j].busid))
                                return nvct_error_setx(err, EBADMSG, "GPUs %s and %s share a UUID or bus id",
                                                       gpus[i].busid, gpus[j].busid);
                }
        return 0;
}

int nvct_procfs_read_gpus(const char *proc_root, NvctDriver *drv, NvctError *err) {
        _cleanup_free_ char *dir = root_join(proc_root, "driver/nvidia/gpus");
        _cleanup_closedir_ DIR *d = NULL;
        NvctGpu *gpus = NULL;
        size_t n = 0;
        struct dirent *de;
        int r = 0;

        if (!dir)
                return nvct_error_set(err, ENOMEM, "list GPUs");
        d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : nvct_error_set(err, errno, "open %s", dir);
        gpus = calloc(NVCT_PROC_MAX_GPUS, sizeof(*gpus));
        if (!gpus)
                return nvct_error_set(err, ENOMEM, "list GPUs");
        while ((errno = 0, de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (n == NVCT_PROC_MAX_GPUS) {
                        r = nvct_error_setx(err, E2BIG, "%s: more than %d GPUs", dir, NVCT_PROC_MAX_GPUS);
                        goto fail;
                }
                r = read_one_gpu(proc_root, de->d_name, &gpus[n], err);
                if (r < 0)
                        goto fail;
                n += (size_t) r;
        }
        if (errno != 0) {
                r = nvct_error_set(err, errno, "read %s", dir);
                goto fail;
        }
        qsort(gpus, n, sizeof(*gpus), gpu_compare);
        r = check_unique(gpus, n, err);
        if (r < 0)
                goto fail;
        for (size_t i = 0; i < n; i++)
                gpus[i].index = (unsigned) i;
        drv->gpus = gpus;
        drv->n_gpus = n;
        return 0;
fail:
        for (size_t i = 0; i <= n && i < NVCT_PROC_MAX_GPUS; i++)
                free(gpus[i].proc_dir);
        free(gpus);
        return r;
}

int nvct_procfs_read_majors(const char *proc_root, NvctDriver *drv, NvctProcMajors *ret, NvctError *err) {
        _cleanup_free_ char *text = NULL;
        NvctProcMajors m;
        int r;

        r = nvct_procfs_read(proc_root, "devices", NVCT_PROC_SMALL_MAX, &text, err);
        if (r < 0)
                return r;
        r = nvct_procfs_parse_devices(text, &m, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "%s/devices", proc_root);
        drv->major_nvidia = m.nvidia;
        drv->major_uvm = m.uvm;
        drv->major_caps = m.caps;
        drv->major_imex = m.imex;
        if (ret)
                *ret = m;
        return 0;
}

int nvct_procfs_read_mig_minors(const char *proc_root, NvctDriver *drv, NvctError *err) {
        _cleanup_free_ char *text = NULL;
        NvctError ierr = NVCT_ERROR_INIT;
        int r;

        r = nvct_procfs_read(proc_root, "driver/nvidia-caps/mig-minors", NVCT_PROC_LARGE_MAX, &text, &ierr);
        if (r == -ENOENT)
                return 0;
        if (r < 0) {
                if (err)
                        *err = ierr;
                return r;
        }
        free(drv->mig_minors);
        drv->mig_minors = NULL;
        drv->n_mig_minors = 0;
        r = nvct_procfs_parse_mig_minors(text, &drv->mig_minors, &drv->n_mig_minors, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "%s/driver/nvidia-caps/mig-minors", proc_root);
        return 0;
}

int nvct_procfs_read_cap_minor(const char *proc_root, const char *cap_path, unsigned *ret_minor, mode_t *ret_mode,
                               NvctError *err) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (!strneq(cap_path, PROC_CAPS_PREFIX, strlen(PROC_CAPS_PREFIX)) || strstr(cap_path, ".."))
                return nvct_error_setx(err, EINVAL, "%s: not a capabilities path", cap_path);
        r = nvct_procfs_read(proc_root, cap_path + strlen("/proc/"), NVCT_PROC_SMALL_MAX, &text, err);
        if (r < 0)
                return r;
        r = nvct_procfs_parse_cap_file(text, ret_minor, ret_mode, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "%s%s", proc_root, cap_path + strlen("/proc"));
        return 0;
}

/* Directory entries "<prefix><N>" as sorted numbers. */
static int list_numbered(const char *dir, const char *prefix, unsigned **ret, size_t *ret_n, NvctError *err) {
        _cleanup_closedir_ DIR *d = opendir(dir);
        _cleanup_free_ unsigned *ids = NULL;
        size_t n = 0, pl = strlen(prefix);
        struct dirent *de;

        *ret = NULL;
        *ret_n = 0;
        if (!d)
                return errno == ENOENT ? 0 : nvct_error_set(err, errno, "open %s", dir);
        while ((de = readdir(d))) {
                unsigned long v;
                if (!strneq(de->d_name, prefix, pl) ||
                    nvct_parse_decimal(de->d_name + pl, strlen(de->d_name + pl), 256, &v) < 0)
                        continue;
                if (n >= 256)
                        break;
                if (!ids && !(ids = calloc(256, sizeof(*ids))))
                        return nvct_error_set(err, ENOMEM, "list %s", dir);
                ids[n++] = (unsigned) v;
        }
        for (size_t i = 1; i < n; i++) /* insertion sort: at most a few dozen entries */
                for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
                        unsigned t = ids[j];
                        ids[j] = ids[j - 1];
                        ids[j - 1] = t;
                }
        *ret = TAKE_PTR(ids);
        *ret_n = n;
        return 0;
}

static int add_proc_mig(const char *proc_root, NvctGpu *gpu, unsigned gi, unsigned ci, size_t *cap) {
        if (gpu->n_migs == *cap) {
                size_t ncap = *cap ? *cap * 2 : 8;
                NvctMigDevice *nm = realloc(gpu->migs, ncap * sizeof(*nm));
                if (!nm)
                        return -ENOMEM;
                gpu->migs = nm;
                *cap = ncap;
        }
        NvctMigDevice *m = &gpu->migs[gpu->n_migs];
        *m = (NvctMigDevice) { .index = (unsigned) gpu->n_migs, .gi = gi, .ci = ci, .gi_cap_minor = -1,
                               .ci_cap_minor = -1 };
        if (asprintf(&m->gi_access, PROC_CAPS_PREFIX "gpu%u/mig/gi%u/access", gpu->minor, gi) < 0) {
                m->gi_access = NULL;
                return -ENOMEM;
        }
        if (asprintf(&m->ci_access, PROC_CAPS_PREFIX "gpu%u/mig/gi%u/ci%u/access", gpu->minor, gi, ci) < 0) {
                free(m->gi_access);
                return -ENOMEM;
        }
        gpu->n_migs++;
        unsigned minor;
        if (nvct_procfs_read_cap_minor(proc_root, m->gi_access, &minor, NULL, NULL) >= 0)
                m->gi_cap_minor = (int) minor;
        if (nvct_procfs_read_cap_minor(proc_root, m->ci_access, &minor, NULL, NULL) >= 0)
                m->ci_cap_minor = (int) minor;
        return 0;
}

int nvct_procfs_read_migs(const char *proc_root, NvctGpu *gpu, NvctError *err) {
        _cleanup_free_ char *rel = NULL, *dir = NULL;
        _cleanup_free_ unsigned *gis = NULL;
        size_t n_gis = 0, cap = gpu->n_migs;
        struct stat st;
        int r;

        if (asprintf(&rel, "driver/nvidia/capabilities/gpu%u/mig", gpu->minor) < 0 || !(dir = root_join(proc_root, rel)))
                return nvct_error_set(err, ENOMEM, "list MIG devices");
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;
        /* The mig directory exists on every MIG-capable GPU, MIG mode on or off (the H100/H200 with MIG off have it);
         * only GPU instances say MIG is in use. NVML, when loaded, tells the exact mode. */
        gpu->mig_capable = true;
        r = list_numbered(dir, "gi", &gis, &n_gis, err);
        if (r < 0)
                return r;
        gpu->mig_enabled = n_gis > 0;
        for (size_t i = 0; i < n_gis; i++) {
                _cleanup_free_ char *gidir = NULL;
                _cleanup_free_ unsigned *cis = NULL;
                size_t n_cis = 0;
                if (asprintf(&gidir, "%s/gi%u", dir, gis[i]) < 0)
                        return nvct_error_set(err, ENOMEM, "list MIG devices");
                r = list_numbered(gidir, "ci", &cis, &n_cis, err);
                if (r < 0)
                        return r;
                for (size_t j = 0; j < n_cis; j++)
                        if (add_proc_mig(proc_root, gpu, gis[i], cis[j], &cap) < 0)
                                return nvct_error_set(err, ENOMEM, "list MIG devices");
        }
        return 0;
}
