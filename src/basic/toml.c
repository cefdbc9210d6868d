/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fileio.h"
#include "strv.h"
#include "toml-private.h"

typedef struct Parser {
        const char *s;
        size_t len, pos;
        TomlDoc *doc;
        TomlValue *section;
        NvctError *err;
        unsigned nesting;
} Parser;

/* ---- small helpers ---- */

int toml_grow(void **array, size_t *cap, size_t n, size_t elem_size) {
        if (n < *cap)
                return 0;
        size_t ncap = *cap ? *cap * 2 : 8;
        void *a = reallocarray(*array, ncap, elem_size);
        if (!a)
                return -ENOMEM;
        *array = a;
        *cap = ncap;
        return 0;
}

static void offset_position(const char *s, size_t len, size_t off, unsigned *ret_line, unsigned *ret_col) {
        unsigned line = 1, col = 1;

        for (size_t i = 0; i < off && i < len; i++) {
                if (s[i] == '\n') {
                        line++;
                        col = 1;
                } else if (((unsigned char) s[i] & 0xC0) != 0x80)
                        col++;
        }
        *ret_line = line;
        *ret_col = col;
}

static int perr_at(Parser *p, size_t off, const char *fmt, ...) _printf_(3, 4);
static int perr_at(Parser *p, size_t off, const char *fmt, ...) {
        char msg[512];
        unsigned line, col;
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        offset_position(p->s, p->len, off, &line, &col);
        return nvct_error_setx(p->err, EINVAL, "%s:%u:%u: %s", p->doc->filename, line, col, msg);
}
#define perr_at(p, off, ...) NVCT_NEGATIVE((perr_at)(p, off, __VA_ARGS__))
#define perr(p, ...) perr_at((p), (p)->pos, __VA_ARGS__)
#define oom(p) nvct_error_set((p)->err, ENOMEM, "parse %s", (p)->doc->filename)

static int peek(const Parser *p) {
        return p->pos < p->len ? (unsigned char) p->s[p->pos] : -1;
}

static int peek_at(const Parser *p, size_t k) {
        return p->pos + k < p->len ? (unsigned char) p->s[p->pos + k] : -1;
}

static bool at_str(const Parser *p, const char *w) {
        size_t n = strlen(w);
        return p->len - p->pos >= n && memcmp(p->s + p->pos, w, n) == 0;
}

static void skip_ws(Parser *p) {
        while (peek(p) == ' ' || peek(p) == '\t')
                p->pos++;
}

static bool at_newline(const Parser *p) {
        return peek(p) == '\n' || (peek(p) == '\r' && peek_at(p, 1) == '\n');
}

static void skip_newline(Parser *p) {
        p->pos += peek(p) == '\r' ? 2 : 1;
}

static bool is_control(int c) {
        return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7F;
}

