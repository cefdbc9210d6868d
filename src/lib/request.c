/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "caps.h"
#include "request.h"
#include "require.h"
#include "strv.h"

#define ENV_VISIBLE_DEVICES "NVIDIA_VISIBLE_DEVICES"
#define ENV_DRIVER_CAPABILITIES "NVIDIA_DRIVER_CAPABILITIES"
#define ENV_REQUIRE_PREFIX "NVIDIA_REQUIRE_"
#define ENV_REQUIRE_CUDA "NVIDIA_REQUIRE_CUDA"
#define ENV_REQUIRE_JETPACK "NVIDIA_REQUIRE_JETPACK"
#define ENV_DISABLE_REQUIRE "NVIDIA_DISABLE_REQUIRE"
#define ENV_MIG_CONFIG "NVIDIA_MIG_CONFIG_DEVICES"
#define ENV_MIG_MONITOR "NVIDIA_MIG_MONITOR_DEVICES"
#define ENV_IMEX_CHANNELS "NVIDIA_IMEX_CHANNELS"
#define ENV_CUDA_VERSION "CUDA_VERSION"

#define REQUIRE_VARS_MAX 1024U
#define MOUNT_CDI_PREFIX "cdi/"
#define MOUNT_IMEX_PREFIX "imex/"
#define DEFAULT_KIND_CDI "nvidia.com/gpu"
#define DEFAULT_KIND_JIT "runtime.nvidia.com/gpu"

typedef struct Ctx {
        const NvctImage *image;
        const NvctRequestPolicy *policy;
        NvctRequest *req;
        NvctError *err;
        const char *kind;
        bool legacy_image;
        char **mount_devices;
        char **mount_imex;
} Ctx;

static bool is_space(char ch) {
        return ch == ' ' || (ch >= '\t' && ch <= '\r');
}
static bool is_digit(char ch) {
        return ch >= '0' && ch <= '9';
}
static bool is_alpha(char ch) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}
static bool is_alnum(char ch) {
        return is_alpha(ch) || is_digit(ch);
}
static bool is_hex(char ch) {
        return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int oom(NvctError *err) {
        return nvct_error_set(err, ENOMEM, "building the container request");
}

static int invalid_token(NvctError *err, const char *noun, const char *t, const char *where) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        nvct_token_quote(t, strlen(t), q, sizeof(q));
        return nvct_error_setx(err, EINVAL, "invalid %s %s in %s", noun, q, where);
}

/* ---- the environment ---- */

/* The value of the last "key=" entry: 1 when set, 0 when unset. Values we interpret are size-bounded. */
static int env_get(const Ctx *c, const char *key, const char **ret) {
        size_t kn = strlen(key);

        for (size_t i = c->image->n_env; i > 0; i--) {
                const char *e = c->image->env[i - 1];
                if (!e || !strneq(e, key, kn) || e[kn] != '=')
                        continue;
                size_t vn = strlen(e + kn + 1);
                if (vn > NVCT_REQUEST_VALUE_MAX)
                        return nvct_error_setx(c->err, EINVAL, "%s is %zu bytes long, at most %u are accepted", key,
                                               vn, NVCT_REQUEST_VALUE_MAX);
                *ret = e + kn + 1;
                return 1;
        }
        *ret = NULL;
        return 0;
}

/* A NUL inside an entry would silently cut it short, so it is refused rather than read. */
static int env_check(const Ctx *c) {
        if (!c->image->env_lens)
                return 0;
        for (size_t i = 0; i < c->image->n_env; i++) {
                const char *e = c->image->env[i];
                if (e && strlen(e) != c->image->env_lens[i]) {
                        char q[NVCT_TOKEN_QUOTE_BUF];
                        nvct_token_quote(e, strlen(e), q, sizeof(q));
                        return nvct_error_setx(c->err, EINVAL, "environment entry %s contains a NUL byte", q);
                }
        }
        return 0;
}

/* A legacy image has CUDA_VERSION and no NVIDIA_REQUIRE_CUDA (both non-empty to count). */
static int image_is_legacy(const Ctx *c, bool *ret) {
        const char *cuda, *require;
        int r = env_get(c, ENV_CUDA_VERSION, &cuda);
        if (r < 0)
                return r;
        r = env_get(c, ENV_REQUIRE_CUDA, &require);
        if (r < 0)
                return r;
        *ret = cuda && *cuda && !(require && *require);
        return 0;
}

/*
 * Split a comma list into trimmed, non-empty tokens appended to *l, bounded in count (shared across calls on one
 * list) and in token length. noun and where only name things in messages.
 */
