/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict CDI spec reading. The Go library converts YAML to JSON (sigs.k8s.io/yaml) and decodes it with unknown
 * fields disallowed; we do the same: libyaml events become a jansson tree (JSON input is parsed by jansson
 * directly), and one decoder walks that tree against the spec's schema.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "cdi-spec.h"
#include "fileio.h"
#include "require.h"
#include "strv.h"

#define YAML_DEPTH_MAX 64

#define _cleanup_json_ _cleanup_(json_decrefp)

/* ---------------------------------------------------------------- YAML → JSON tree */

typedef struct Yaml {
        yaml_parser_t parser;
        const char *what;
        NvctError *err;
} Yaml;

static int yaml_fail(Yaml *y) {
        const yaml_parser_t *p = &y->parser;
        if (p->error == YAML_MEMORY_ERROR)
                return nvct_error_set(y->err, ENOMEM, "parse %s", y->what);
        return nvct_error_setx(y->err, EINVAL,
                               "failed to parse CDI Spec \"%s\": failed to unmarshal CDI Spec: error converting YAML "
                               "to JSON: yaml: line %zu: %s%s%s",
                               y->what, p->problem_mark.line + 1, p->context ? p->context : "",
                               p->context ? ": " : "", p->problem ? p->problem : "syntax error");
}

static int yaml_failx(Yaml *y, const yaml_event_t *ev, const char *msg) {
        return nvct_error_setx(y->err, EINVAL,
                               "failed to parse CDI Spec \"%s\": failed to unmarshal CDI Spec: error converting YAML "
                               "to JSON: yaml: line %zu: %s",
                               y->what, ev->start_mark.line + 1, msg);
}

static bool str_in(const char *s, const char *const *list) {
        for (; *list; list++)
                if (streq(s, *list))
                        return true;
        return false;
}

/* YAML 1.1 floats as yaml.v2 resolves them: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool yaml_float_syntax(const char *s) {
        const char *p = s;
        bool digits = false;
        if (*p == '-' || *p == '+')
                p++;
        if (*p == '.') {
                p++;
                if (!(*p >= '0' && *p <= '9'))
                        return false;
                while (*p >= '0' && *p <= '9')
                        p++;
        } else {
                while (*p >= '0' && *p <= '9') {
                        p++;
                        digits = true;
                }
                if (!digits)
                        return false;
                if (*p == '.')
                        for (p++; *p >= '0' && *p <= '9'; p++)
                                ;
        }
        if (*p == 'e' || *p == 'E') {
                p++;
                if (*p == '-' || *p == '+')
                        p++;
                if (!(*p >= '0' && *p <= '9'))
                        return false;
                while (*p >= '0' && *p <= '9')
                        p++;
        }
        return *p == '\0';
}

/*
 * Resolve a plain scalar as yaml.v2 does (YAML 1.1): null, bool (y/yes/on…), int (base prefixes, '_' ignored),
 * float; anything else is a string. Returns a new reference.
 */