static bool is_bare(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool toml_key_is_bare(const char *key) {
        if (!*key)
                return false;
        for (const char *k = key; *k; k++)
                if (!is_bare((unsigned char) *k))
                        return false;
        return true;
}

/* Length of the UTF-8 sequence at s (1..4), or 0 when it is malformed, overlong, a surrogate or > U+10FFFF. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
        uint32_t cp;
        size_t k;

        if (s[0] < 0x80)
                return 1;
        if ((s[0] & 0xE0) == 0xC0)
                k = 2, cp = s[0] & 0x1F;
        else if ((s[0] & 0xF0) == 0xE0)
                k = 3, cp = s[0] & 0x0F;
        else if ((s[0] & 0xF8) == 0xF0)
                k = 4, cp = s[0] & 0x07;
        else
                return 0;
        if (n < k)
                return 0;
        for (size_t i = 1; i < k; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
        if (cp < min[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        return k;
}

static int utf8_encode(uint32_t cp, char out[4]) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xC0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xE0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char) (0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char) (0xF0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char) (0x80 | (cp & 0x3F));
        return 4;
}

/* ---- the tree ---- */

static TomlValue *value_new(TomlType type) {
        TomlValue *v = calloc(1, sizeof(*v));
        if (v)
                v->type = type;
        return v;
}

static void value_free(TomlValue *v) {
        if (!v)
                return;
        for (size_t i = 0; i < v->n; i++) {
                value_free(v->items[i]);
                if (v->keys)
                        free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
        free(v->index);
        free(v->str);
        free(v->entries);
        free(v);
}

static void value_freep(TomlValue **v) {
        value_free(*v);
}

static uint32_t key_hash(const char *s) {
        uint32_t h = 2166136261u;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 16777619u;
        return h;
}

static int index_rebuild(TomlValue *t, size_t icap) {
        uint32_t *idx = calloc(icap, sizeof(uint32_t));
        if (!idx)
                return -ENOMEM;
        for (size_t i = 0; i < t->n; i++) {
                size_t h = key_hash(t->keys[i]) & (icap - 1);
                while (idx[h])
                        h = (h + 1) & (icap - 1);
                idx[h] = (uint32_t) i + 1;
        }
        free(t->index);
        t->index = idx;
        t->icap = icap;
        return 0;
}

TomlValue *toml_table_find(const TomlValue *t, const char *key) {
        if (!t || t->type != TOML_TABLE)
                return NULL;
        if (t->index) {
                for (size_t h = key_hash(key) & (t->icap - 1); t->index[h]; h = (h + 1) & (t->icap - 1))
                        if (streq(t->keys[t->index[h] - 1], key))
                                return t->items[t->index[h] - 1];
                return NULL;
        }
        for (size_t i = 0; i < t->n; i++)
                if (streq(t->keys[i], key))
                        return t->items[i];
        return NULL;
}

/* Append child to a table (key != NULL, copied) or an array (key == NULL). */
static int container_add(TomlValue *c, const char *key, TomlValue *child) {
        size_t cap = c->cap;
        if (toml_grow((void **) &c->items, &cap, c->n, sizeof(TomlValue *)) < 0)
                return -ENOMEM;
        if (key) {
                size_t kcap = c->cap;
                if (toml_grow((void **) &c->keys, &kcap, c->n, sizeof(char *)) < 0)
                        return -ENOMEM;
                c->keys[c->n] = strdup(key);
                if (!c->keys[c->n])
                        return -ENOMEM;
                child->key = c->keys[c->n];
        }
        c->cap = cap;
        c->items[c->n++] = child;
        child->parent = c;
        if (key && c->n >= 8 && c->n * 2 >= c->icap) {
                if (index_rebuild(c, c->icap ? c->icap * 2 : 32) < 0) {
                        free(c->keys[--c->n]);
                        return -ENOMEM;
                }
        } else if (key && c->index) {
                size_t h = key_hash(key) & (c->icap - 1);
                while (c->index[h])
                        h = (h + 1) & (c->icap - 1);
                c->index[h] = (uint32_t) c->n;
        }
        return 0;
}

TomlValue *toml_step(TomlValue *v) {
        if (v && v->type == TOML_ARRAY && (v->flags & TF_AOT) && v->n > 0)
                return v->items[v->n - 1];
        return v;
}

static const char *describe(const TomlValue *v) {
        if (v->type == TOML_TABLE)
                return v->flags & TF_INLINE ? "an inline table" : "a table";
        if (v->type == TOML_ARRAY)
                return v->flags & TF_AOT ? "an array of tables" : "an array";
        switch (v->type) {
        case TOML_STRING:
                return "a string";
        case TOML_INTEGER:
                return "an integer";
        case TOML_FLOAT:
                return "a float";
        case TOML_BOOL:
                return "a boolean";
        default:
                return "a date-time";
        }
}

/* ---- strings ---- */

static int parse_hex_escape(Parser *p, unsigned digits, Buf *out) {
        size_t at = p->pos - 2;
        uint32_t cp = 0;

        for (unsigned i = 0; i < digits; i++) {
                int c = peek(p);
                unsigned d;
                if (c >= '0' && c <= '9')
                        d = (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned) (c - 'A' + 10);
                else
                        return perr(p, "invalid unicode escape: expected %u hex digits", digits);
                cp = (cp << 4) | d;
                p->pos++;
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return perr_at(p, at, "invalid unicode escape: U+%X is not a Unicode scalar value", cp);
        char enc[4];
        return buf_append(out, enc, (size_t) utf8_encode(cp, enc)) < 0 ? oom(p) : 0;
}

static int parse_escape(Parser *p, bool multiline, Buf *out) {
        size_t at = p->pos;
        p->pos++; /* the backslash */
        int c = peek(p);
        const char *rep = NULL;

        switch (c) {
        case 'b': rep = "\b"; break;
        case 't': rep = "\t"; break;
        case 'n': rep = "\n"; break;
        case 'f': rep = "\f"; break;
        case 'r': rep = "\r"; break;
        case '"': rep = "\""; break;
        case '\\': rep = "\\"; break;
        case 'u':
                p->pos++;
                return parse_hex_escape(p, 4, out);
        case 'U':
                p->pos++;
                return parse_hex_escape(p, 8, out);
        default:
                break;
        }
        if (rep) {
                p->pos++;
                return buf_append(out, rep, 1) < 0 ? oom(p) : 0;
        }
        if (multiline) {
                /* A line-ending backslash swallows the newline and all whitespace after it. */
                size_t save = p->pos;
                skip_ws(p);
                if (at_newline(p)) {
                        while (peek(p) == ' ' || peek(p) == '\t' || at_newline(p)) {
                                if (at_newline(p))
                                        skip_newline(p);
                                else
                                        p->pos++;
                        }
                        return 0;
                }
                p->pos = save;
        }
        return perr_at(p, at, "invalid escape sequence in string");
}

/* Copy one character (validated UTF-8) or refuse a control character. */
static int string_char(Parser *p, Buf *out, const char *what) {
        int c = peek(p);
        if (is_control(c))
                return perr(p, "control character U+%04X in %s", (unsigned) c, what);
        size_t k = utf8_seq((const unsigned char *) p->s + p->pos, p->len - p->pos);
        if (k == 0)
                return perr(p, "invalid UTF-8 in %s", what);
        if (buf_append(out, p->s + p->pos, k) < 0)
                return oom(p);
        p->pos += k;
        return 0;
}

static int parse_string_body(Parser *p, char quote, bool multiline, Buf *out) {
        size_t open = p->pos;
        int r;

        p->pos += multiline ? 3 : 1;
        if (multiline && at_newline(p))
                skip_newline(p); /* a newline right after the opening quotes is trimmed */
        if (buf_append(out, "", 0) < 0)
                return oom(p);
        for (;;) {
                int c = peek(p);
                if (c < 0)
                        return perr_at(p, open, "unterminated string");
                if (c == quote) {
                        if (!multiline) {
                                p->pos++;
                                return 0;
                        }
                        if (peek_at(p, 1) == quote && peek_at(p, 2) == quote) {
                                /* Up to two quotes may sit right before the closing three. */
                                size_t extra = 0;
                                while (extra < 2 && peek_at(p, 3 + extra) == quote)
                                        extra++;
                                if (buf_append(out, p->s + p->pos, extra) < 0)
                                        return oom(p);
                                p->pos += 3 + extra;
                                return 0;
                        }
                        if (buf_append(out, p->s + p->pos, 1) < 0)
                                return oom(p);
                        p->pos++;
                        continue;
                }
                if (c == '\\' && quote == '"') {
                        r = parse_escape(p, multiline, out);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (multiline && at_newline(p)) {
                        if (buf_append(out, p->s + p->pos, peek(p) == '\r' ? 2 : 1) < 0)
                                return oom(p);
                        skip_newline(p);
                        continue;
                }
                if (c == '\n' || c == '\r')
                        return perr(p, "newline in single-line string");
                r = string_char(p, out, "string");
                if (r < 0)
                        return r;
        }
}

/* Parse a string at the cursor into *ret (NUL-terminated) and *ret_len. */
static int parse_string(Parser *p, bool allow_multiline, char **ret, size_t *ret_len) {
        _cleanup_buf_ Buf b = BUF_INIT;
        char q = p->s[p->pos];
        bool ml = peek_at(p, 1) == q && peek_at(p, 2) == q;

        if (ml && !allow_multiline)
                return perr(p, "multi-line strings are not allowed as keys");
        int r = parse_string_body(p, q, ml, &b);
        if (r < 0)
                return r;
        *ret_len = b.len;
        *ret = buf_steal(&b);
        return *ret ? 0 : oom(p);
}

/* ---- keys ---- */

typedef struct Key {
        char **parts;
        size_t *offs;
        size_t n;
        size_t start, end;
} Key;

static void key_done(Key *k) {
        strv_free(k->parts);
        free(k->offs);
        *k = (Key) {};
}

static int parse_key(Parser *p, Key *k) {
        size_t cap = 0, cap2 = 0;
        int r;

        *k = (Key) { .start = p->pos };
        for (;;) {
                char *part = NULL;
                size_t len, at = p->pos;
                int c = peek(p);

                if (c == '"' || c == '\'') {
                        r = parse_string(p, false, &part, &len);
                        if (r < 0)
                                return r;
                        if (memchr(part, 0, len)) {
                                free(part);
                                return perr_at(p, at, "key contains a NUL character");
                        }
                } else if (c >= 0 && is_bare(c)) {
                        while (peek(p) >= 0 && is_bare(peek(p)))
                                p->pos++;
                        part = strndup(p->s + at, p->pos - at);
                        if (!part)
                                return oom(p);
                } else
                        return perr(p, k->n == 0 ? "expected a key" : "expected a key after '.'");
                if (k->n >= TOML_MAX_DEPTH) {
                        free(part);
                        return perr_at(p, at, "key has more than %u parts", TOML_MAX_DEPTH);
                }
                if (toml_grow((void **) &k->parts, &cap, k->n + 1, sizeof(char *)) < 0 ||
                    toml_grow((void **) &k->offs, &cap2, k->n, sizeof(size_t)) < 0) {
                        free(part);
                        return oom(p);
                }
                k->offs[k->n] = at;
                k->parts[k->n++] = part;
                k->parts[k->n] = NULL;
                k->end = p->pos;
                size_t save = p->pos;
                skip_ws(p);
                if (peek(p) != '.') {
                        p->pos = save;
                        return 0;
                }
                p->pos++;
                skip_ws(p);
        }
}

/* ---- scalars ---- */

static bool digit_ok(int c, int base) {
        if (base == 16)
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        return c >= '0' && c < '0' + base;
}

/* Digits with single underscores between them: returns the count of digits copied into out, or -1. */
static int digits(const char *s, size_t n, int base, char *out, size_t *ret_used) {
        size_t used = 0, k = 0;
        bool prev_digit = false;

        for (; used < n; used++) {
                int c = (unsigned char) s[used];
                if (c == '_') {
                        if (!prev_digit || used + 1 >= n || !digit_ok((unsigned char) s[used + 1], base))
                                return -1;
                        prev_digit = false;
                        continue;
                }
                if (!digit_ok(c, base))
                        break;
                out[k++] = (char) c;
                prev_digit = true;
        }
        out[k] = '\0';
        *ret_used = used;
        return (int) k;
}

static int parse_integer(Parser *p, const char *t, size_t n, size_t at, TomlValue *v) {
        char buf[128];
        size_t used;
        int base = 10;
        bool neg = false;

        if (n >= sizeof(buf))
                return perr_at(p, at, "number is too long");
        if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b')) {
                base = t[1] == 'x' ? 16 : t[1] == 'o' ? 8 : 2;
                t += 2, n -= 2;
        } else if (t[0] == '+' || t[0] == '-') {
                neg = t[0] == '-';
                t++, n--;
        }
        int k = digits(t, n, base, buf, &used);
        if (k <= 0 || used != n)
                return perr_at(p, at, "invalid integer");
        if (base == 10 && buf[0] == '0' && k > 1)
                return perr_at(p, at, "leading zeros are not allowed in integers");
        uint64_t limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX, acc = 0;
        for (int i = 0; i < k; i++) {
                int c = (unsigned char) buf[i];
                unsigned d = c <= '9' ? (unsigned) (c - '0') : (unsigned) ((c | 0x20) - 'a' + 10);
                if (acc > (limit - d) / (uint64_t) base)
                        return perr_at(p, at, "integer does not fit in 64 bits");
                acc = acc * (uint64_t) base + d;
        }
        v->type = TOML_INTEGER;
        v->i = neg ? (acc == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) acc) : (int64_t) acc;
        return 0;
}

static int parse_float(Parser *p, const char *t, size_t n, size_t at, TomlValue *v) {
        char buf[256];
        size_t used, o = 0, i = 0;

        if (n >= 128)
                return perr_at(p, at, "number is too long");
        if (t[0] == '+' || t[0] == '-')
                buf[o++] = t[i++];
        if (n - i == 3 && (memcmp(t + i, "inf", 3) == 0 || memcmp(t + i, "nan", 3) == 0)) {
                v->type = TOML_FLOAT;
                v->f = t[i] == 'i' ? (t[0] == '-' ? -INFINITY : INFINITY) : (t[0] == '-' ? -NAN : NAN);
                return 0;
        }
        int k = digits(t + i, n - i, 10, buf + o, &used);
        if (k <= 0)
                return perr_at(p, at, "invalid float");
        if (buf[o] == '0' && k > 1)
                return perr_at(p, at, "leading zeros are not allowed in floats");
        o += (size_t) k, i += used;
        bool frac_or_exp = false;
        if (i < n && t[i] == '.') {
                buf[o++] = t[i++];
                k = digits(t + i, n - i, 10, buf + o, &used);
                if (k <= 0)
                        return perr_at(p, at, "invalid float: expected digits after '.'");
                o += (size_t) k, i += used, frac_or_exp = true;
        }
        if (i < n && (t[i] == 'e' || t[i] == 'E')) {
                buf[o++] = 'e', i++;
                if (i < n && (t[i] == '+' || t[i] == '-'))
                        buf[o++] = t[i++];
                k = digits(t + i, n - i, 10, buf + o, &used);
                if (k <= 0)
                        return perr_at(p, at, "invalid float: expected digits in the exponent");
                o += (size_t) k, i += used, frac_or_exp = true;
        }
        if (i != n || !frac_or_exp)
                return perr_at(p, at, "invalid number");
        buf[o] = '\0';
        errno = 0;
        double d = strtod(buf, NULL);
        if (errno == ERANGE && isinf(d))
                return perr_at(p, at, "float is out of range");
        v->type = TOML_FLOAT;
        v->f = d;
        return 0;
}

static int two(const char *s) {
        if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
                return -1;
        return (s[0] - '0') * 10 + (s[1] - '0');
}

/* HH:MM:SS[.frac] at t; returns the length consumed, or -1. */
static int time_part(const char *t, size_t n) {
        if (n < 8 || t[2] != ':' || t[5] != ':')
                return -1;
        int h = two(t), m = two(t + 3), s = two(t + 6);
        if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60)
                return -1;
        size_t i = 8;
        if (i < n && t[i] == '.') {
                size_t j = ++i;
                while (i < n && t[i] >= '0' && t[i] <= '9')
                        i++;
                if (i == j)
                        return -1;
        }
        return (int) i;
}

static bool date_ok(const char *t) {
        for (int i = 0; i < 4; i++)
                if (t[i] < '0' || t[i] > '9')
                        return false;
        if (t[4] != '-' || t[7] != '-')
                return false;
        int y = (t[0] - '0') * 1000 + (t[1] - '0') * 100 + (t[2] - '0') * 10 + (t[3] - '0');
        int m = two(t + 5), d = two(t + 8);
        static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
                return false;
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        return !(m == 2 && d == 29 && !leap);
}

static int parse_datetime(Parser *p, const char *t, size_t n, size_t at, TomlValue *v) {
        bool ok;

        if (n >= 10 && t[4] == '-') {
                ok = date_ok(t);
                if (ok && n > 10) {
                        ok = t[10] == 'T' || t[10] == 't' || t[10] == ' ';
                        int k = ok ? time_part(t + 11, n - 11) : -1;
                        size_t i = 11 + (size_t) k;
                        ok = k > 0;
                        if (ok && i < n) {
                                if ((t[i] == 'Z' || t[i] == 'z') && i + 1 == n)
                                        i++;
                                else if ((t[i] == '+' || t[i] == '-') && n - i == 6 && t[i + 3] == ':') {
                                        int oh = two(t + i + 1), om = two(t + i + 4);
                                        ok = oh >= 0 && oh <= 23 && om >= 0 && om <= 59;
                                        i = n;
                                } else
                                        ok = false;
                        }
                        ok = ok && i == n;
                }
        } else
                ok = time_part(t, n) == (int) n;
        if (!ok)
                return perr_at(p, at, "invalid date-time '%.*s'", (int) MIN(n, (size_t) 64), t);
        v->type = TOML_DATETIME;
        v->str = strndup(t, n);
        v->len = n;
        return v->str ? 0 : oom(p);
}

static bool token_char(int c) {
        return is_bare(c) || c == '+' || c == '.' || c == ':';
}

/* memmem() on a span, without the libc call GCC's nonnull analysis trips over under ASan. */
static bool span_has(const char *t, size_t n, const char *needle) {
        size_t k = strlen(needle);
        for (size_t i = 0; i + k <= n; i++)
                if (memcmp(t + i, needle, k) == 0)
                        return true;
        return false;
}

static int parse_token(Parser *p, TomlValue *v) {
        size_t at = p->pos;

        while (peek(p) >= 0 && token_char(peek(p)))
                p->pos++;
        /* "1979-05-27 07:32:00": a space may separate a date from its time. */
        if (p->pos - at == 10 && p->s[at + 4] == '-' && peek(p) == ' ' && peek_at(p, 1) >= '0' &&
            peek_at(p, 1) <= '9' && peek_at(p, 3) == ':') {
                p->pos++;
                while (peek(p) >= 0 && token_char(peek(p)))
                        p->pos++;
        }
        const char *t = p->s + at;
        size_t n = p->pos - at;
        if (n == 0)
                return perr(p, "expected a value");
        if (n == 4 && memcmp(t, "true", 4) == 0) {
                v->type = TOML_BOOL, v->b = true;
                return 0;
        }
        if (n == 5 && memcmp(t, "false", 5) == 0) {
                v->type = TOML_BOOL, v->b = false;
                return 0;
        }
        if (t[0] != '+' && t[0] != '-' && (t[0] < '0' || t[0] > '9') && !(n == 3 && (t[0] == 'i' || t[0] == 'n')))
                return perr_at(p, at, "invalid value (strings must be quoted)");
        if (memchr(t, ':', n) || (n >= 10 && t[4] == '-' && t[0] >= '0' && t[0] <= '9'))
                return parse_datetime(p, t, n, at, v);
        if (n > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'o' || t[1] == 'b'))
                return parse_integer(p, t, n, at, v);
        if (memchr(t, '.', n) || memchr(t, 'e', n) || memchr(t, 'E', n) || span_has(t, n, "inf") ||
            span_has(t, n, "nan"))
                return parse_float(p, t, n, at, v);
        return parse_integer(p, t, n, at, v);
}