static int split_list(const char *value, const char *noun, const char *where, size_t max, char ***l,
                      NvctError *err) {
        size_t n = strv_length(*l);

        for (const char *p = value;;) {
                size_t len = strcspn(p, ",");
                const char *t = p;
                size_t tn = len;
                while (tn > 0 && is_space(*t))
                        t++, tn--;
                while (tn > 0 && is_space(t[tn - 1]))
                        tn--;
                if (tn > 0) {
                        if (++n > max)
                                return nvct_error_setx(err, EINVAL, "%s lists more than %zu entries", where, max);
                        _cleanup_free_ char *tok = strndup(t, tn);
                        if (!tok)
                                return oom(err);
                        if (tn > NVCT_REQUEST_TOKEN_MAX)
                                return invalid_token(err, noun, tok, where);
                        if (strv_consume(l, TAKE_PTR(tok)) < 0)
                                return oom(err);
                }
                if (p[len] == '\0')
                        return 0;
                p += len + 1;
        }
}

static int list_new(char ***l, NvctError *err) {
        *l = calloc(1, sizeof(char *));
        return *l ? 0 : oom(err);
}

/* ---- the device grammar ---- */

/* Decimal digits only (no sign, no base prefix), value below 2^31. */
static bool decimal_valid(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_digit(s[i]))
                        return false;
        while (n > 1 && *s == '0')
                s++, n--;
        return n < 10 || (n == 10 && memcmp(s, "2147483648", 10) < 0);
}

static bool hexdash_valid(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!is_hex(s[i]) && s[i] != '-')
                        return false;
        return true;
}

static bool uuid_valid(const char *t) {
        if (strncasecmp(t, "GPU-", 4) == 0)
                return hexdash_valid(t + 4, strlen(t + 4));
        if (strncasecmp(t, "MIG-", 4) != 0)
                return false;
        t += 4;
        const char *a = strchr(t, '/');
        if (!a)
                return hexdash_valid(t, strlen(t));
        /* The pre-R470 MIG naming: MIG-GPU-<uuid>/<gi>/<ci>. */
        const char *b = strchr(a + 1, '/');
        if (strncasecmp(t, "GPU-", 4) != 0 || !b)
                return false;
        return hexdash_valid(t + 4, (size_t) (a - t - 4)) && decimal_valid(a + 1, (size_t) (b - a - 1)) &&
               decimal_valid(b + 1, strlen(b + 1));
}

static bool mig_pair_valid(const char *t) {
        const char *colon = strchr(t, ':');
        return colon && decimal_valid(t, (size_t) (colon - t)) && decimal_valid(colon + 1, strlen(colon + 1));
}

static bool hex_run(const char **p, size_t min, size_t max, char end) {
        size_t n = 0;
        while (is_hex((*p)[n]))
                n++;
        if (n < min || n > max || (*p)[n] != end)
                return false;
        *p += n + (end ? 1 : 0);
        return true;
}

/* A PCI bus id as nvidia-container-cli takes it: domain:bus:device.function. */
static bool pci_valid(const char *t) {
        const char *p = t;
        if (!hex_run(&p, 1, 8, ':') || !hex_run(&p, 1, 2, ':') || !hex_run(&p, 1, 2, '.'))
                return false;
        return p[0] >= '0' && p[0] <= '7' && p[1] == '\0';
}

/* CDI vendor and class: a letter first, a letter or digit last, [A-Za-z0-9_.-] between. */
static bool cdi_vc_valid(const char *s, size_t n) {
        if (n == 0 || !is_alpha(s[0]) || !is_alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
                        return false;
        return true;
}

/* CDI device name: a letter or digit first and last, [A-Za-z0-9_.:-] between. */
static bool cdi_name_valid(const char *s, size_t n) {
        if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
                return false;
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != ':' && s[i] != '-')
                        return false;
        return true;
}

static bool cdi_kind_valid(const char *k) {
        const char *slash = strchr(k, '/');
        return slash && cdi_vc_valid(k, (size_t) (slash - k)) && cdi_vc_valid(slash + 1, strlen(slash + 1));
}

/* vendor/class=name, split as the CDI parser does: at the first '=', then at the first '/'. */
static bool cdi_qualified_valid(const char *t) {
        const char *eq = strchr(t, '=');
        if (!eq)
                return false;
        const char *slash = memchr(t, '/', (size_t) (eq - t));
        return slash && cdi_vc_valid(t, (size_t) (slash - t)) && cdi_vc_valid(slash + 1, (size_t) (eq - slash - 1)) &&
               cdi_name_valid(eq + 1, strlen(eq + 1));
}

bool nvct_request_device_valid(const char *t, NvctRequestMode mode) {
        size_t n = strlen(t);

        if (n == 0 || n > NVCT_REQUEST_TOKEN_MAX || strstr(t, ".."))
                return false;
        for (size_t i = 0; i < n; i++)
                if (is_space(t[i]) || (unsigned char) t[i] < 0x20 || (unsigned char) t[i] >= 0x7f)
                        return false;
        if (strcasecmp(t, "all") == 0 || streq(t, "none") || streq(t, "void") || cdi_qualified_valid(t))
                return true;
        /* In the CDI modes a bare token becomes <kind>=<token>, so it must make a CDI device name. */
        if (mode != NVCT_REQUEST_LEGACY)
                return cdi_name_valid(t, n);
        return decimal_valid(t, n) || uuid_valid(t) || mig_pair_valid(t) || pci_valid(t);
}