static json_t *yaml_resolve(const char *s) {
        static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
        static const char *const trues[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
                                             NULL };
        static const char *const falses[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off",
                                              "OFF", NULL };

        if (str_in(s, nulls))
                return json_null();
        if (str_in(s, trues))
                return json_true();
        if (str_in(s, falses))
                return json_false();
        char plain[128];
        size_t n = 0;
        for (const char *p = s; *p && n + 1 < sizeof(plain); p++)
                if (*p != '_')
                        plain[n++] = *p;
        plain[n] = '\0';
        if (strlen(s) < sizeof(plain) - 1 && n > 0 && ((plain[0] >= '0' && plain[0] <= '9') ||
                                                       ((plain[0] == '-' || plain[0] == '+') && n > 1))) {
                const char *digits = plain + (plain[0] == '-' || plain[0] == '+');
                int base = 10;
                const char *body = digits;
                if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
                        base = 16, body = digits + 2;
                else if (digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B'))
                        base = 2, body = digits + 2;
                else if (digits[0] == '0' && (digits[1] == 'o' || digits[1] == 'O'))
                        base = 8, body = digits + 2;
                else if (digits[0] == '0' && digits[1])
                        base = 8, body = digits + 1;
                char *end = NULL;
                errno = 0;
                unsigned long long u = *body ? strtoull(body, &end, base) : 0;
                if (*body && end && *end == '\0' && body[0] != '-' && body[0] != '+' && errno == 0) {
                        if (plain[0] == '-' && u <= (unsigned long long) INT64_MAX + 1)
                                return json_integer(u == (unsigned long long) INT64_MAX + 1 ? INT64_MIN :
                                                                                                -(json_int_t) u);
                        if (plain[0] != '-' && u <= (unsigned long long) INT64_MAX)
                                return json_integer((json_int_t) u);
                        return json_real(plain[0] == '-' ? -(double) u : (double) u);
                }
        }
        if (strlen(s) < sizeof(plain) - 1 && yaml_float_syntax(plain))
                return json_real(strtod(plain, NULL));
        return json_string_nocheck(s);
}

bool nvct_cdi_yaml_plain_is_string(const char *s) {
        static const char *const specials[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                                                "-.INF", ".nan", ".NaN", ".NAN", NULL };
        if (str_in(s, specials))
                return false;
        json_t *v = yaml_resolve(s);
        bool is_string = json_is_string(v);
        if (v)
                json_decref(v);
        return is_string;
}

static int yaml_next(Yaml *y, yaml_event_t *ev) {
        if (!yaml_parser_parse(&y->parser, ev))
                return yaml_fail(y);
        return 0;
}

static bool tag_is_str(const yaml_char_t *tag) {
        return tag && (streq((const char *) tag, "tag:yaml.org,2002:str") || streq((const char *) tag, "!!str"));
}

static int yaml_value(Yaml *y, yaml_event_t *ev, int depth, json_t **ret);

static int yaml_mapping(Yaml *y, int depth, json_t **ret) {
        _cleanup_json_ json_t *obj = json_object();
        if (!obj)
                return nvct_error_set(y->err, ENOMEM, "parse %s", y->what);
        for (;;) {
                yaml_event_t key;
                int r = yaml_next(y, &key);
                if (r < 0)
                        return r;
                if (key.type == YAML_MAPPING_END_EVENT) {
                        yaml_event_delete(&key);
                        break;
                }
                if (key.type != YAML_SCALAR_EVENT) {
                        r = yaml_failx(y, &key, key.type == YAML_ALIAS_EVENT ? "aliases are not supported" :
                                                                               "only scalar mapping keys are supported");
                        yaml_event_delete(&key);
                        return r;
                }
                _cleanup_free_ char *k = strndup((const char *) key.data.scalar.value, key.data.scalar.length);
                bool embedded_nul = k && strlen(k) != key.data.scalar.length;
                yaml_event_delete(&key);
                if (!k)
                        return nvct_error_set(y->err, ENOMEM, "parse %s", y->what);
                if (embedded_nul)
                        return nvct_error_setx(y->err, EINVAL, "failed to parse CDI Spec \"%s\": a key holds a NUL byte",
                                               y->what);
                yaml_event_t vev;
                r = yaml_next(y, &vev);
                if (r < 0)
                        return r;
                json_t *v = NULL;
                r = yaml_value(y, &vev, depth + 1, &v);
                yaml_event_delete(&vev);
                if (r < 0)
                        return r;
                if (json_object_set_new_nocheck(obj, k, v) < 0)
                        return nvct_error_set(y->err, ENOMEM, "parse %s", y->what);
        }
        *ret = TAKE_PTR(obj);
        return 0;
}

static int yaml_sequence(Yaml *y, int depth, json_t **ret) {
        _cleanup_json_ json_t *arr = json_array();
        if (!arr)
                return nvct_error_set(y->err, ENOMEM, "parse %s", y->what);
        for (;;) {
                yaml_event_t ev;
                int r = yaml_next(y, &ev);
                if (r < 0)
                        return r;
                if (ev.type == YAML_SEQUENCE_END_EVENT) {
                        yaml_event_delete(&ev);
                        break;
                }
                json_t *v = NULL;
                r = yaml_value(y, &ev, depth + 1, &v);
                yaml_event_delete(&ev);
                if (r < 0)
                        return r;
                if (json_array_append_new(arr, v) < 0)
                        return nvct_error_set(y->err, ENOMEM, "parse %s", y->what);
        }
        *ret = TAKE_PTR(arr);
        return 0;
}

static int yaml_value(Yaml *y, yaml_event_t *ev, int depth, json_t **ret) {
        if (depth > YAML_DEPTH_MAX)
                return yaml_failx(y, ev, "too deeply nested");
        switch (ev->type) {
        case YAML_ALIAS_EVENT:
                return yaml_failx(y, ev, "aliases are not supported");
        case YAML_MAPPING_START_EVENT:
                return yaml_mapping(y, depth, ret);
        case YAML_SEQUENCE_START_EVENT:
                return yaml_sequence(y, depth, ret);
        case YAML_SCALAR_EVENT: {
                const char *v = (const char *) ev->data.scalar.value;
                if (strlen(v) != ev->data.scalar.length)
                        return yaml_failx(y, ev, "a scalar holds a NUL byte");
                bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tag_is_str(ev->data.scalar.tag);
                *ret = plain ? yaml_resolve(v) : json_string_nocheck(v);
                return *ret ? 0 : nvct_error_set(y->err, ENOMEM, "parse %s", y->what);
        }
        default:
                return yaml_failx(y, ev, "unexpected event");
        }
}

/* The first document as a tree; *ret = NULL for an empty stream. */
static int yaml_to_json(const char *data, size_t len, const char *what, json_t **ret, NvctError *err) {
        Yaml y = { .what = what, .err = err };
        yaml_event_t ev;
        json_t *root = NULL;
        int r;

        if (!yaml_parser_initialize(&y.parser))
                return nvct_error_set(err, ENOMEM, "parse %s", what);
        yaml_parser_set_input_string(&y.parser, (const unsigned char *) data, len);
        while ((r = yaml_next(&y, &ev)) >= 0) {
                yaml_event_type_t t = ev.type;
                if (t == YAML_STREAM_END_EVENT) {
                        yaml_event_delete(&ev);
                        break;
                }
                if (t == YAML_STREAM_START_EVENT || t == YAML_DOCUMENT_START_EVENT || t == YAML_DOCUMENT_END_EVENT) {
                        if (t == YAML_DOCUMENT_START_EVENT && root) {
                                r = yaml_failx(&y, &ev, "only one document is allowed in a CDI spec");
                                yaml_event_delete(&ev);
                                break;
                        }
                        yaml_event_delete(&ev);
                        continue;
                }
                r = yaml_value(&y, &ev, 0, &root);
                yaml_event_delete(&ev);
                if (r < 0)
                        break;
        }
        yaml_parser_delete(&y.parser);
        if (r < 0) {
                if (root)
                        json_decref(root);
                return r;
        }
        *ret = root;
        return 0;
}

/* ---------------------------------------------------------------- strict decoder */

typedef struct Dec {
        const char *what;
        NvctError *err;
} Dec;

static int dec_fail(Dec *d, const char *fmt, ...) _printf_(2, 3);
static int dec_fail(Dec *d, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        return nvct_error_setx(d->err, EINVAL,
                               "failed to parse CDI Spec \"%s\": failed to unmarshal CDI Spec: error unmarshaling JSON: "
                               "while decoding JSON: json: %s",
                               d->what, msg);
}
#define dec_fail(d, ...) NVCT_NEGATIVE((dec_fail)(d, __VA_ARGS__))

static const char *json_kind(const json_t *v) {
        switch (json_typeof(v)) {
        case JSON_OBJECT:
                return "object";
        case JSON_ARRAY:
                return "array";
        case JSON_STRING:
                return "string";
        case JSON_INTEGER:
        case JSON_REAL:
                return "number";
        case JSON_TRUE:
        case JSON_FALSE:
                return "bool";
        case JSON_NULL:
                break;
        }
        return "null";
}

static int type_error(Dec *d, const json_t *v, const char *field, const char *gotype) {
        return dec_fail(d, "cannot unmarshal %s into Go struct field %s of type %s", json_kind(v), field, gotype);
}

/* Index of key in names (Go: exact match, else case-insensitive); -1 when unknown, which is fatal. */
static int field_index(Dec *d, const char *key, const char *const *names, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (streq(key, names[i]))
                        return (int) i;
        for (size_t i = 0; i < n; i++)
                if (strcasecmp(key, names[i]) == 0)
                        return (int) i;
        char q[NVCT_TOKEN_QUOTE_BUF];
        nvct_token_quote(key, strlen(key), q, sizeof(q));
        return dec_fail(d, "unknown field %s", q), -1;
}

static char *format_number(const json_t *v) {
        char *s = NULL;
        if (json_is_integer(v))
                return asprintf(&s, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < 0 ? NULL : s;
        double x = json_real_value(v);
        for (int prec = 1; prec <= 17; prec++) {
                free(s);
                if (asprintf(&s, "%.*g", prec, x) < 0)
                        return NULL;
                if (strtod(s, NULL) == x)
                        break;
        }
        return s;
}

/* A string field. YAML scalars that resolved to numbers or bools are turned back into text, as sigs.k8s.io/yaml
 * does for string targets. null leaves the field as it was. */
static int get_string(Dec *d, const json_t *v, const char *field, char **dst) {
        char *s;
        if (json_is_null(v))
                return 0;
        if (json_is_string(v)) {
                if (strlen(json_string_value(v)) != json_string_length(v))
                        return dec_fail(d, "field %s holds a NUL byte", field);
                s = strdup(json_string_value(v));
        } else if (json_is_number(v))
                s = format_number(v);
        else if (json_is_boolean(v))
                s = strdup(json_is_true(v) ? "true" : "false");
        else
                return type_error(d, v, field, "string");
        if (!s)
                return nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
        free(*dst);
        *dst = s;
        return 0;
}

static int get_strv(Dec *d, const json_t *v, const char *field, char ***dst, bool *present) {
        size_t i;
        json_t *el;
        if (json_is_null(v)) {
                *dst = strv_free(*dst);
                return 0;
        }
        if (!json_is_array(v))
                return type_error(d, v, field, "[]string");
        _cleanup_strv_free_ char **l = calloc(json_array_size(v) + 1, sizeof(char *));
        if (!l)
                return nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
        json_array_foreach(v, i, el) {
                if (json_is_null(el) && !(l[i] = strdup("")))
                        return nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
                int r = get_string(d, el, field, &l[i]);
                if (r < 0)
                        return r;
        }
        strv_free(*dst);
        *dst = TAKE_PTR(l);
        if (present)
                *present = true;
        return 0;
}

static int get_int(Dec *d, const json_t *v, const char *field, const char *gotype, int64_t min, int64_t max,
                   int64_t *dst, bool *present) {
        if (json_is_null(v))
                return 0;
        if (!json_is_integer(v))
                return type_error(d, v, field, gotype);
        json_int_t x = json_integer_value(v);
        if (x < min || x > max)
                return dec_fail(d, "cannot unmarshal number %" JSON_INTEGER_FORMAT " into Go struct field %s of type %s",
                                x, field, gotype);
        *dst = x;
        if (present)
                *present = true;
        return 0;
}

static int get_u32(Dec *d, const json_t *v, const char *field, uint32_t *dst, bool *present) {
        int64_t x = 0;
        bool p = false;
        int r = get_int(d, v, field, "uint32", 0, UINT32_MAX, &x, &p);
        if (r >= 0 && p) {
                *dst = (uint32_t) x;
                *present = true;
        }
        return r;
}

static int get_map(Dec *d, const json_t *v, const char *field, char ***dst) {
        const char *k;
        json_t *el;
        if (json_is_null(v)) {
                *dst = strv_free(*dst);
                return 0;
        }
        if (!json_is_object(v))
                return type_error(d, v, field, "map[string]string");
        _cleanup_strv_free_ char **l = calloc(2 * json_object_size(v) + 1, sizeof(char *));
        if (!l)
                return nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
        size_t n = 0;
        json_object_foreach((json_t *) v, k, el) {
                if (!(l[n] = strdup(k)))
                        return nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
                if (json_is_null(el) && !(l[n + 1] = strdup("")))
                        return nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
                int r = get_string(d, el, field, &l[n + 1]);
                if (r < 0)
                        return r;
                n += 2;
        }
        strv_free(*dst);
        *dst = TAKE_PTR(l);
        return 0;
}

static int check_object(Dec *d, const json_t *v, const char *field, const char *gotype) {
        return json_is_object(v) ? 0 : type_error(d, v, field, gotype);
}

/* Grow an array to n zeroed elements. */
static int alloc_array(Dec *d, void **arr, size_t n, size_t size) {
        *arr = calloc(n ? n : 1, size);
        return *arr ? 0 : nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
}

#define FIELDS(...) static const char *const names[] = { __VA_ARGS__ }
#define FOREACH_FIELD(d, obj, idx)                                                                                     \
        const char *key_;                                                                                              \
        json_t *val_;                                                                                                  \
        json_object_foreach((json_t *) (obj), key_, val_) for (int idx = field_index(d, key_, names, ELEMENTSOF(names)), \
                                                               once_ = 1; once_; once_ = 0) if (idx < 0) return -EINVAL; \
        else

static int dec_node(Dec *d, const json_t *obj, const char *f, NvctCdiDeviceNode *n) {
        FIELDS("path", "hostPath", "type", "major", "minor", "fileMode", "permissions", "uid", "gid");
        char field[160];
        int r = check_object(d, obj, f, "specs.DeviceNode");
        if (r < 0)
                return r;
        FOREACH_FIELD(d, obj, i) {
                snprintf(field, sizeof(field), "%s.%s", f, names[i]);
                bool ignored = false;
                switch (i) {
                case 0: r = get_string(d, val_, field, &n->path); break;
                case 1: r = get_string(d, val_, field, &n->host_path); break;
                case 2: r = get_string(d, val_, field, &n->type); break;
                case 3: r = get_int(d, val_, field, "int64", INT64_MIN, INT64_MAX, &n->major, &ignored); break;
                case 4: r = get_int(d, val_, field, "int64", INT64_MIN, INT64_MAX, &n->minor, &ignored); break;
                case 5: r = get_u32(d, val_, field, &n->file_mode, &n->has_file_mode); break;
                case 6: r = get_string(d, val_, field, &n->permissions); break;
                case 7: r = get_u32(d, val_, field, &n->uid, &n->has_uid); break;
                default: r = get_u32(d, val_, field, &n->gid, &n->has_gid); break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_mount(Dec *d, const json_t *obj, const char *f, NvctCdiMount *m) {
        FIELDS("hostPath", "containerPath", "type", "options");
        char field[160];
        int r = check_object(d, obj, f, "specs.Mount");
        if (r < 0)
                return r;
        FOREACH_FIELD(d, obj, i) {
                snprintf(field, sizeof(field), "%s.%s", f, names[i]);
                switch (i) {
                case 0: r = get_string(d, val_, field, &m->host_path); break;
                case 1: r = get_string(d, val_, field, &m->container_path); break;
                case 2: r = get_string(d, val_, field, &m->type); break;
                default: r = get_strv(d, val_, field, &m->options, NULL); break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_hook(Dec *d, const json_t *obj, const char *f, NvctCdiHook *h) {
        FIELDS("hookName", "path", "args", "env", "timeout");
        char field[160];
        int r = check_object(d, obj, f, "specs.Hook");
        if (r < 0)
                return r;
        FOREACH_FIELD(d, obj, i) {
                snprintf(field, sizeof(field), "%s.%s", f, names[i]);
                switch (i) {
                case 0: r = get_string(d, val_, field, &h->hook_name); break;
                case 1: r = get_string(d, val_, field, &h->path); break;
                case 2: r = get_strv(d, val_, field, &h->args, NULL); break;
                case 3: r = get_strv(d, val_, field, &h->env, NULL); break;
                default: r = get_int(d, val_, field, "int", INT64_MIN, INT64_MAX, &h->timeout, &h->has_timeout); break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_rdt(Dec *d, const json_t *obj, const char *f, NvctCdiIntelRdt *rdt) {
        FIELDS("closID", "l3CacheSchema", "memBwSchema", "schemata", "enableMonitoring");
        char field[160];
        int r = check_object(d, obj, f, "specs.IntelRdt");
        if (r < 0)
                return r;
        FOREACH_FIELD(d, obj, i) {
                snprintf(field, sizeof(field), "%s.%s", f, names[i]);
                switch (i) {
                case 0: r = get_string(d, val_, field, &rdt->clos_id); break;
                case 1: r = get_string(d, val_, field, &rdt->l3_cache_schema); break;
                case 2: r = get_string(d, val_, field, &rdt->mem_bw_schema); break;
                case 3:
                        r = get_strv(d, val_, field, &rdt->schemata, &rdt->has_schemata);
                        if (r >= 0 && rdt->has_schemata && !rdt->schemata && !(rdt->schemata = calloc(1, sizeof(char *))))
                                r = nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
                        break;
                default:
                        if (json_is_boolean(val_))
                                rdt->enable_monitoring = json_is_true(val_);
                        else if (!json_is_null(val_))
                                r = type_error(d, val_, field, "bool");
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* An array of objects decoded by fn into *arr (element size `size`), replacing what was there. */
typedef int (*DecFn)(Dec *d, const json_t *obj, const char *field, void *el);
typedef void (*DoneFn)(void *el);

static int dec_array(Dec *d, const json_t *v, const char *field, const char *gotype, size_t size, DecFn fn,
                     void **arr, size_t *n) {
        size_t i;
        json_t *el;
        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return type_error(d, v, field, gotype);
        if (*n)
                return dec_fail(d, "field %s given twice", field);
        void *a = NULL;
        int r = alloc_array(d, &a, json_array_size(v), size);
        if (r < 0)
                return r;
        *arr = a;
        json_array_foreach(v, i, el) {
                r = fn(d, el, field, (char *) a + i * size);
                *n = i + 1;
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_netdev(Dec *d, const json_t *obj, const char *f, NvctCdiNetDevice *nd) {
        FIELDS("hostInterfaceName", "name");
        char field[160];
        int r = check_object(d, obj, f, "specs.LinuxNetDevice");
        if (r < 0)
                return r;
        FOREACH_FIELD(d, obj, i) {
                snprintf(field, sizeof(field), "%s.%s", f, names[i]);
                r = get_string(d, val_, field, i == 0 ? &nd->host_interface_name : &nd->name);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_gids(Dec *d, const json_t *v, const char *field, NvctCdiEdits *e) {
        size_t i;
        json_t *el;
        if (json_is_null(v))
                return 0;
        if (!json_is_array(v))
                return type_error(d, v, field, "[]uint32");
        free(e->additional_gids);
        e->additional_gids = NULL;
        e->n_additional_gids = 0;
        int r = alloc_array(d, (void **) &e->additional_gids, json_array_size(v), sizeof(uint32_t));
        if (r < 0)
                return r;
        json_array_foreach(v, i, el) {
                bool present = false;
                r = get_u32(d, el, field, &e->additional_gids[i], &present);
                if (r < 0)
                        return r;
        }
        e->n_additional_gids = json_array_size(v);
        return 0;
}

static int dec_edits(Dec *d, const json_t *obj, const char *f, NvctCdiEdits *e) {
        FIELDS("env", "deviceNodes", "hooks", "mounts", "intelRdt", "additionalGids", "netDevices");
        char field[160];
        int r = check_object(d, obj, f, "specs.ContainerEdits");
        if (r < 0)
                return r;
        FOREACH_FIELD(d, obj, i) {
                snprintf(field, sizeof(field), "%s.%s", f, names[i]);
                switch (i) {
                case 0: r = get_strv(d, val_, field, &e->env, NULL); break;
                case 1:
                        r = dec_array(d, val_, field, "[]*specs.DeviceNode", sizeof(NvctCdiDeviceNode),
                                      (DecFn) dec_node, (void **) &e->nodes, &e->n_nodes);
                        break;
                case 2:
                        r = dec_array(d, val_, field, "[]*specs.Hook", sizeof(NvctCdiHook), (DecFn) dec_hook,
                                      (void **) &e->hooks, &e->n_hooks);
                        break;
                case 3:
                        r = dec_array(d, val_, field, "[]*specs.Mount", sizeof(NvctCdiMount), (DecFn) dec_mount,
                                      (void **) &e->mounts, &e->n_mounts);
                        break;
                case 4:
                        if (json_is_null(val_))
                                break;
                        if (!e->intel_rdt && !(e->intel_rdt = calloc(1, sizeof(*e->intel_rdt))))
                                return nvct_error_set(d->err, ENOMEM, "parse %s", d->what);
                        r = dec_rdt(d, val_, field, e->intel_rdt);
                        break;
                case 5: r = dec_gids(d, val_, field, e); break;
                default:
                        r = dec_array(d, val_, field, "[]*specs.LinuxNetDevice", sizeof(NvctCdiNetDevice),
                                      (DecFn) dec_netdev, (void **) &e->net_devices, &e->n_net_devices);
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_device(Dec *d, const json_t *obj, const char *f, NvctCdiDevice *dev) {
        FIELDS("name", "annotations", "containerEdits");
        char field[160];
        int r = check_object(d, obj, f, "specs.Device");
        if (r < 0)
                return r;
        FOREACH_FIELD(d, obj, i) {
                snprintf(field, sizeof(field), "%s.%s", f, names[i]);
                switch (i) {
                case 0: r = get_string(d, val_, field, &dev->name); break;
                case 1: r = get_map(d, val_, field, &dev->annotations); break;
                default:
                        if (!json_is_null(val_)) {
                                nvct_cdi_edits_done(&dev->edits);
                                r = dec_edits(d, val_, field, &dev->edits);
                        }
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int dec_spec(Dec *d, const json_t *obj, NvctCdiSpec *s) {
        FIELDS("cdiVersion", "kind", "annotations", "devices", "containerEdits");
        char field[160];
        if (!json_is_object(obj))
                return dec_fail(d, "cannot unmarshal %s into Go value of type specs.Spec", json_kind(obj));
        int r = 0;
        FOREACH_FIELD(d, obj, i) {
                snprintf(field, sizeof(field), "Spec.%s", names[i]);
                switch (i) {
                case 0: r = get_string(d, val_, field, &s->version); break;
                case 1: r = get_string(d, val_, field, &s->kind); break;
                case 2: r = get_map(d, val_, field, &s->annotations); break;
                case 3:
                        r = dec_array(d, val_, field, "[]specs.Device", sizeof(NvctCdiDevice), (DecFn) dec_device,
                                      (void **) &s->devices, &s->n_devices);
                        break;
                default:
                        if (!json_is_null(val_)) {
                                nvct_cdi_edits_done(&s->edits);
                                r = dec_edits(d, val_, field, &s->edits);
                        }
                        break;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---------------------------------------------------------------- entry points */

NvctCdiFormat nvct_cdi_format_for_path(const char *path) {
        size_t n = path ? strlen(path) : 0;
        return n >= 5 && streq(path + n - 5, ".json") ? NVCT_CDI_FORMAT_JSON : NVCT_CDI_FORMAT_YAML;
}

int nvct_cdi_spec_parse(const char *data, size_t len, NvctCdiFormat format, const char *what, NvctCdiSpec **ret,
                        NvctError *err) {
        _cleanup_json_ json_t *root = NULL;
        int r;

        if (format == NVCT_CDI_FORMAT_JSON) {
                json_error_t je;
                root = json_loadb(data, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
                if (!root)
                        return nvct_error_setx(err, EINVAL,
                                               "failed to parse CDI Spec \"%s\": failed to unmarshal CDI Spec: error "
                                               "unmarshaling JSON: line %d column %d: %s",
                                               what, je.line, je.column, je.text);
        } else {
                r = yaml_to_json(data, len, what, &root, err);
                if (r < 0)
                        return r;
        }
        if (!root || json_is_null(root))
                return nvct_error_setx(err, EINVAL, "failed to parse CDI Spec \"%s\", no Spec data", what);

        _cleanup_cdi_spec_ NvctCdiSpec *s = nvct_cdi_spec_new(NULL);
        if (!s)
                return nvct_error_set(err, ENOMEM, "parse %s", what);
        Dec d = { .what = what, .err = err };
        r = dec_spec(&d, root, s);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        return 0;
}

int nvct_cdi_spec_read(const char *path, int priority, NvctCdiSpec **ret, NvctError *err) {
        _cleanup_free_ char *data = NULL;
        _cleanup_cdi_spec_ NvctCdiSpec *s = NULL;
        NvctError ierr = NVCT_ERROR_INIT;
        size_t len = 0;
        int r;

        r = read_file_at(AT_FDCWD, path, NVCT_CDI_SPEC_MAX - 1, &data, &len, &ierr);
        if (r == -EFBIG)
                return nvct_error_setx(err, EFBIG, "failed to read CDI Spec \"%s\": file too large (limit %u bytes)",
                                       path, NVCT_CDI_SPEC_MAX - 1);
        if (r < 0)
                return nvct_error_setx(err, -r, "failed to read CDI Spec \"%s\": %s", path, ierr.msg);
        r = nvct_cdi_spec_parse(data, len, nvct_cdi_format_for_path(path), path, &s, err);
        if (r < 0)
                return r;
        if (!(s->path = strdup(path)))
                return nvct_error_set(err, ENOMEM, "read %s", path);
        s->priority = priority;
        r = nvct_cdi_spec_validate(s, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "%s", path);
        *ret = TAKE_PTR(s);
        return 0;
}