/* ---- arrays, inline tables, values ---- */

static int parse_value(Parser *p, TomlValue **ret);
static int define_key(Parser *p, TomlValue *table, const Key *k, TomlValue *val);

static void seal(TomlValue *v) {
        v->flags |= TF_SEALED;
        for (size_t i = 0; i < v->n; i++)
                seal(v->items[i]);
}

/* Whitespace, newlines and comments between array elements. */
static int skip_array_space(Parser *p) {
        for (;;) {
                skip_ws(p);
                if (at_newline(p)) {
                        skip_newline(p);
                        continue;
                }
                if (peek(p) == '\r')
                        return perr(p, "carriage return without a line feed");
                if (peek(p) != '#')
                        return 0;
                for (p->pos++; peek(p) >= 0 && !at_newline(p); p->pos++)
                        if (is_control(peek(p)) && peek(p) != '\r')
                                return perr(p, "control character U+%04X in comment", (unsigned) peek(p));
                        else if (peek(p) == '\r')
                                return perr(p, "carriage return without a line feed");
        }
}

static int parse_array(Parser *p, TomlValue *v) {
        int r;

        v->type = TOML_ARRAY;
        p->pos++;
        for (;;) {
                r = skip_array_space(p);
                if (r < 0)
                        return r;
                if (peek(p) == ']')
                        break;
                TomlValue *item = NULL;
                r = parse_value(p, &item);
                if (r < 0)
                        return r;
                if (container_add(v, NULL, item) < 0) {
                        value_free(item);
                        return oom(p);
                }
                v->height = MAX(v->height, item->height + 1);
                r = skip_array_space(p);
                if (r < 0)
                        return r;
                if (peek(p) == ',') {
                        p->pos++;
                        continue;
                }
                if (peek(p) == ']')
                        break;
                return perr(p, peek(p) < 0 ? "unterminated array" : "expected ',' or ']' in array");
        }
        p->pos++;
        seal(v);
        return 0;
}