/* ---- device selection ---- */

/*
 * Turn the tokens of the winning source into the request. void wins over none, which wins over all, and then
 * nothing else counts; otherwise every token must be valid. Returns whether this is a GPU container.
 */
static int devices_finish(Ctx *c, char **tokens, const char *where) {
        NvctRequestMode mode = c->policy->mode;
        bool has_none = false, has_all = false;

        if (strv_contains(tokens, "void"))
                return 0;
        for (char **t = tokens; *t; t++) {
                if (!nvct_request_device_valid(*t, mode))
                        return invalid_token(c->err, "device", *t, where);
                has_none = has_none || streq(*t, "none");
                has_all = has_all || strcasecmp(*t, "all") == 0;
        }
        c->req->gpu_container = true;
        if (has_none)
                return 1;
        if (has_all) {
                c->req->all_devices = true;
                if (mode != NVCT_REQUEST_LEGACY && strv_extendf(&c->req->devices, "%s=all", c->kind) < 0)
                        return oom(c->err);
                return 1;
        }
        for (char **t = tokens; *t; t++) {
                _cleanup_free_ char *name = NULL;
                if (mode != NVCT_REQUEST_LEGACY && !cdi_qualified_valid(*t)) {
                        if (asprintf(&name, "%s=%s", c->kind, *t) < 0)
                                return oom(c->err);
                } else if (!(name = strdup(*t)))
                        return oom(c->err);
                if (strv_contains(c->req->devices, name))
                        continue;
                if (strv_consume(&c->req->devices, TAKE_PTR(name)) < 0)
                        return oom(c->err);
        }
        return 1;
}

static int set_source(Ctx *c, NvctRequestSource source, const char *fmt, ...) _printf_(3, 4);
static int set_source(Ctx *c, NvctRequestSource source, const char *fmt, ...) {
        va_list ap;
        char *desc = NULL;

        va_start(ap, fmt);
        int r = vasprintf(&desc, fmt, ap);
        va_end(ap);
        if (r < 0)
                return oom(c->err);
        free(c->req->source_desc);
        c->req->source_desc = desc;
        c->req->source = source;
        return 0;
}

static int key_compare(const void *a, const void *b) {
        return strcmp((*(const NvctImageAnnotation *const *) a)->key, (*(const NvctImageAnnotation *const *) b)->key);
}

/* CDI modes only: every annotation under one of the prefixes, keys sorted, values comma lists of devices. */
static int select_from_annotations(Ctx *c, char ***tokens, char **keys) {
        static char *const default_prefixes[] = { (char *) "cdi.k8s.io/", NULL };
        char *const *prefixes = c->policy->annotation_prefixes ?: (char **) default_prefixes;
        const NvctImage *img = c->image;
        // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of annotation pointers, so the element is the pointer
        _cleanup_free_ const NvctImageAnnotation **hits = calloc(img->n_annotations + 1, sizeof(*hits));
        _cleanup_buf_ Buf desc = BUF_INIT;
        size_t n = 0;

        if (!hits)
                return oom(c->err);
        for (size_t i = 0; i < img->n_annotations; i++) {
                const NvctImageAnnotation *a = &img->annotations[i];
                if (!a->key || !a->value)
                        continue;
                for (char *const *p = prefixes; *p; p++)
                        if (**p && strneq(a->key, *p, strlen(*p))) {
                                hits[n++] = a;
                                break;
                        }
        }
        // NOLINTNEXTLINE(bugprone-sizeof-expression): sorting the pointers, not the annotations
        qsort(hits, n, sizeof(*hits), key_compare);
        for (size_t i = 0; i < n; i++) {
                char q[NVCT_TOKEN_QUOTE_BUF];
                nvct_token_quote(hits[i]->key, strlen(hits[i]->key), q, sizeof(q));
                if (strlen(hits[i]->value) > NVCT_REQUEST_VALUE_MAX)
                        return nvct_error_setx(c->err, EINVAL, "annotation %s is longer than %u bytes", q,
                                               NVCT_REQUEST_VALUE_MAX);
                char where[sizeof(q) + 16];
                snprintf(where, sizeof(where), "annotation %s", q);
                int r = split_list(hits[i]->value, "device", where, NVCT_REQUEST_DEVICES_MAX, tokens, c->err);
                if (r < 0)
                        return r;
                buf_printf(&desc, "%s%s", i ? ", " : "", q);
        }
        if (desc.oom)
                return oom(c->err);
        *keys = buf_steal(&desc);
        return 0;
}

