/* SPDX-License-Identifier: Apache-2.0 */
/* The CDI library's validation (pkg/cdi, pkg/parser, specs-go/version.go), with its messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cdi-spec.h"
#include "require.h"
#include "strv.h"

static bool is_letter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c) {
        return is_letter(c) || (c >= '0' && c <= '9');
}

static const char *quote(const char *s, char *buf, size_t size) {
        nvct_token_quote(s, strlen(s), buf, size);
        return buf;
}

/* Go's %q of a rune: 'c', or an escape for anything unprintable. */
static const char *quote_rune(char c, char buf[8]) {
        if ((unsigned char) c < 0x20 || (unsigned char) c >= 0x7f)
                snprintf(buf, 8, "'\\x%02x'", (unsigned char) c);
        else if (c == '\'' || c == '\\')
                snprintf(buf, 8, "'\\%c'", c);
        else
                snprintf(buf, 8, "'%c'", c);
        return buf;
}

static int vendor_or_class(const char *what, const char *name, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF], rq[8];
        size_t n = strlen(name);
        if (n == 0)
                return nvct_error_setx(err, EINVAL, "invalid %s. empty name", what);
        if (!is_letter(name[0]))
                return nvct_error_setx(err, EINVAL, "invalid %s. %s, should start with letter", what,
                                       quote(name, q, sizeof(q)));
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(name[i]) && name[i] != '_' && name[i] != '-' && name[i] != '.')
                        return nvct_error_setx(err, EINVAL, "invalid %s. invalid character %s in name %s", what,
                                               quote_rune(name[i], rq), quote(name, q, sizeof(q)));
        if (!is_alnum(name[n - 1]))
                return nvct_error_setx(err, EINVAL, "invalid %s. %s, should end with a letter or digit", what,
                                       quote(name, q, sizeof(q)));
        return 0;
}

int nvct_cdi_validate_vendor(const char *vendor, NvctError *err) {
        return vendor_or_class("vendor", vendor, err);
}

int nvct_cdi_validate_class(const char *class_, NvctError *err) {
        return vendor_or_class("class", class_, err);
}

int nvct_cdi_validate_device_name(const char *name, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF], rq[8];
        size_t n = strlen(name);
        if (n == 0)
                return nvct_error_setx(err, EINVAL, "invalid (empty) device name");
        /* "invalid class" is the library's own wording for a bad first character of a device name */
        if (!is_alnum(name[0]))
                return nvct_error_setx(err, EINVAL, "invalid class %s, should start with a letter or digit",
                                       quote(name, q, sizeof(q)));
        if (n == 1)
                return 0;
        for (size_t i = 1; i + 1 < n; i++)
                if (!is_alnum(name[i]) && name[i] != '_' && name[i] != '-' && name[i] != '.' && name[i] != ':')
                        return nvct_error_setx(err, EINVAL, "invalid character %s in device name %s",
                                               quote_rune(name[i], rq), quote(name, q, sizeof(q)));
        if (!is_alnum(name[n - 1]))
                return nvct_error_setx(err, EINVAL, "invalid name %s, should end with a letter or digit",
                                       quote(name, q, sizeof(q)));
        return 0;
}

int nvct_cdi_parse_kind(const char *kind, char **ret_vendor, char **ret_class) {
        const char *slash = kind ? strchr(kind, '/') : NULL;
        if (!slash || slash == kind || !slash[1])
                return -EINVAL;
        if (ret_vendor && !(*ret_vendor = strndup(kind, (size_t) (slash - kind))))
                return -ENOMEM;
        if (ret_class && !(*ret_class = strdup(slash + 1))) {
                if (ret_vendor)
                        *ret_vendor = (free(*ret_vendor), NULL);
                return -ENOMEM;
        }
        return 0;
}

int nvct_cdi_parse_qualified_name(const char *s, char **ret_vendor, char **ret_class, char **ret_name,
                                  NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        const char *eq = strchr(s, '=');
        const char *slash = strchr(s, '/');
        if (slash && eq && slash > eq)
                slash = NULL;
        if (!slash || slash == s)
                return nvct_error_setx(err, EINVAL, "unqualified device %s, missing vendor", quote(s, q, sizeof(q)));
        if (!eq || eq == slash + 1)
                return nvct_error_setx(err, EINVAL, "unqualified device %s, missing class", quote(s, q, sizeof(q)));
        if (!eq[1])
                return nvct_error_setx(err, EINVAL, "unqualified device %s, missing device name",
                                       quote(s, q, sizeof(q)));
        _cleanup_free_ char *vendor = strndup(s, (size_t) (slash - s));
        _cleanup_free_ char *class_ = strndup(slash + 1, (size_t) (eq - slash - 1));
        _cleanup_free_ char *name = strdup(eq + 1);
        if (!vendor || !class_ || !name)
                return nvct_error_set(err, ENOMEM, "device name");
        int r = nvct_cdi_validate_vendor(vendor, err);
        if (r >= 0)
                r = nvct_cdi_validate_class(class_, err);
        if (r >= 0)
                r = nvct_cdi_validate_device_name(name, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "invalid device %s", quote(s, q, sizeof(q)));
        if (ret_vendor)
                *ret_vendor = TAKE_PTR(vendor);
        if (ret_class)
                *ret_class = TAKE_PTR(class_);
        if (ret_name)
                *ret_name = TAKE_PTR(name);
        return 0;
}