static int parse_inline_table(Parser *p, TomlValue *v) {
        int r;

        v->type = TOML_TABLE;
        v->flags = TF_INLINE | TF_SEALED;
        p->pos++;
        skip_ws(p);
        if (peek(p) == '}') {
                p->pos++;
                return 0;
        }
        for (;;) {
                _cleanup_(key_done) Key k = {};
                skip_ws(p);
                if (peek(p) == '}')
                        return perr(p, "trailing comma in inline table");
                r = parse_key(p, &k);
                if (r < 0)
                        return r;
                skip_ws(p);
                if (peek(p) != '=')
                        return perr(p, "expected '=' after key");
                p->pos++;
                skip_ws(p);
                TomlValue *val = NULL;
                r = parse_value(p, &val);
                if (r < 0)
                        return r;
                unsigned h = val->height;
                size_t vend = val->end;
                r = define_key(p, v, &k, val);
                if (r < 0)
                        return r;
                v->height = MAX(v->height, (unsigned) k.n + h);
                if (toml_grow((void **) &v->entries, &v->cap_entries, v->n_entries, sizeof(TomlEntry)) < 0)
                        return oom(p);
                v->entries[v->n_entries++] = (TomlEntry) { .leaf = val, .start = k.start, .end = vend };
                skip_ws(p);
                if (peek(p) == ',') {
                        p->pos++;
                        continue;
                }
                if (peek(p) == '}')
                        break;
                if (at_newline(p) || peek(p) == '\r')
                        return perr(p, "newline in inline table");
                return perr(p, peek(p) < 0 ? "unterminated inline table" : "expected ',' or '}' in inline table");
        }
        p->pos++;
        seal(v);
        return 0;
}