/* NVIDIA_VISIBLE_DEVICES, or the swarm-resource variables that are set, which then replace it entirely. */
static int select_from_env(Ctx *c, char ***tokens, bool *is_set, NvctRequestSource *source, char **names) {
        _cleanup_buf_ Buf b = BUF_INIT;
        const char *v;
        int r;

        *is_set = false;
        *source = NVCT_REQUEST_SOURCE_SWARM;
        for (char **s = c->policy->swarm_resource_envvars; s && *s; s++) {
                r = env_get(c, *s, &v);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                r = split_list(v, "device", *s, NVCT_REQUEST_DEVICES_MAX, tokens, c->err);
                if (r < 0)
                        return r;
                buf_printf(&b, "%s%s", *is_set ? "," : "", *s);
                *is_set = true;
        }
        if (!*is_set) {
                *source = NVCT_REQUEST_SOURCE_ENV;
                buf_puts(&b, ENV_VISIBLE_DEVICES);
                r = env_get(c, ENV_VISIBLE_DEVICES, &v);
                if (r < 0)
                        return r;
                *is_set = r > 0;
                if (r > 0) {
                        r = split_list(v, "device", ENV_VISIBLE_DEVICES, NVCT_REQUEST_DEVICES_MAX, tokens, c->err);
                        if (r < 0)
                                return r;
                }
        }
        if (b.oom)
                return oom(c->err);
        *names = buf_steal(&b);
        return 0;
}

static int select_env_devices(Ctx *c) {
        _cleanup_strv_free_ char **tokens = NULL;
        _cleanup_free_ char *names = NULL;
        NvctRequestSource source;
        bool is_set;
        int r;

        r = list_new(&tokens, c->err);
        if (r < 0)
                return r;
        r = select_from_env(c, &tokens, &is_set, &source, &names);
        if (r < 0)
                return r;
        const char *what = source == NVCT_REQUEST_SOURCE_SWARM ? " (swarm resource)" : "";

        if (!is_set && c->legacy_image) {
                if (strv_extend(&tokens, "all") < 0)
                        return oom(c->err);
                r = set_source(c, source, "all devices: %s is unset in a legacy CUDA image (CUDA_VERSION set, "
                                          "NVIDIA_REQUIRE_CUDA unset)", names);
        } else if (!is_set)
                return set_source(c, NVCT_REQUEST_SOURCE_NONE, "not a GPU container: %s is unset", names);
        else if (!tokens[0])
                return set_source(c, NVCT_REQUEST_SOURCE_NONE, "not a GPU container: %s is empty", names);
        else if (strv_contains(tokens, "void"))
                return set_source(c, NVCT_REQUEST_SOURCE_NONE, "not a GPU container: %s is void", names);
        else
                r = set_source(c, source, "devices selected by %s%s from the image environment", names, what);
        if (r < 0)
                return r;

        if (!c->image->privileged && !c->policy->accept_envvar_unprivileged) {
                if (strv_extendf(&c->req->warnings,
                                 "ignoring devices requested by %s in an unprivileged container "
                                 "(accept-nvidia-visible-devices-envvar-when-unprivileged = false)",
                                 names) < 0)
                        return oom(c->err);
                return set_source(c, NVCT_REQUEST_SOURCE_NONE,
                                  "not a GPU container: %s is ignored in an unprivileged container", names);
        }
        return devices_finish(c, tokens, names);
}

/* Precedence: CDI annotations (CDI modes only), then volume mounts (when accepted), then the environment. */
static int select_devices(Ctx *c) {
        int r;

        if (c->policy->mode != NVCT_REQUEST_LEGACY) {
                _cleanup_strv_free_ char **tokens = NULL;
                _cleanup_free_ char *keys = NULL;
                r = list_new(&tokens, c->err);
                if (r < 0)
                        return r;
                r = select_from_annotations(c, &tokens, &keys);
                if (r < 0)
                        return r;
                if (tokens[0]) {
                        r = set_source(c, NVCT_REQUEST_SOURCE_ANNOTATIONS, "devices selected by annotation %s", keys);
                        if (r < 0)
                                return r;
                        return devices_finish(c, tokens, "the CDI annotations");
                }
        }
        if (c->mount_devices[0]) {
                r = set_source(c, NVCT_REQUEST_SOURCE_VOLUME_MOUNTS,
                               "devices selected by volume mounts under " NVCT_REQUEST_VOLUME_ROOT);
                if (r < 0)
                        return r;
                return devices_finish(c, c->mount_devices, "the volume-mount device list");
        }
        return select_env_devices(c);
}

/* ---- volume mounts ---- */

/* Lexical cleaning as Go's filepath.Clean does it: no "//", no ".", ".." resolved, rooted ".." dropped. */
static char *path_clean(const char *p) {
        size_t n = strlen(p), o = 0, dotdot, i;
        bool rooted = p[0] == '/';
        char *out = malloc(n + 2);

        if (!out)
                return NULL;
        if (rooted)
                out[o++] = '/';
        dotdot = o;
        i = o;
        while (i < n) {
                if (p[i] == '/')
                        i++;
                else if (p[i] == '.' && (i + 1 == n || p[i + 1] == '/'))
                        i++;
                else if (p[i] == '.' && p[i + 1] == '.' && (i + 2 == n || p[i + 2] == '/')) {
                        i += 2;
                        if (o > dotdot) {
                                o--;
                                while (o > dotdot && out[o] != '/')
                                        o--;
                        } else if (!rooted) {
                                if (o > 0)
                                        out[o++] = '/';
                                out[o++] = '.';
                                out[o++] = '.';
                                dotdot = o;
                        }
                } else {
                        if ((rooted && o != 1) || (!rooted && o != 0))
                                out[o++] = '/';
                        while (i < n && p[i] != '/')
                                out[o++] = p[i++];
                }
        }
        if (o == 0)
                out[o++] = '.';
        out[o] = '\0';
        return out;
}