static int validate_env(char *const *env, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        for (char *const *e = env; e && *e; e++) {
                const char *eq = strchr(*e, '=');
                if (!eq || eq == *e)
                        return nvct_error_setx(err, EINVAL, "invalid environment variable %s", quote(*e, q, sizeof(q)));
        }
        return 0;
}

static int validate_node(const NvctCdiDeviceNode *n, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF], q2[NVCT_TOKEN_QUOTE_BUF];
        if (!n->path || !*n->path)
                return nvct_error_setx(err, EINVAL, "invalid (empty) device path");
        if (n->type && *n->type && !(strlen(n->type) == 1 && strchr("bcup", n->type[0])))
                return nvct_error_setx(err, EINVAL, "device %s: invalid type %s", quote(n->path, q, sizeof(q)),
                                       quote(n->type, q2, sizeof(q2)));
        for (const char *p = n->permissions; p && *p; p++)
                if (*p != 'r' && *p != 'w' && *p != 'm')
                        return nvct_error_setx(err, EINVAL, "device %s: invalid permissions %s",
                                               quote(n->path, q, sizeof(q)), quote(n->permissions, q2, sizeof(q2)));
        return 0;
}

static const char *const hook_names[] = { "prestart",       "createRuntime", "createContainer",
                                          "startContainer", "poststart",     "poststop", NULL };

static int validate_hook(const NvctCdiHook *h, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        const char *name = h->hook_name ? h->hook_name : "";
        if (!strv_contains((char **) hook_names, name))
                return nvct_error_setx(err, EINVAL, "invalid hook name %s", quote(name, q, sizeof(q)));
        if (!h->path || !*h->path)
                return nvct_error_setx(err, EINVAL, "invalid hook %s with empty path", quote(name, q, sizeof(q)));
        int r = validate_env(h->env, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "invalid hook %s", quote(name, q, sizeof(q)));
        return 0;
}

static int validate_rdt(const NvctCdiIntelRdt *rdt, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        const char *id = rdt->clos_id;
        if (!id || !*id || streq(id, "/"))
                return 0;
        if (strlen(id) >= 4096 || streq(id, ".") || streq(id, "..") || strpbrk(id, "/\n"))
                return nvct_error_setx(err, EINVAL, "invalid ClosID %s", quote(id, q, sizeof(q)));
        return 0;
}

static int validate_net_devices(const NvctCdiEdits *e, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        for (size_t i = 0; i < e->n_net_devices; i++) {
                const NvctCdiNetDevice *d = &e->net_devices[i];
                if (!d->host_interface_name || !*d->host_interface_name)
                        return nvct_error_setx(err, EINVAL, "invalid (empty) host network device name");
                if (!d->name || !*d->name)
                        return nvct_error_setx(err, EINVAL, "invalid (empty) container network device name");
                for (size_t j = 0; j < i; j++) {
                        if (streq(e->net_devices[j].host_interface_name, d->host_interface_name))
                                return nvct_error_setx(err, EINVAL, "duplicate host network device %s",
                                                       quote(d->host_interface_name, q, sizeof(q)));
                        if (streq(e->net_devices[j].name, d->name))
                                return nvct_error_setx(err, EINVAL, "duplicate container network device %s",
                                                       quote(d->name, q, sizeof(q)));
                }
        }
        return 0;
}

int nvct_cdi_edits_validate(const NvctCdiEdits *e, NvctError *err) {
        int r = validate_env(e->env, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "invalid container edits");
        for (size_t i = 0; i < e->n_nodes; i++)
                if ((r = validate_node(&e->nodes[i], err)) < 0)
                        return r;
        for (size_t i = 0; i < e->n_hooks; i++)
                if ((r = validate_hook(&e->hooks[i], err)) < 0)
                        return r;
        for (size_t i = 0; i < e->n_mounts; i++) {
                const NvctCdiMount *m = &e->mounts[i];
                if (!m->host_path || !*m->host_path)
                        return nvct_error_setx(err, EINVAL, "invalid mount, empty host path");
                if (!m->container_path || !*m->container_path)
                        return nvct_error_setx(err, EINVAL, "invalid mount, empty container path");
        }
        if (e->intel_rdt && (r = validate_rdt(e->intel_rdt, err)) < 0)
                return r;
        return validate_net_devices(e, err);
}