static int parse_value(Parser *p, TomlValue **ret) {
        _cleanup_(value_freep) TomlValue *v = value_new(TOML_STRING);
        int c = peek(p), r;

        if (!v)
                return oom(p);
        v->start = p->pos;
        if (c == '[' || c == '{') {
                if (++p->nesting > TOML_MAX_DEPTH)
                        return perr(p, "arrays and inline tables nested more than %u deep", TOML_MAX_DEPTH);
                r = c == '[' ? parse_array(p, v) : parse_inline_table(p, v);
                p->nesting--;
        } else if (c == '"' || c == '\'') {
                v->type = TOML_STRING;
                r = parse_string(p, true, &v->str, &v->len);
        } else if (c < 0 || at_newline(p) || c == '#')
                r = perr(p, "expected a value");
        else
                r = parse_token(p, v);
        if (r < 0)
                return r;
        if (v->height > TOML_MAX_DEPTH)
                return perr_at(p, v->start, "value nested more than %u deep", TOML_MAX_DEPTH);
        v->end = p->pos;
        *ret = TAKE_PTR(v);
        return 0;
}

/* ---- keys into tables ---- */

static TomlValue *table_new(unsigned flags, unsigned depth, size_t start) {
        TomlValue *t = value_new(TOML_TABLE);
        if (t) {
                t->flags = flags;
                t->depth = depth;
                t->start = t->end = t->key_at = start;
        }
        return t;
}

/* Define k = val below table; takes ownership of val. */
static int define_key(Parser *p, TomlValue *table, const Key *k, TomlValue *val) {
        _cleanup_(value_freep) TomlValue *owned = val;
        TomlValue *t = table;
        unsigned sealed = table->flags & TF_SEALED;

        for (size_t i = 0; i + 1 < k->n; i++) {
                TomlValue *c = toml_table_find(t, k->parts[i]);
                if (!c) {
                        if (t->depth + 1 > TOML_MAX_DEPTH)
                                return perr_at(p, k->offs[i], "tables nested more than %u deep", TOML_MAX_DEPTH);
                        c = table_new(TF_DOTTED | sealed, t->depth + 1, k->offs[i]);
                        if (!c)
                                return oom(p);
                        c->owner = (t->flags & TF_DOTTED) ? t->owner : t;
                        if (container_add(t, k->parts[i], c) < 0) {
                                value_free(c);
                                return oom(p);
                        }
                } else if (c->type != TOML_TABLE || !(c->flags & TF_DOTTED) || (c->flags & TF_INLINE))
                        return perr_at(p, k->offs[i], "cannot add keys to '%s': it is already defined as %s",
                                       k->parts[i], describe(c));
                t = c;
        }
        const char *last = k->parts[k->n - 1];
        TomlValue *old = toml_table_find(t, last);
        if (old) {
                unsigned line, col;
                offset_position(p->s, p->len, old->start, &line, &col);
                return perr_at(p, k->offs[k->n - 1], "duplicate key '%s' (first defined at line %u, column %u)",
                               last, line, col);
        }
        if (t->depth + 1 + val->height > TOML_MAX_DEPTH)
                return perr_at(p, k->start, "value nested more than %u deep", TOML_MAX_DEPTH);
        if (container_add(t, last, val) < 0)
                return oom(p);
        val->key_at = k->offs[k->n - 1];
        owned = NULL;
        return 0;
}