/* cdi/<vendor>/<class>=<name> or cdi/<vendor>/<class>/<name> → vendor/class=name; NULL if neither shape. */
static char *mount_cdi_name(const char *rest) {
        if (cdi_qualified_valid(rest))
                return strdup(rest);
        const char *a = strchr(rest, '/');
        const char *b = a ? strchr(a + 1, '/') : NULL;
        char *name = NULL;
        if (!b || asprintf(&name, "%.*s/%.*s=%s", (int) (a - rest), rest, (int) (b - a - 1), a + 1, b + 1) < 0)
                return NULL;
        return name;
}

static int mount_request_add(Ctx *c, const char *rest) {
        bool imex = strneq(rest, MOUNT_IMEX_PREFIX, strlen(MOUNT_IMEX_PREFIX));
        char ***list = imex ? &c->mount_imex : &c->mount_devices;
        _cleanup_free_ char *tok = NULL;

        if (strv_length(*list) >= NVCT_REQUEST_DEVICES_MAX)
                return nvct_error_setx(c->err, EINVAL, "more than %u %s requested as volume mounts",
                                       NVCT_REQUEST_DEVICES_MAX, imex ? "IMEX channels" : "devices");
        if (imex)
                tok = strdup(rest + strlen(MOUNT_IMEX_PREFIX));
        else if (strneq(rest, MOUNT_CDI_PREFIX, strlen(MOUNT_CDI_PREFIX))) {
                tok = mount_cdi_name(rest + strlen(MOUNT_CDI_PREFIX));
                if (!tok) {
                        char q[NVCT_TOKEN_QUOTE_BUF];
                        nvct_token_quote(rest, strlen(rest), q, sizeof(q));
                        return strv_extendf(&c->req->warnings, "ignoring invalid CDI device volume mount %s", q) < 0
                                       ? oom(c->err)
                                       : 0;
                }
        } else
                tok = strdup(rest);
        if (!tok || strv_consume(list, TAKE_PTR(tok)) < 0)
                return oom(c->err);
        return 0;
}

/* Mounts of /dev/null onto NVCT_REQUEST_VOLUME_ROOT/<request>, each destination counted once. */
static int mount_requests(Ctx *c) {
        _cleanup_strv_free_ char **seen = NULL;
        const size_t root_n = strlen(NVCT_REQUEST_VOLUME_ROOT);
        int r;

        if ((r = list_new(&seen, c->err)) < 0 || (r = list_new(&c->mount_devices, c->err)) < 0 ||
            (r = list_new(&c->mount_imex, c->err)) < 0)
                return r;
        if (!c->policy->accept_volume_mounts)
                return 0;
        for (size_t i = 0; i < c->image->n_mounts; i++) {
                const NvctImageMount *m = &c->image->mounts[i];
                if (!m->source || !m->destination)
                        continue;
                _cleanup_free_ char *src = path_clean(m->source);
                _cleanup_free_ char *dst = path_clean(m->destination);
                if (!src || !dst)
                        return oom(c->err);
                if (!streq(src, "/dev/null") || !strneq(dst, NVCT_REQUEST_VOLUME_ROOT "/", root_n + 1))
                        continue;
                if (strv_contains(seen, dst))
                        continue;
                if (strv_length(seen) >= 2 * NVCT_REQUEST_DEVICES_MAX)
                        return nvct_error_setx(c->err, EINVAL, "more than %u volume-mount requests",
                                               2 * NVCT_REQUEST_DEVICES_MAX);
                r = mount_request_add(c, dst + root_n + 1);
                if (r < 0)
                        return r;
                if (strv_consume(&seen, TAKE_PTR(dst)) < 0)
                        return oom(c->err);
        }
        return 0;
}

/* ---- capabilities ---- */