static int validate_version(const NvctCdiSpec *s, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        const char *v = s->version ? s->version : "";
        if (!nvct_cdi_version_known(v))
                return nvct_error_setx(err, EINVAL, "invalid version %s", quote(v, q, sizeof(q)));
        const char *min = nvct_cdi_minimum_version(s);
        if (nvct_cdi_version_compare(v, min) < 0)
                return nvct_error_setx(err, EINVAL, "the spec version must be at least v%s", min);
        return 0;
}

static int validate_device(const NvctCdiSpec *s, size_t idx, NvctError *err) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        const NvctCdiDevice *d = &s->devices[idx];
        const char *name = d->name ? d->name : "";
        int r = nvct_cdi_validate_device_name(name, err);
        if (r >= 0 && nvct_cdi_edits_empty(&d->edits))
                r = nvct_error_setx(err, EINVAL, "invalid device, empty device edits");
        if (r >= 0 && (r = nvct_cdi_edits_validate(&d->edits, err)) < 0)
                nvct_error_prefix(err, r, "invalid device %s", quote(name, q, sizeof(q)));
        if (r < 0)
                return nvct_error_prefix(err, r, "failed add device %s", quote(name, q, sizeof(q)));
        return 0;
}

static const NvctCdiDevice *sort_base;

static int cmp_device_index(const void *a, const void *b) {
        size_t x = *(const size_t *) a, y = *(const size_t *) b;
        const char *nx = sort_base[x].name ? sort_base[x].name : "", *ny = sort_base[y].name ? sort_base[y].name : "";
        int c = strcmp(nx, ny);
        return c ? c : (x > y) - (x < y);
}

/* The first device (in file order) whose name an earlier device already has; n when none. Sorting keeps this
 * O(n log n): a hostile spec may hold hundreds of thousands of devices. */
static size_t first_duplicate(const NvctCdiSpec *s, NvctError *err, int *r) {
        size_t n = s->n_devices, best = n;
        _cleanup_free_ size_t *idx = calloc(n ? n : 1, sizeof(size_t));
        if (!idx) {
                *r = nvct_error_set(err, ENOMEM, "devices");
                return n;
        }
        for (size_t i = 0; i < n; i++)
                idx[i] = i;
        sort_base = s->devices;
        qsort(idx, n, sizeof(size_t), cmp_device_index);
        for (size_t i = 1; i < n; i++) {
                const char *a = s->devices[idx[i - 1]].name, *b = s->devices[idx[i]].name;
                if (streq(a ? a : "", b ? b : "") && idx[i] < best)
                        best = idx[i];
        }
        return best;
}

int nvct_cdi_spec_validate(const NvctCdiSpec *s, NvctError *err) {
        _cleanup_free_ char *vendor = NULL, *class_ = NULL;
        int r = validate_version(s, err);
        if (r >= 0) {
                r = nvct_cdi_parse_kind(s->kind, &vendor, &class_);
                if (r == -ENOMEM)
                        return nvct_error_set(err, ENOMEM, "kind");
                /* like ParseQualifier: a kind that does not split leaves both parts empty */
                r = nvct_cdi_validate_vendor(r < 0 ? "" : vendor, err);
                if (r >= 0)
                        r = nvct_cdi_validate_class(class_, err);
        }
        if (r >= 0)
                r = nvct_cdi_edits_validate(&s->edits, err);
        size_t dup = r >= 0 ? first_duplicate(s, err, &r) : 0;
        for (size_t i = 0; r >= 0 && i < s->n_devices; i++) {
                r = validate_device(s, i, err);
                if (r >= 0 && i == dup) {
                        char q[NVCT_TOKEN_QUOTE_BUF];
                        const char *name = s->devices[i].name ? s->devices[i].name : "";
                        r = nvct_error_setx(err, EINVAL, "invalid spec, multiple device %s", quote(name, q, sizeof(q)));
                }
        }
        if (r >= 0 && s->n_devices == 0)
                r = nvct_error_setx(err, EINVAL, "invalid spec, no devices");
        if (r < 0)
                return nvct_error_prefix(err, r, "invalid CDI Spec");
        return 0;
}
