/* SPDX-License-Identifier: Apache-2.0 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "require.h"

#define REQ_OPCHARS "<>=!"
#define REQ_CUDA_GE "cuda>="
#define REQ_GROUP_SHOWN_MAX 512

typedef enum ReqOp {
        REQ_EQ,
        REQ_NE,
        REQ_LT,
        REQ_LE,
        REQ_GT,
        REQ_GE,
} ReqOp;

typedef enum ReqProp {
        REQ_CUDA,
        REQ_DRIVER,
        REQ_ARCH,
        REQ_BRAND,
} ReqProp;

typedef struct Span {
        const char *p;
        size_t n;
} Span;

typedef struct ReqTerm {
        ReqProp prop;
        ReqOp op;
        Span value;
} ReqTerm;

static const struct {
        const char *str;
        ReqOp op;
} req_ops[] = {
        { "=", REQ_EQ }, { "!=", REQ_NE }, { "<", REQ_LT }, { "<=", REQ_LE }, { ">", REQ_GT }, { ">=", REQ_GE },
};

static const char *const req_props[] = {
        [REQ_CUDA] = "cuda",
        [REQ_DRIVER] = "driver",
        [REQ_ARCH] = "arch",
        [REQ_BRAND] = "brand",
};

void nvct_token_quote(const char *s, size_t n, char *buf, size_t size) {
        size_t o = 0;

        if (size == 0)
                return;
#define PUT(c)                                                                                                         \
        do {                                                                                                           \
                if (o + 1 < size)                                                                                      \
                        buf[o++] = (c);                                                                                \
        } while (0)
        PUT('"');
        for (size_t i = 0; i < n && i < NVCT_TOKEN_QUOTE_MAX; i++) {
                unsigned char c = (unsigned char) s[i];
                if (c == '"' || c == '\\') {
                        PUT('\\');
                        PUT((char) c);
                } else if (c < 0x20 || c >= 0x7f) {
                        static const char hex[] = "0123456789abcdef";
                        PUT('\\');
                        PUT('x');
                        PUT(hex[c >> 4]);
                        PUT(hex[c & 0xf]);
                } else
                        PUT((char) c);
        }
        if (n > NVCT_TOKEN_QUOTE_MAX) {
                PUT('.');
                PUT('.');
                PUT('.');
        }
        PUT('"');
#undef PUT
        buf[o] = '\0';
}

static int invalid(NvctError *err, Span term, const char *why) {
        char q[NVCT_TOKEN_QUOTE_BUF];
        nvct_token_quote(term.p, term.n, q, sizeof(q));
        return nvct_error_setx(err, EINVAL, "requirement error: invalid expression (%s: %s)", q, why);
}

/* A version is one or more dot-separated runs of decimal digits, within the component and digit bounds. */
static bool version_valid(Span v) {
        size_t components = 0, digits = 0;

        if (v.n == 0)
                return false;
        for (size_t i = 0; i <= v.n; i++) {
                if (i == v.n || v.p[i] == '.') {
                        if (digits == 0 || ++components > NVCT_REQUIRE_VERSION_COMPONENTS_MAX)
                                return false;
                        digits = 0;
                } else if (v.p[i] >= '0' && v.p[i] <= '9') {
                        if (++digits > NVCT_REQUIRE_VERSION_DIGITS_MAX)
                                return false;
                } else
                        return false;
        }
        return true;
}

/* Take the next component of a valid version, without its leading zeros; an exhausted version yields "". */
static Span version_next(Span *v) {
        Span c = { v->p, 0 };

        while (c.n < v->n && v->p[c.n] != '.')
                c.n++;
        v->p += c.n;
        v->n -= c.n;
        if (v->n > 0) {
                v->p++;
                v->n--;
        }
        while (c.n > 0 && *c.p == '0')
                c.p++, c.n--;
        return c;
}

/* Compare two valid versions numerically, component by component; missing components count as 0. */
static int version_compare(Span a, Span b) {
        while (a.n > 0 || b.n > 0) {
                Span ca = version_next(&a), cb = version_next(&b);
                if (ca.n != cb.n)
                        return ca.n < cb.n ? -1 : 1;
                int r = memcmp(ca.p, cb.p, ca.n);
                if (r != 0)
                        return r < 0 ? -1 : 1;
        }
        return 0;
}