static int parse_caps(Ctx *c) {
        unsigned supported = c->policy->supported_caps & NVCT_CAP_ALL, asked = 0;
        _cleanup_strv_free_ char **tokens = NULL;
        bool all = false;
        const char *v;
        int r;

        r = env_get(c, ENV_DRIVER_CAPABILITIES, &v);
        if (r < 0)
                return r;
        if (r == 0 && c->legacy_image) {
                c->req->caps = supported;
                return 0;
        }
        if (!v || !*v) {
                c->req->caps = supported & (NVCT_CAP_COMPUTE | NVCT_CAP_UTILITY);
                return 0;
        }
        if ((r = list_new(&tokens, c->err)) < 0 ||
            (r = split_list(v, "capability", ENV_DRIVER_CAPABILITIES, NVCT_REQUEST_CAPS_MAX, &tokens, c->err)) < 0)
                return r;
        for (char **t = tokens; *t; t++) {
                unsigned bit = nvct_cap_from_name(*t);
                if (streq(*t, "all"))
                        all = true;
                else if (bit)
                        asked |= bit;
                else {
                        char q[NVCT_TOKEN_QUOTE_BUF];
                        nvct_token_quote(*t, strlen(*t), q, sizeof(q));
                        return nvct_error_setx(c->err, EINVAL, "unsupported capabilities: %s in %s", q,
                                               ENV_DRIVER_CAPABILITIES);
                }
        }
        if (all) {
                c->req->caps = supported;
                return 0;
        }
        if (asked & ~supported) {
                _cleanup_free_ char *bad = nvct_caps_to_string(asked & ~supported);
                _cleanup_free_ char *ok = nvct_caps_to_string(supported);
                return nvct_error_setx(c->err, EINVAL, "unsupported capabilities: %s in %s (supported: %s)",
                                       bad ?: "?", ENV_DRIVER_CAPABILITIES, ok && *ok ? ok : "none");
        }
        c->req->caps = asked;
        return 0;
}

/* ---- requirements ---- */

bool nvct_request_parse_bool(const char *s) {
        static const char *const truths[] = { "1", "t", "T", "TRUE", "true", "True" };
        if (!s)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(truths); i++)
                if (streq(s, truths[i]))
                        return true;
        return false;
}

/* A semver numeric identifier: "0" or digits without a leading zero. Returns its length, 0 if none. */
static size_t semver_number(const char *s) {
        size_t n = 0;
        if (!is_digit(s[0]))
                return 0;
        if (s[0] == '0')
                return is_digit(s[1]) ? 0 : 1;
        while (is_digit(s[n]))
                n++;
        return n;
}

static bool fits_u32(const char *s, size_t n) {
        return n < 10 || (n == 10 && memcmp(s, "4294967295", 10) <= 0);
}

/* Dot-separated [0-9A-Za-z-]+ identifiers; numeric ones in a pre-release may not have leading zeros. */
static bool semver_idents(const char **p, bool prerelease) {
        for (;;) {
                size_t n = 0;
                bool numeric = true;
                while (is_alnum((*p)[n]) || (*p)[n] == '-') {
                        numeric = numeric && is_digit((*p)[n]);
                        n++;
                }
                if (n == 0 || (prerelease && numeric && n > 1 && (*p)[0] == '0'))
                        return false;
                *p += n;
                if (**p != '.')
                        return true;
                (*p)++;
        }
}

/* CUDA_VERSION as Go's semver reads it (an optional 'v', shorthands allowed) → "MAJOR.MINOR". */
static char *cuda_major_minor(const char *v) {
        const char *p = *v == 'v' ? v + 1 : v, *major = p, *minor = "0";
        size_t major_n = semver_number(p), minor_n = 1;
        char *ret = NULL;

        if (major_n == 0 || !fits_u32(major, major_n))
                return NULL;
        p += major_n;
        if (*p == '.') {
                minor = ++p;
                minor_n = semver_number(p);
                if (minor_n == 0 || !fits_u32(minor, minor_n))
                        return NULL;
                p += minor_n;
                if (*p == '.') {
                        size_t patch_n = semver_number(++p);
                        if (patch_n == 0)
                                return NULL;
                        p += patch_n;
                        if (*p == '-' && (++p, !semver_idents(&p, true)))
                                return NULL;
                        if (*p == '+' && (++p, !semver_idents(&p, false)))
                                return NULL;
                }
        }
        if (*p != '\0' || asprintf(&ret, "%.*s.%.*s", (int) major_n, major, (int) minor_n, minor) < 0)
                return NULL;
        return ret;
}

typedef struct RequireVar {
        const char *name; /* points into the env entry; ends at '=' */
        size_t name_n;
        const char *value;
} RequireVar;

static int require_var_compare(const void *a, const void *b) {
        const RequireVar *x = a, *y = b;
        int r = memcmp(x->name, y->name, MIN(x->name_n, y->name_n));
        return r ?: (x->name_n > y->name_n) - (x->name_n < y->name_n);
}