static int add_section(Parser *p, TomlValue *s) {
        TomlDoc *d = p->doc;
        if (toml_grow((void **) &d->sections, &d->cap_sections, d->n_sections, sizeof(TomlValue *)) < 0)
                return oom(p);
        d->sections[d->n_sections++] = s;
        return 0;
}

/* Walk a header's path; returns the table that will hold its last component. */
static int header_walk(Parser *p, const Key *k, TomlValue **ret) {
        TomlValue *t = p->doc->root;

        for (size_t i = 0; i + 1 < k->n; i++) {
                TomlValue *c = toml_table_find(t, k->parts[i]);
                if (!c) {
                        if (t->depth + 1 > TOML_MAX_DEPTH)
                                return perr_at(p, k->offs[i], "tables nested more than %u deep", TOML_MAX_DEPTH);
                        c = table_new(TF_IMPLICIT, t->depth + 1, k->offs[i]);
                        if (!c)
                                return oom(p);
                        if (container_add(t, k->parts[i], c) < 0) {
                                value_free(c);
                                return oom(p);
                        }
                } else {
                        c = toml_step(c);
                        if (c->type != TOML_TABLE || (c->flags & TF_SEALED))
                                return perr_at(p, k->offs[i], "cannot define a table below '%s': it is %s",
                                               k->parts[i], describe(c));
                }
                t = c;
        }
        if (t->depth + 2 > TOML_MAX_DEPTH)
                return perr_at(p, k->start, "tables nested more than %u deep", TOML_MAX_DEPTH);
        *ret = t;
        return 0;
}

static int parse_header(Parser *p, TomlValue **ret) {
        _cleanup_(key_done) Key k = {};
        bool aot = peek_at(p, 1) == '[';
        TomlValue *t = p->doc->root, *c;
        int r;

        p->pos += aot ? 2 : 1;
        skip_ws(p);
        r = parse_key(p, &k);
        if (r < 0)
                return r;
        skip_ws(p);
        if (aot ? !at_str(p, "]]") : peek(p) != ']')
                return perr(p, aot ? "expected ']]' after the table name" : "expected ']' after the table name");
        p->pos += aot ? 2 : 1;
        r = header_walk(p, &k, &t);
        if (r < 0)
                return r;
        const char *last = k.parts[k.n - 1];
        size_t at = k.offs[k.n - 1];
        c = toml_table_find(t, last);
        if (!aot) {
                if (!c) {
                        c = table_new(TF_HEADER, t->depth + 1, at);
                        if (!c || container_add(t, last, c) < 0) {
                                value_free(c);
                                return oom(p);
                        }
                } else if (c->type == TOML_TABLE && (c->flags & TF_IMPLICIT))
                        c->flags = (c->flags & ~TF_IMPLICIT) | TF_HEADER;
                else if (c->type == TOML_TABLE && (c->flags & TF_HEADER))
                        return perr_at(p, at, "table '%s' is defined twice", last);
                else if (c->type == TOML_TABLE && (c->flags & TF_DOTTED))
                        return perr_at(p, at, "table '%s' was already defined by dotted keys", last);
                else
                        return perr_at(p, at, "cannot define table '%s': it is already %s", last, describe(c));
                *ret = c;
                return 0;
        }
        if (!c) {
                c = value_new(TOML_ARRAY);
                if (!c || container_add(t, last, c) < 0) {
                        value_free(c);
                        return oom(p);
                }
                c->flags = TF_AOT;
                c->depth = t->depth + 1;
                c->start = c->key_at = at;
        } else if (c->type != TOML_ARRAY || !(c->flags & TF_AOT))
                return perr_at(p, at, "cannot define array of tables '%s': it is already %s", last, describe(c));
        TomlValue *e = table_new(TF_HEADER, c->depth + 1, at);
        if (!e || container_add(c, NULL, e) < 0) {
                value_free(e);
                return oom(p);
        }
        *ret = e;
        return 0;
}

/* After a statement or header: whitespace, an optional comment, then a newline or the end. */
static int parse_eol(Parser *p, const char *what) {
        skip_ws(p);
        if (peek(p) == '#')
                for (p->pos++; peek(p) >= 0 && !at_newline(p); p->pos++) {
                        if (peek(p) == '\r')
                                return perr(p, "carriage return without a line feed");
                        if (is_control(peek(p)))
                                return perr(p, "control character U+%04X in comment", (unsigned) peek(p));
                }
        if (peek(p) < 0)
                return 0;
        if (at_newline(p)) {
                skip_newline(p);
                return 0;
        }
        if (peek(p) == '\r')
                return perr(p, "carriage return without a line feed");
        return perr(p, "expected a newline after %s", what);
}

static int parse_statement(Parser *p, size_t line_start) {
        _cleanup_(key_done) Key k = {};
        TomlDoc *d = p->doc;
        TomlValue *val = NULL;
        int r;

        r = parse_key(p, &k);
        if (r < 0)
                return r;
        skip_ws(p);
        if (peek(p) != '=')
                return perr(p, "expected '=' after key");
        p->pos++;
        skip_ws(p);
        r = parse_value(p, &val);
        if (r < 0)
                return r;
        r = define_key(p, p->section, &k, val);
        if (r < 0)
                return r;
        r = parse_eol(p, "the value");
        if (r < 0)
                return r;
        if (toml_grow((void **) &d->stmts, &d->cap_stmts, d->n_stmts, sizeof(TomlStmt)) < 0)
                return oom(p);
        d->stmts[d->n_stmts++] = (TomlStmt) {
                .leaf = val, .section = p->section, .line_start = line_start, .line_end = p->pos,
        };
        p->section->body_end = p->pos;
        return 0;
}