static bool brand_valid(Span v) {
        if (v.n == 0)
                return false;
        for (size_t i = 0; i < v.n; i++) {
                char c = v.p[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '.' || c == '-'))
                        return false;
        }
        return true;
}

static int term_parse(Span t, ReqTerm *ret, NvctError *err) {
        size_t name_n = 0, op_n = 0;

        while (name_n < t.n && !strchr(REQ_OPCHARS, t.p[name_n]))
                name_n++;
        if (name_n == 0)
                return invalid(err, t, "missing property name");
        if (name_n == t.n)
                return invalid(err, t, "missing operator");
        while (name_n + op_n < t.n && strchr(REQ_OPCHARS, t.p[name_n + op_n]))
                op_n++;

        bool found = false;
        for (size_t i = 0; i < ELEMENTSOF(req_props); i++)
                if (strlen(req_props[i]) == name_n && strncasecmp(t.p, req_props[i], name_n) == 0) {
                        ret->prop = (ReqProp) i;
                        found = true;
                        break;
                }
        if (!found)
                return invalid(err, t, "unknown property, expected cuda, driver, arch or brand");

        found = false;
        for (size_t i = 0; i < ELEMENTSOF(req_ops); i++)
                if (strlen(req_ops[i].str) == op_n && strneq(t.p + name_n, req_ops[i].str, op_n)) {
                        ret->op = req_ops[i].op;
                        found = true;
                        break;
                }
        if (!found)
                return invalid(err, t, "unknown operator, expected one of = != < <= > >=");

        ret->value = (Span) { t.p + name_n + op_n, t.n - name_n - op_n };
        if (ret->value.n == 0)
                return invalid(err, t, "missing value");
        if (ret->prop == REQ_BRAND) {
                if (ret->op != REQ_EQ && ret->op != REQ_NE)
                        return invalid(err, t, "brand only supports = and !=");
                if (!brand_valid(ret->value))
                        return invalid(err, t, "brand names are letters, digits, '_', '.' and '-'");
        } else if (!version_valid(ret->value))
                return invalid(err, t, "a version is dot-separated decimal numbers");
        return 0;
}

/* Split off the next non-empty field ending at sep (or the end); returns false when none is left. */
static bool span_next(Span *s, char sep, Span *field) {
        for (;;) {
                if (s->n == 0)
                        return false;
                const char *e = memchr(s->p, sep, s->n);
                size_t n = e ? (size_t) (e - s->p) : s->n;
                *field = (Span) { s->p, n };
                s->p += n;
                s->n -= n;
                if (s->n > 0) {
                        s->p++;
                        s->n--;
                }
                if (n > 0)
                        return true;
        }
}