/* Every NVIDIA_REQUIRE_* but NVIDIA_REQUIRE_JETPACK*, the last duplicate winning. */
static int require_vars(const Ctx *c, RequireVar **ret, size_t *ret_n) {
        _cleanup_free_ RequireVar *vars = NULL;
        size_t n = 0;

        for (size_t i = c->image->n_env; i > 0; i--) {
                const char *e = c->image->env[i - 1], *eq = e ? strchr(e, '=') : NULL;
                if (!eq || !strneq(e, ENV_REQUIRE_PREFIX, strlen(ENV_REQUIRE_PREFIX)) ||
                    strneq(e, ENV_REQUIRE_JETPACK, strlen(ENV_REQUIRE_JETPACK)))
                        continue;
                RequireVar v = { e, (size_t) (eq - e), eq + 1 };
                bool dup = false;
                for (size_t k = 0; k < n && !dup; k++)
                        dup = vars[k].name_n == v.name_n && strneq(vars[k].name, v.name, v.name_n);
                if (dup)
                        continue;
                if (n >= REQUIRE_VARS_MAX)
                        return nvct_error_setx(c->err, EINVAL, "more than %u " ENV_REQUIRE_PREFIX "* variables",
                                               REQUIRE_VARS_MAX);
                RequireVar *nv = realloc(vars, (n + 1) * sizeof(*vars));
                if (!nv)
                        return oom(c->err);
                vars = nv;
                vars[n++] = v;
        }
        if (n > 1)
                qsort(vars, n, sizeof(*vars), require_var_compare);
        *ret = TAKE_PTR(vars);
        *ret_n = n;
        return 0;
}

static int parse_requires(Ctx *c) {
        _cleanup_free_ RequireVar *vars = NULL;
        size_t n = 0;
        const char *v;
        int r;

        r = env_get(c, ENV_DISABLE_REQUIRE, &v);
        if (r < 0)
                return r;
        if (c->policy->disable_require || nvct_request_parse_bool(v))
                return 0;
        r = require_vars(c, &vars, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                int len = (int) vars[i].name_n;
                if (strlen(vars[i].value) > NVCT_REQUEST_VALUE_MAX)
                        return nvct_error_setx(c->err, EINVAL, "%.*s is longer than %u bytes", len, vars[i].name,
                                               NVCT_REQUEST_VALUE_MAX);
                if (!*vars[i].value)
                        continue;
                r = nvct_require_validate(vars[i].value, c->err);
                if (r < 0)
                        return nvct_error_prefix(c->err, r, "%.*s", len, vars[i].name);
                if (strv_extend(&c->req->requires, vars[i].value) < 0)
                        return oom(c->err);
        }
        if (!c->legacy_image)
                return 0;
        r = env_get(c, ENV_CUDA_VERSION, &v);
        if (r <= 0) /* a legacy image has CUDA_VERSION set, so 0 (unset) does not happen here */
                return r;
        _cleanup_free_ char *mm = cuda_major_minor(v);
        if (!mm) {
                char q[NVCT_TOKEN_QUOTE_BUF];
                nvct_token_quote(v, strlen(v), q, sizeof(q));
                return nvct_error_setx(c->err, EINVAL, "invalid CUDA_VERSION %s: not a MAJOR[.MINOR[.PATCH]] version", q);
        }
        if (strv_extendf(&c->req->requires, "cuda>=%s", mm) < 0)
                return oom(c->err);
        return 0;
}

/* ---- MIG and IMEX ---- */

static int parse_mig(Ctx *c, const char *var, char **ret) {
        _cleanup_strv_free_ char **tokens = NULL;
        const char *v;
        int r;

        r = env_get(c, var, &v);
        if (r <= 0 || !*v)
                return MIN(r, 0);
        if (!c->image->privileged)
                return nvct_error_setx(c->err, EPERM, "cannot set %s in an unprivileged container", var);
        if ((r = list_new(&tokens, c->err)) < 0 ||
            (r = split_list(v, "device", var, NVCT_REQUEST_DEVICES_MAX, &tokens, c->err)) < 0)
                return r;
        for (char **t = tokens; *t; t++)
                if (!nvct_request_device_valid(*t, NVCT_REQUEST_LEGACY) || streq(*t, "none") || streq(*t, "void") ||
                    cdi_qualified_valid(*t))
                        return invalid_token(c->err, "device", *t, var);
        if (!tokens[0])
                return 0;
        *ret = strv_join(tokens, ",");
        return *ret ? 0 : oom(c->err);
}

static int imex_add(Ctx *c, char **tokens, const char *where) {
        for (char **t = tokens; *t; t++) {
                if (!decimal_valid(*t, strlen(*t)))
                        return invalid_token(c->err, "IMEX channel", *t, where);
                if (!strv_contains(c->req->imex_channels, *t) && strv_extend(&c->req->imex_channels, *t) < 0)
                        return oom(c->err);
        }
        return 0;
}

static int parse_imex(Ctx *c) {
        _cleanup_strv_free_ char **tokens = NULL;
        const char *v;
        int r;

        if (c->policy->ignore_imex_requests)
                return 0;
        if (c->mount_imex[0])
                return imex_add(c, c->mount_imex, "the volume-mount IMEX list");
        r = env_get(c, ENV_IMEX_CHANNELS, &v);
        if (r <= 0)
                return r;
        if ((r = list_new(&tokens, c->err)) < 0 ||
            (r = split_list(v, "IMEX channel", ENV_IMEX_CHANNELS, NVCT_REQUEST_DEVICES_MAX, &tokens, c->err)) < 0)
                return r;
        /* void, none and all select no channel: "all" is left to the IMEX daemon's own policy. */
        if (!tokens[0] || strv_contains(tokens, "void") || strv_contains(tokens, "none") ||
            strv_contains(tokens, "all"))
                return 0;
        if (!c->image->privileged && !c->policy->accept_envvar_unprivileged)
                return strv_extend(&c->req->warnings, "ignoring IMEX channels requested by " ENV_IMEX_CHANNELS
                                                      " in an unprivileged container") < 0
                               ? oom(c->err)
                               : 0;
        return imex_add(c, tokens, ENV_IMEX_CHANNELS);
}