static int parse_document(Parser *p) {
        TomlDoc *d = p->doc;
        int r;

        while (p->pos < p->len) {
                size_t line_start = p->pos;
                skip_ws(p);
                if (at_newline(p)) {
                        skip_newline(p);
                        continue;
                }
                if (peek(p) < 0)
                        break;
                if (peek(p) == '#') {
                        size_t body = p->pos + 1;
                        r = parse_eol(p, "the comment");
                        if (r < 0)
                                return r;
                        if (toml_grow((void **) &d->comments, &d->cap_comments, d->n_comments,
                                      sizeof(TomlComment)) < 0)
                                return oom(p);
                        d->comments[d->n_comments++] = (TomlComment) {
                                .section = p->section, .line_start = line_start, .line_end = p->pos, .body = body,
                        };
                        continue;
                }
                if (peek(p) == '[') {
                        TomlValue *s = NULL;
                        r = parse_header(p, &s);
                        if (r < 0)
                                return r;
                        r = parse_eol(p, "the table header");
                        if (r < 0)
                                return r;
                        p->section->region_end = line_start;
                        s->start = line_start;
                        s->end = s->body_start = s->body_end = p->pos;
                        p->section = s;
                        r = add_section(p, s);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (peek(p) == '\r')
                        return perr(p, "carriage return without a line feed");
                r = parse_statement(p, line_start);
                if (r < 0)
                        return r;
        }
        p->section->region_end = p->len;
        return 0;
}

/* ---- documents ---- */

TomlDoc *toml_doc_free(TomlDoc *doc) {
        if (!doc)
                return NULL;
        value_free(doc->root);
        free(doc->text);
        free(doc->filename);
        free(doc->stmts);
        free(doc->sections);
        free(doc->comments);
        free(doc);
        return NULL;
}

int toml_parse(const char *text, size_t len, const char *filename, TomlDoc **ret, NvctError *err) {
        _cleanup_toml_doc_ TomlDoc *d = calloc(1, sizeof(*d));
        int r;

        if (!filename)
                filename = "<input>";
        if (!d || !(d->filename = strdup(filename)))
                return nvct_error_set(err, ENOMEM, "parse %s", filename);
        if (len > TOML_MAX_INPUT)
                return nvct_error_setx(err, EFBIG, "%s: document too large (%zu bytes, limit %u)", filename, len,
                                       TOML_MAX_INPUT);
        d->text = malloc(len + 1);
        d->root = table_new(TF_ROOT, 0, 0);
        if (!d->text || !d->root)
                return nvct_error_set(err, ENOMEM, "parse %s", filename);
        if (len)
                memcpy(d->text, text, len);
        d->text[len] = '\0';
        d->len = len;

        Parser p = { .s = d->text, .len = len, .doc = d, .section = d->root, .err = err };
        for (size_t i = 0; i < len;) {
                size_t k = utf8_seq((const unsigned char *) d->text + i, len - i);
                if (k == 0)
                        return perr_at(&p, i, "invalid UTF-8");
                i += k;
        }
        if (len >= 3 && memcmp(d->text, "\xEF\xBB\xBF", 3) == 0)
                /* A byte order mark: keys added to the root go after it. */
                p.pos = d->root->body_start = d->root->body_end = 3;
        r = parse_document(&p);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

int toml_parse_file(const char *path, TomlDoc **ret, NvctError *err) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r = read_file_at(AT_FDCWD, path, TOML_MAX_INPUT, &text, &len, err);
        if (r < 0)
                return r;
        return toml_parse(text, len, path, ret, err);
}

const char *toml_doc_text(const TomlDoc *doc, size_t *ret_len) {
        if (ret_len)
                *ret_len = doc->len;
        return doc->text;
}

const char *toml_doc_filename(const TomlDoc *doc) {
        return doc->filename;
}

const TomlValue *toml_doc_root(const TomlDoc *doc) {
        return doc->root;
}

/* ---- navigation and typed access ---- */

TomlType toml_value_type(const TomlValue *v) {
        return v->type;
}

const char *toml_type_name(TomlType t) {
        static const char *const names[] = {
                [TOML_STRING] = "string", [TOML_INTEGER] = "integer", [TOML_FLOAT] = "float",
                [TOML_BOOL] = "boolean",  [TOML_DATETIME] = "date-time", [TOML_ARRAY] = "array",
                [TOML_TABLE] = "table",
        };
        return (unsigned) t < ELEMENTSOF(names) ? names[t] : "unknown";
}

const TomlValue *toml_table_get(const TomlValue *table, const char *key) {
        return toml_table_find(toml_step((TomlValue *) table), key);
}

const TomlValue *toml_get(const TomlDoc *doc, const char *const *path) {
        TomlValue *v = doc->root;
        for (size_t i = 0; path && path[i]; i++) {
                v = toml_table_find(toml_step(v), path[i]);
                if (!v)
                        return NULL;
        }
        return v;
}

size_t toml_table_size(const TomlValue *table) {
        return table && table->type == TOML_TABLE ? table->n : 0;
}

const char *toml_table_key_at(const TomlValue *table, size_t i) {
        return i < toml_table_size(table) ? table->keys[i] : NULL;
}

const TomlValue *toml_table_value_at(const TomlValue *table, size_t i) {
        return i < toml_table_size(table) ? table->items[i] : NULL;
}

size_t toml_array_size(const TomlValue *array) {
        return array && array->type == TOML_ARRAY ? array->n : 0;
}

const TomlValue *toml_array_at(const TomlValue *array, size_t i) {
        return i < toml_array_size(array) ? array->items[i] : NULL;
}

bool toml_array_is_tables(const TomlValue *array) {
        return array && array->type == TOML_ARRAY && (array->flags & TF_AOT);
}

static int check_type(const TomlValue *v, TomlType t) {
        if (!v)
                return -ENOENT;
        return v->type == t ? 0 : -EMEDIUMTYPE;
}

int toml_value_string_len(const TomlValue *v, const char **ret, size_t *ret_len) {
        int r = check_type(v, TOML_STRING);
        if (r < 0)
                return r;
        *ret = v->str;
        if (ret_len)
                *ret_len = v->len;
        return 0;
}

int toml_value_string(const TomlValue *v, const char **ret) {
        int r = check_type(v, TOML_STRING);
        if (r < 0)
                return r;
        if (memchr(v->str, 0, v->len))
                return -EINVAL;
        *ret = v->str;
        return 0;
}

int toml_value_int(const TomlValue *v, int64_t *ret) {
        int r = check_type(v, TOML_INTEGER);
        if (r >= 0)
                *ret = v->i;
        return r;
}

int toml_value_float(const TomlValue *v, double *ret) {
        if (v && v->type == TOML_INTEGER) {
                *ret = (double) v->i;
                return 0;
        }
        int r = check_type(v, TOML_FLOAT);
        if (r >= 0)
                *ret = v->f;
        return r;
}

int toml_value_bool(const TomlValue *v, bool *ret) {
        int r = check_type(v, TOML_BOOL);
        if (r >= 0)
                *ret = v->b;
        return r;
}

int toml_value_datetime(const TomlValue *v, const char **ret) {
        int r = check_type(v, TOML_DATETIME);
        if (r >= 0)
                *ret = v->str;
        return r;
}

int toml_value_strv(const TomlValue *v, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        int r = check_type(v, TOML_ARRAY);
        if (r < 0)
                return r;
        l = calloc(v->n + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < v->n; i++) {
                const char *s;
                r = toml_value_string(v->items[i], &s);
                if (r < 0)
                        return r;
                l[i] = strdup(s);
                if (!l[i])
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(l);
        return 0;
}

void toml_value_position(const TomlDoc *doc, const TomlValue *v, unsigned *ret_line, unsigned *ret_col) {
        offset_position(doc->text, doc->len, v ? v->start : 0, ret_line, ret_col);
}

void toml_key_position(const TomlDoc *doc, const TomlValue *v, unsigned *ret_line, unsigned *ret_col) {
        offset_position(doc->text, doc->len, v ? v->key_at : 0, ret_line, ret_col);
}

int toml_error_at(const TomlDoc *doc, const TomlValue *v, NvctError *err, int r, const char *fmt, ...) {
        char msg[768];
        unsigned line, col;
        va_list ap;

        va_start(ap, fmt);
        (void) vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        toml_value_position(doc, v, &line, &col);
        return nvct_error_setx(err, r, "%s:%u:%u: %s", doc->filename, line, col, msg);
}

char *toml_value_path(const TomlValue *v) {
        _cleanup_strv_free_ char **parts = NULL;

        for (; v && v->parent; v = v->parent) {
                if (!v->key)
                        continue; /* an element of an array of tables */
                char *k = toml_format_key(v->key);
                if (!k || strv_consume(&parts, k) < 0)
                        return NULL;
        }
        size_t n = strv_length(parts);
        for (size_t i = 0; i < n / 2; i++) {
                char *t = parts[i];
                parts[i] = parts[n - 1 - i];
                parts[n - 1 - i] = t;
        }
        return n ? strv_join(parts, ".") : strdup("");
}

int toml_path_parse(const char *dotted, char ***ret, NvctError *err) {
        TomlDoc d = { .filename = (char *) "key" };
        Parser p = { .s = dotted, .len = strlen(dotted), .doc = &d, .err = err };
        _cleanup_(key_done) Key k = {};

        skip_ws(&p);
        int r = parse_key(&p, &k);
        if (r < 0)
                return r;
        skip_ws(&p);
        if (p.pos != p.len)
                return perr(&p, "unexpected text after key '%s'", dotted);
        *ret = TAKE_PTR(k.parts);
        return 0;
}

/* ---- canonical text for new values ---- */

char *toml_format_string(const char *s) {
        _cleanup_buf_ Buf b = BUF_INIT;

        buf_puts(&b, "\"");
        for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
                switch (*c) {
                case '"': buf_puts(&b, "\\\""); break;
                case '\\': buf_puts(&b, "\\\\"); break;
                case '\b': buf_puts(&b, "\\b"); break;
                case '\t': buf_puts(&b, "\\t"); break;
                case '\n': buf_puts(&b, "\\n"); break;
                case '\f': buf_puts(&b, "\\f"); break;
                case '\r': buf_puts(&b, "\\r"); break;
                default:
                        if (*c < 0x20 || *c == 0x7F)
                                buf_printf(&b, "\\u%04X", *c);
                        else
                                buf_append(&b, (const char *) c, 1);
                }
        }
        buf_puts(&b, "\"");
        return buf_steal(&b);
}

char *toml_format_key(const char *key) {
        return toml_key_is_bare(key) ? strdup(key) : toml_format_string(key);
}

char *toml_format_strv(char *const *l) {
        _cleanup_buf_ Buf b = BUF_INIT;

        buf_puts(&b, "[");
        for (size_t i = 0; l && l[i]; i++) {
                _cleanup_free_ char *s = toml_format_string(l[i]);
                if (!s)
                        return NULL;
                buf_printf(&b, "%s%s", i ? ", " : "", s);
        }
        buf_puts(&b, "]");
        return buf_steal(&b);
}

char *toml_format_int(int64_t i) {
        char *s;
        return asprintf(&s, "%" PRId64, i) < 0 ? NULL : s;
}

char *toml_format_float(double d) {
        char buf[64];

        if (isnan(d))
                return strdup("nan");
        if (isinf(d))
                return strdup(d < 0 ? "-inf" : "inf");
        /* The shortest text that reads back as the same double. */
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, sizeof(buf), "%.*g", prec, d);
                if (strtod(buf, NULL) == d)
                        break;
        }
        size_t n = strlen(buf);
        if (!strpbrk(buf, ".e"))
                (void) snprintf(buf + n, sizeof(buf) - n, ".0");
        return strdup(buf);
}

char *toml_format_bool(bool b) {
        return strdup(b ? "true" : "false");
}