int nvct_require_validate(const char *expr, NvctError *err) {
        size_t len = expr ? strlen(expr) : 0, terms = 0;
        Span rest = { expr, len }, group, term;

        if (len > NVCT_REQUIRE_EXPR_MAX)
                return nvct_error_setx(err, EINVAL, "requirement error: invalid expression (%zu bytes, at most %u)",
                                       len, NVCT_REQUIRE_EXPR_MAX);
        while (span_next(&rest, ' ', &group))
                while (span_next(&group, ',', &term)) {
                        ReqTerm t;
                        if (++terms > NVCT_REQUIRE_TERMS_MAX)
                                return nvct_error_setx(err, EINVAL,
                                                       "requirement error: invalid expression (more than %u terms)",
                                                       NVCT_REQUIRE_TERMS_MAX);
                        int r = term_parse(term, &t, err);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static const char *fact_of(const NvctRequireFacts *f, ReqProp p) {
        if (!f)
                return NULL;
        switch (p) {
        case REQ_CUDA:
                return f->cuda;
        case REQ_DRIVER:
                return f->driver;
        case REQ_ARCH:
                return f->arch;
        case REQ_BRAND:
                return f->brand;
        }
        return NULL;
}

static bool op_holds(ReqOp op, int cmp) {
        switch (op) {
        case REQ_EQ:
                return cmp == 0;
        case REQ_NE:
                return cmp != 0;
        case REQ_LT:
                return cmp < 0;
        case REQ_LE:
                return cmp <= 0;
        case REQ_GT:
                return cmp > 0;
        case REQ_GE:
                return cmp >= 0;
        }
        return false;
}

static int term_eval(const ReqTerm *t, const NvctRequireFacts *f, bool *ret, NvctError *err) {
        const char *fact = fact_of(f, t->prop);

        if (!fact) {
                *ret = true;
                return 0;
        }
        Span fs = { fact, strlen(fact) };
        if (t->prop == REQ_BRAND) {
                bool same = fs.n == t->value.n && strncasecmp(fs.p, t->value.p, fs.n) == 0;
                *ret = t->op == REQ_EQ ? same : !same;
                return 0;
        }
        if (!version_valid(fs)) {
                char q[NVCT_TOKEN_QUOTE_BUF];
                nvct_token_quote(fs.p, fs.n, q, sizeof(q));
                return nvct_error_setx(err, EINVAL, "requirement error: invalid expression (%s version %s is not a version)",
                                       req_props[t->prop], q);
        }
        *ret = op_holds(t->op, version_compare(fs, t->value));
        return 0;
}

/* *ret = whether one (already validated) expression holds; *failed = its first OR group when it does not. */
static int expr_eval(const char *expr, const NvctRequireFacts *f, bool *ret, Span *failed, NvctError *err) {
        Span rest = { expr, strlen(expr) }, group, term;
        bool any = false;

        while (span_next(&rest, ' ', &group)) {
                Span whole = group;
                bool holds = true, has_terms = false;
                while (holds && span_next(&group, ',', &term)) {
                        ReqTerm t;
                        int r = term_parse(term, &t, err);
                        if (r < 0)
                                return r;
                        r = term_eval(&t, f, &holds, err);
                        if (r < 0)
                                return r;
                        has_terms = true;
                }
                /* A group of bare commas asks for nothing: it neither satisfies nor fails the expression. */
                if (!has_terms)
                        continue;
                if (holds) {
                        *ret = true;
                        return 0;
                }
                if (!any)
                        *failed = whole;
                any = true;
        }
        *ret = !any;
        return 0;
}

static int unsatisfied(NvctError *err, Span group, const NvctRequireFacts *f, size_t gpu, bool per_gpu) {
        _cleanup_buf_ Buf b = BUF_INIT;
        size_t shown = MIN(group.n, (size_t) REQ_GROUP_SHOWN_MAX);

        buf_puts(&b, "requirement error: unsatisfied condition: ");
        buf_append(&b, group.p, shown);
        if (shown < group.n)
                buf_puts(&b, "...");
        if (group.n >= strlen(REQ_CUDA_GE) && strneq(group.p, REQ_CUDA_GE, strlen(REQ_CUDA_GE)))
                buf_puts(&b, ", please update your driver to a newer version, or use an earlier cuda container");

        buf_puts(&b, " (");
        bool first = true;
        for (size_t i = 0; i < ELEMENTSOF(req_props); i++) {
                const char *v = fact_of(f, (ReqProp) i);
                if (!v)
                        continue;
                buf_printf(&b, "%s%s=%.64s", first ? "" : ", ", req_props[i], v);
                first = false;
        }
        if (per_gpu)
                buf_printf(&b, " on GPU %zu)", gpu);
        else
                buf_puts(&b, first ? "no GPU visible)" : ", no GPU visible)");

        if (b.oom)
                return nvct_error_setx(err, ENOMEM, "requirement error: unsatisfied condition");
        return nvct_error_setx(err, EPERM, "%s", b.data);
}

int nvct_require_check(char *const *exprs, const NvctRequireFacts *facts, size_t n_facts, NvctError *err) {
        int r;

        if (!exprs)
                return 0;
        for (char *const *e = exprs; *e; e++) {
                r = nvct_require_validate(*e, err);
                if (r < 0)
                        return r;
        }

        NvctRequireFacts global = { 0 };
        if (n_facts == 0 && facts)
                global = (NvctRequireFacts) { .cuda = facts->cuda, .driver = facts->driver };

        for (size_t i = 0; i < MAX(n_facts, (size_t) 1); i++) {
                const NvctRequireFacts *f = n_facts > 0 ? &facts[i] : &global;
                for (char *const *e = exprs; *e; e++) {
                        bool holds = false;
                        Span failed = { NULL, 0 };
                        r = expr_eval(*e, f, &holds, &failed, err);
                        if (r < 0)
                                return r;
                        if (!holds)
                                return unsatisfied(err, failed, f, i, n_facts > 0);
                }
        }
        return 0;
}