/* ---- the request ---- */

NvctRequest *nvct_request_free(NvctRequest *req) {
        if (!req)
                return NULL;
        strv_free(req->devices);
        free(req->source_desc);
        strv_free(req->requires);
        free(req->mig_config);
        free(req->mig_monitor);
        strv_free(req->imex_channels);
        strv_free(req->warnings);
        free(req);
        return NULL;
}

static NvctRequest *request_new(void) {
        NvctRequest *req = calloc(1, sizeof(*req));
        if (!req)
                return NULL;
        req->devices = calloc(1, sizeof(char *));
        req->requires = calloc(1, sizeof(char *));
        req->imex_channels = calloc(1, sizeof(char *));
        req->warnings = calloc(1, sizeof(char *));
        req->source_desc = strdup("no devices requested");
        if (!req->devices || !req->requires || !req->imex_channels || !req->warnings || !req->source_desc)
                return nvct_request_free(req);
        return req;
}

static int request_fill(Ctx *c) {
        int r;

        if ((r = env_check(c)) < 0 || (r = image_is_legacy(c, &c->legacy_image)) < 0)
                return r;
        if (c->policy->mode != NVCT_REQUEST_LEGACY) {
                c->kind = c->policy->default_kind ?: (c->policy->mode == NVCT_REQUEST_JIT_CDI ? DEFAULT_KIND_JIT
                                                                                              : DEFAULT_KIND_CDI);
                if (!cdi_kind_valid(c->kind))
                        return nvct_error_setx(c->err, EINVAL, "invalid default CDI kind \"%.64s\"", c->kind);
        }
        if ((r = mount_requests(c)) < 0 || (r = select_devices(c)) < 0)
                return r;
        if (c->req->gpu_container) {
                if ((r = parse_mig(c, ENV_MIG_CONFIG, &c->req->mig_config)) < 0 ||
                    (r = parse_mig(c, ENV_MIG_MONITOR, &c->req->mig_monitor)) < 0 || (r = parse_caps(c)) < 0 ||
                    (r = parse_requires(c)) < 0)
                        return r;
        }
        /* The hook does nothing for a non-GPU container, but the CDI modes inject IMEX channels on their own. */
        if (c->req->gpu_container || c->policy->mode != NVCT_REQUEST_LEGACY)
                return parse_imex(c);
        return 0;
}

int nvct_request_build(const NvctImage *image, const NvctRequestPolicy *policy, NvctRequest **ret, NvctError *err) {
        _cleanup_request_ NvctRequest *req = request_new();
        Ctx c = { .image = image, .policy = policy, .err = err };
        int r;

        if (!req)
                return oom(err);
        c.req = req;
        r = request_fill(&c);
        strv_free(c.mount_devices);
        strv_free(c.mount_imex);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(req);
        return 0;
}

static void describe_list(Buf *b, const char *label, char *const *l, const char *sep) {
        buf_printf(b, " %s=[", label);
        for (size_t i = 0; l && l[i]; i++)
                buf_printf(b, "%s%s", i ? sep : "", l[i]);
        buf_puts(b, "]");
}

char *nvct_request_describe(const NvctRequest *req) {
        static const char *const sources[] = {
                [NVCT_REQUEST_SOURCE_NONE] = "none",
                [NVCT_REQUEST_SOURCE_ENV] = "env",
                [NVCT_REQUEST_SOURCE_SWARM] = "swarm",
                [NVCT_REQUEST_SOURCE_VOLUME_MOUNTS] = "volume-mounts",
                [NVCT_REQUEST_SOURCE_ANNOTATIONS] = "annotations",
        };
        _cleanup_buf_ Buf b = BUF_INIT;
        _cleanup_free_ char *caps = nvct_caps_to_string(req->caps);

        buf_printf(&b, "gpu=%s source=%s", req->gpu_container ? "yes" : "no", sources[req->source]);
        if (req->all_devices)
                buf_puts(&b, " all");
        describe_list(&b, "devices", req->devices, ",");
        buf_printf(&b, " caps=%s", caps && *caps ? caps : "-");
        describe_list(&b, "requires", req->requires, "; ");
        buf_printf(&b, " mig-config=%s mig-monitor=%s", req->mig_config ?: "-", req->mig_monitor ?: "-");
        describe_list(&b, "imex", req->imex_channels, ",");
        buf_printf(&b, " warnings=%zu (%s)", strv_length(req->warnings), req->source_desc ?: "");
        return buf_steal(&b);
}

bool nvct_caps_list_has_sys_admin(char *const *names) {
        return strv_contains(names, "CAP_SYS_ADMIN");
}
