/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "strv.h"

#define UNDO_FORMAT 1

json_t *nvct_undo_new(const char *engine) {
        return json_pack("{s:i, s:s, s:b, s:[]}", "nvct-undo", UNDO_FORMAT, "engine", engine, "created", 0,
                         "edits");
}

int nvct_undo_parse(const char *text, size_t len, const char *filename, const char *engine, json_t **ret,
                    NvctError *err) {
        json_error_t jerr;
        json_t *j = json_loadb(text, len, 0, &jerr);
        if (!j)
                return nvct_error_setx(err, EBADMSG, "%s:%d:%d: %s", filename, jerr.line, jerr.column, jerr.text);
        json_t *fmt = json_object_get(j, "nvct-undo"), *eng = json_object_get(j, "engine");
        if (!json_is_integer(fmt) || json_integer_value(fmt) != UNDO_FORMAT || !json_is_string(eng) ||
            !json_is_array(json_object_get(j, "edits"))) {
                json_decref(j);
                return nvct_error_setx(err, EBADMSG, "%s: not an nvct undo journal of format %d", filename,
                                       UNDO_FORMAT);
        }
        if (!streq(json_string_value(eng), engine)) {
                int r = nvct_error_setx(err, EINVAL, "%s: the journal is for %s, not %s", filename,
                                        json_string_value(eng), engine);
                json_decref(j);
                return r;
        }
        *ret = j;
        return 0;
}

size_t nvct_undo_n_edits(const json_t *undo) {
        return json_array_size(json_object_get(undo, "edits"));
}

static json_t *path_json(const char *const *path) {
        json_t *a = json_array();
        for (size_t i = 0; a && path[i]; i++)
                if (json_array_append_new(a, json_string(path[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
        return a;
}

static json_t *find_edit(json_t *edits, const char *op, const json_t *path) {
        size_t i;
        json_t *e;
        json_array_foreach(edits, i, e)
                if (json_equal(json_object_get(e, "path"), path) &&
                    streq(json_string_value(json_object_get(e, "op")) ?: "", op))
                        return e;
        return NULL;
}

/*
 * A key set twice: when the second splice falls inside the text the first one inserted, fold it in, so revert
 * still removes exactly what was added; otherwise the first splice no longer describes the text.
 */
static void merge_delta(json_t *e, const json_t *second) {
        json_t *first = json_object_get(e, "delta");
        const char *ins1 = json_string_value(json_object_get(first, "ins"));
        const char *del2 = json_string_value(json_object_get(second, "del"));
        const char *ins2 = json_string_value(json_object_get(second, "ins"));
        json_int_t at1 = json_integer_value(json_object_get(first, "at"));
        json_int_t at2 = json_integer_value(json_object_get(second, "at"));
        _cleanup_free_ char *merged = NULL;

        if (ins1 && del2 && ins2 && at2 >= at1 && (size_t) (at2 - at1) + strlen(del2) <= strlen(ins1) &&
            asprintf(&merged, "%.*s%s%s", (int) (at2 - at1), ins1, ins2, ins1 + (at2 - at1) + strlen(del2)) >= 0 &&
            json_object_set_new(first, "ins", json_string(merged)) >= 0)
                return;
        (void) json_object_del(e, "delta");
}

int nvct_undo_record_set(json_t *undo, const char *const *path, json_t *prior, json_t *ours, unsigned parents,
                         json_t *delta) {
        json_t *edits = json_object_get(undo, "edits");
        json_t *p = path_json(path);
        if (!p || !ours)
                goto oom;
        json_t *e = find_edit(edits, "set", p);
        if (e) {
                json_decref(p);
                json_decref(prior);
                merge_delta(e, delta);
                json_decref(delta);
                return json_object_set_new(e, "ours", ours) < 0 ? -ENOMEM : 0;
        }
        e = json_pack("{s:s, s:o, s:o, s:i}", "op", "set", "path", p, "ours", ours, "parents", (int) parents);
        p = ours = NULL;
        if (!e)
                goto oom;
        if (prior && json_object_set_new(e, "prior", prior) < 0) {
                prior = NULL;
                json_decref(e);
                goto oom;
        }
        if (delta && json_object_set_new(e, "delta", delta) < 0) {
                json_decref(e);
                return -ENOMEM;
        }
        return json_array_append_new(edits, e) < 0 ? -ENOMEM : 0;
oom:
        json_decref(p);
        json_decref(prior);
        json_decref(ours);
        json_decref(delta);
        return -ENOMEM;
}

int nvct_undo_record_append(json_t *undo, const char *const *path, const char *element, bool key_existed) {
        json_t *edits = json_object_get(undo, "edits");
        json_t *p = path_json(path);
        if (!p)
                return -ENOMEM;
        json_t *e = json_pack("{s:s, s:o, s:s, s:b}", "op", "append", "path", p, "element", element, "existed",
                              key_existed);
        if (!e)
                return -ENOMEM;
        return json_array_append_new(edits, e) < 0 ? -ENOMEM : 0;
}

void nvct_undo_edit_clear(NvctUndoEdit *e) {
        e->path = strv_free(e->path);
}

int nvct_undo_edit_at(const json_t *undo, size_t i, NvctUndoEdit *ret, NvctError *err) {
        json_t *e = json_array_get(json_object_get(undo, "edits"), i);
        json_t *p = json_object_get(e, "path"), *c;
        const char *op = json_string_value(json_object_get(e, "op"));
        size_t k;

        *ret = (NvctUndoEdit) {};
        if (!op || !json_is_array(p) || json_array_size(p) == 0)
                goto bad;
        json_array_foreach(p, k, c)
                if (!json_is_string(c) || strv_extend(&ret->path, json_string_value(c)) < 0)
                        goto bad;
        if (streq(op, "set")) {
                ret->ours = json_object_get(e, "ours");
                ret->prior = json_object_get(e, "prior");
                json_t *n = json_object_get(e, "parents");
                if (!ret->ours || !json_is_integer(n) || json_integer_value(n) < 0 ||
                    (size_t) json_integer_value(n) >= json_array_size(p))
                        goto bad;
                ret->parents = (unsigned) json_integer_value(n);
                json_t *d = json_object_get(e, "delta");
                json_t *at = json_object_get(d, "at");
                ret->delta_del = json_string_value(json_object_get(d, "del"));
                ret->delta_ins = json_string_value(json_object_get(d, "ins"));
                ret->has_delta = json_is_integer(at) && json_integer_value(at) >= 0 && ret->delta_del &&
                                 ret->delta_ins;
                ret->delta_at = ret->has_delta ? (size_t) json_integer_value(at) : 0;
                return 0;
        }
        if (streq(op, "append")) {
                ret->append = true;
                ret->ours = json_object_get(e, "element");
                ret->key_existed = json_is_true(json_object_get(e, "existed"));
                if (json_is_string(ret->ours))
                        return 0;
        }
bad:
        nvct_undo_edit_clear(ret);
        return nvct_error_setx(err, EBADMSG, "undo journal: edit %zu is malformed", i);
}

/* --- TOML --- */

static void value_text(Buf *b, const TomlValue *v);

static void table_inline_text(Buf *b, const TomlValue *t) {
        buf_puts(b, "{");
        for (size_t i = 0; i < toml_table_size(t); i++) {
                _cleanup_free_ char *k = toml_format_key(toml_table_key_at(t, i));
                if (!k) {
                        b->oom = 1;
                        return;
                }
                buf_printf(b, "%s%s = ", i ? ", " : " ", k);
                value_text(b, toml_table_value_at(t, i));
        }
        buf_puts(b, toml_table_size(t) ? " }" : "}");
}

static void value_text(Buf *b, const TomlValue *v) {
        _cleanup_free_ char *s = NULL;
        const char *str;
        int64_t i;
        double d;
        bool bo;

        switch (toml_value_type(v)) {
        case TOML_STRING:
                if (toml_value_string(v, &str) >= 0)
                        s = toml_format_string(str);
                break;
        case TOML_INTEGER:
                if (toml_value_int(v, &i) >= 0)
                        s = toml_format_int(i);
                break;
        case TOML_FLOAT:
                if (toml_value_float(v, &d) >= 0)
                        s = toml_format_float(d);
                break;
        case TOML_BOOL:
                if (toml_value_bool(v, &bo) >= 0)
                        s = toml_format_bool(bo);
                break;
        case TOML_DATETIME:
                if (toml_value_datetime(v, &str) >= 0)
                        s = strdup(str);
                break;
        case TOML_ARRAY:
                buf_puts(b, "[");
                for (size_t k = 0; k < toml_array_size(v); k++) {
                        if (k)
                                buf_puts(b, ", ");
                        value_text(b, toml_array_at(v, k));
                }
                buf_puts(b, "]");
                return;
        case TOML_TABLE:
                table_inline_text(b, v);
                return;
        }
        if (!s)
                b->oom = 1;
        else
                buf_puts(b, s);
}

char *nvct_toml_value_text(const TomlValue *v) {
        Buf b = BUF_INIT;
        value_text(&b, v);
        return buf_steal(&b);
}

/* How many trailing components of path's parent do not exist yet. */
static unsigned missing_parents(const TomlDoc *doc, const char *const *path) {
        size_t n = strv_length((char *const *) path);
        const TomlValue *t = toml_doc_root(doc);
        size_t have = 0;
        for (; have + 1 < n; have++) {
                t = toml_table_get(t, path[have]);
                if (!nvct_toml_is_table(t))
                        break;
        }
        return (unsigned) (n - 1 - have);
}

int nvct_toml_set(TomlDoc *doc, const char *const *path, const char *text, json_t *undo, NvctError *err) {
        const TomlValue *cur = toml_get(doc, path);
        _cleanup_free_ char *cur_text = cur ? nvct_toml_value_text(cur) : NULL;
        unsigned parents = missing_parents(doc, path);
        int r;

        if (cur && !cur_text)
                return nvct_error_set(err, ENOMEM, "%s", toml_doc_filename(doc));
        if (cur_text && streq(cur_text, text))
                return 0;
        size_t old_len;
        const char *t = toml_doc_text(doc, &old_len);
        _cleanup_free_ char *old = undo ? strndup(t, old_len) : NULL;
        if (undo && !old)
                return nvct_error_set(err, ENOMEM, "%s", toml_doc_filename(doc));
        r = toml_set(doc, path, text, err);
        if (r < 0)
                return r;
        if (!undo)
                return 1;
        size_t new_len, pre = 0, suf = 0;
        const char *nt = toml_doc_text(doc, &new_len);
        while (pre < old_len && pre < new_len && old[pre] == nt[pre])
                pre++;
        while (suf < old_len - pre && suf < new_len - pre && old[old_len - 1 - suf] == nt[new_len - 1 - suf])
                suf++;
        json_t *delta = json_pack("{s:I, s:s%, s:s%}", "at", (json_int_t) pre, "del", old + pre,
                                  old_len - pre - suf, "ins", nt + pre, new_len - pre - suf);
        _cleanup_free_ char *ours = nvct_toml_value_text(toml_get(doc, path));
        if (!ours || !delta ||
            nvct_undo_record_set(undo, path, cur_text ? json_string(cur_text) : NULL, json_string(ours), parents,
                                 delta) < 0)
                return nvct_error_set(err, ENOMEM, "%s: journal the edit", toml_doc_filename(doc));
        return 1;
}

/* *dst holds n keys: the destination path of src, extended by one key per level on the way down. */
static int copy_table(TomlDoc *doc, char ***dst, size_t n, const TomlValue *src, json_t *undo, NvctError *err) {
        int changed = 0, r;

        for (size_t i = 0; i < toml_table_size(src); i++) {
                const TomlValue *v = toml_table_value_at(src, i);
                if (strv_extend(dst, toml_table_key_at(src, i)) < 0)
                        return nvct_error_set(err, ENOMEM, "copy table");
                assert(*dst); /* for the analyzer, which cannot see into strv_extend */
                if (toml_value_type(v) == TOML_TABLE)
                        r = copy_table(doc, dst, n + 1, v, undo, err);
                else {
                        _cleanup_free_ char *t = nvct_toml_value_text(v);
                        r = t ? nvct_toml_set(doc, (const char *const *) *dst, t, undo, err) :
                                nvct_error_set(err, ENOMEM, "copy table");
                }
                free((*dst)[n]);
                (*dst)[n] = NULL;
                if (r < 0)
                        return r;
                changed |= r;
        }
        return changed;
}

int nvct_toml_copy_table(TomlDoc *doc, const char *const *dst_path, const TomlDoc *src, const char *const *src_path,
                         json_t *undo, NvctError *err) {
        _cleanup_strv_free_ char **dst = strv_copy((char *const *) dst_path);
        _cleanup_toml_doc_ TomlDoc *snap = NULL;
        size_t len;
        const char *text = toml_doc_text(src, &len);

        if (!dst)
                return nvct_error_set(err, ENOMEM, "copy table");
        int r = toml_parse(text, len, toml_doc_filename(src), &snap, err);
        if (r < 0)
                return r;
        const TomlValue *t = toml_get(snap, src_path);
        return nvct_toml_is_table(t) ? copy_table(doc, &dst, strv_length(dst), t, undo, err) : 0;
}

static int prune_parents(TomlDoc *doc, char **path, unsigned parents, NvctError *err) {
        size_t n = strv_length(path);
        for (unsigned k = 1; k <= parents && k < n; k++) {
                char *saved = path[n - k];
                path[n - k] = NULL;
                const TomlValue *t = toml_get(doc, (const char *const *) path);
                int r = 0;
                if (nvct_toml_is_table(t) && toml_table_size(t) == 0)
                        r = toml_remove(doc, (const char *const *) path, err);
                path[n - k] = saved;
                if (r < 0)
                        return r;
                if (!nvct_toml_is_table(t) || toml_table_size(t) != 0)
                        break;
        }
        return 0;
}

static int revert_append(TomlDoc *doc, const NvctUndoEdit *e, NvctError *err) {
        const char *const *path = (const char *const *) e->path;
        _cleanup_strv_free_ char **l = NULL, **out = NULL;
        const char *el = json_string_value(e->ours);
        bool found = false;

        if (toml_value_strv(toml_get(doc, path), &l) < 0)
                return 0;
        for (size_t i = 0; l && l[i]; i++) {
                if (!found && streq(l[i], el)) {
                        found = true;
                        continue;
                }
                if (strv_extend(&out, l[i]) < 0)
                        return nvct_error_set(err, ENOMEM, "revert");
        }
        if (!found)
                return 0;
        if (!out && !e->key_existed) {
                int r = toml_remove(doc, path, err);
                return r < 0 ? r : 1;
        }
        int r = toml_set_strv(doc, path, out ?: (char *[]) { NULL }, err);
        return r < 0 ? r : 1;
}

/* Undo the edit's text splice, when the file still holds its text there and the result has the prior value. */
static int revert_delta(TomlDoc **doc, const NvctUndoEdit *e) {
        size_t len, ilen = e->has_delta ? strlen(e->delta_ins) : 0;
        const char *t = toml_doc_text(*doc, &len);
        _cleanup_free_ char *was = NULL;
        _cleanup_buf_ Buf b = BUF_INIT;
        TomlDoc *n = NULL;

        if (!e->has_delta || e->delta_at > len || ilen > len - e->delta_at ||
            memcmp(t + e->delta_at, e->delta_ins, ilen) != 0)
                return 0;
        buf_append(&b, t, e->delta_at);
        buf_puts(&b, e->delta_del);
        buf_append(&b, t + e->delta_at + ilen, len - e->delta_at - ilen);
        if (b.oom || toml_parse(b.data ?: "", b.len, toml_doc_filename(*doc), &n, NULL) < 0)
                return 0;
        const TomlValue *v = toml_get(n, (const char *const *) e->path);
        was = v ? nvct_toml_value_text(v) : NULL;
        if (e->prior ? !was || !streq(was, json_string_value(e->prior) ?: "") : v != NULL) {
                toml_doc_free(n);
                return 0;
        }
        toml_doc_free(*doc);
        *doc = n;
        return 1;
}

static int revert_set(TomlDoc **docp, NvctUndoEdit *e, NvctError *err) {
        const char *const *path = (const char *const *) e->path;
        const TomlValue *cur = toml_get(*docp, path);
        _cleanup_free_ char *cur_text = cur ? nvct_toml_value_text(cur) : NULL;
        int r;

        if (!cur_text || !json_is_string(e->ours) || !streq(cur_text, json_string_value(e->ours)))
                return 0;
        if (revert_delta(docp, e))
                return 1;
        TomlDoc *doc = *docp;
        if (json_is_string(e->prior))
                r = toml_set(doc, path, json_string_value(e->prior), err);
        else {
                r = toml_remove(doc, path, err);
                if (r >= 0)
                        r = prune_parents(doc, e->path, e->parents, err);
        }
        return r < 0 ? r : 1;
}

int nvct_toml_revert(TomlDoc **doc, const json_t *undo, unsigned *ret_kept, NvctError *err) {
        int undone = 0;
        unsigned kept = 0;

        for (size_t i = nvct_undo_n_edits(undo); i > 0; i--) {
                NvctUndoEdit e;
                int r = nvct_undo_edit_at(undo, i - 1, &e, err);
                if (r < 0)
                        return r;
                r = e.append ? revert_append(*doc, &e, err) : revert_set(doc, &e, err);
                nvct_undo_edit_clear(&e);
                if (r < 0)
                        return r;
                if (r == 0 && !e.append)
                        kept++;
                undone += r;
        }
        if (ret_kept)
                *ret_kept = kept;
        return undone;
}

bool nvct_text_is_blank(const char *text, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (!strchr(" \t\r\n", text[i]))
                        return false;
        return true;
}

/* --- unified diff --- */

typedef struct Lines {
        const char **p;
        size_t *len;
        size_t n;
        bool no_eol; /* the last line has no newline */
} Lines;

static void lines_free(Lines *l) {
        free(l->p);
        free(l->len);
}

static int lines_split(const char *s, Lines *l) {
        size_t cap = 16;
        *l = (Lines) {};
        if (!s)
                return 0;
        l->p = malloc(cap * sizeof(*l->p));
        l->len = malloc(cap * sizeof(*l->len));
        while (l->p && l->len && *s) {
                const char *nl = strchr(s, '\n');
                size_t n = nl ? (size_t) (nl - s) + 1 : strlen(s);
                if (l->n == cap) {
                        cap *= 2;
                        const char **np = realloc(l->p, cap * sizeof(*l->p));
                        if (np)
                                l->p = np;
                        size_t *nn = realloc(l->len, cap * sizeof(*l->len));
                        if (nn)
                                l->len = nn;
                        if (!np || !nn)
                                break;
                }
                l->p[l->n] = s;
                l->len[l->n++] = n;
                l->no_eol = !nl;
                s += n;
                if (!*s)
                        return 0;
        }
        if (l->p && l->len && !*s)
                return 0;
        lines_free(l);
        return -ENOMEM;
}

static bool line_eq(const Lines *a, size_t i, const Lines *b, size_t j) {
        return a->len[i] == b->len[j] && memcmp(a->p[i], b->p[j], a->len[i]) == 0;
}

/* ops: '=' (a and b advance), '-' (a), '+' (b). An LCS over the part between the common prefix and suffix,
 * or, when that part is too big for the table, all of it replaced. */
static int diff_ops(const Lines *a, const Lines *b, char **ret, size_t *ret_n) {
        size_t pre = 0, suf = 0;
        while (pre < a->n && pre < b->n && line_eq(a, pre, b, pre))
                pre++;
        while (suf < a->n - pre && suf < b->n - pre && line_eq(a, a->n - 1 - suf, b, b->n - 1 - suf))
                suf++;
        size_t n = a->n - pre - suf, m = b->n - pre - suf, k = 0;
        char *ops = malloc(a->n + b->n + 1);
        if (!ops)
                return -ENOMEM;
        memset(ops, '=', pre);
        k = pre;
        uint32_t *t = (n + 1) * (m + 1) <= (4u << 20) ? calloc((n + 1) * (m + 1), sizeof(uint32_t)) : NULL;
        if (t) {
#define T(i, j) t[(i) * (m + 1) + (j)]
                for (size_t i = n; i-- > 0;)
                        for (size_t j = m; j-- > 0;)
                                T(i, j) = line_eq(a, pre + i, b, pre + j) ? T(i + 1, j + 1) + 1 :
                                                                            MAX(T(i + 1, j), T(i, j + 1));
                size_t i = 0, j = 0;
                while (i < n || j < m) {
                        if (i < n && j < m && line_eq(a, pre + i, b, pre + j)) {
                                ops[k++] = '=';
                                i++, j++;
                        } else if (i < n && (j == m || T(i + 1, j) >= T(i, j + 1))) {
                                ops[k++] = '-';
                                i++;
                        } else {
                                ops[k++] = '+';
                                j++;
                        }
                }
#undef T
                free(t);
        } else {
                memset(ops + k, '-', n);
                memset(ops + k + n, '+', m);
                k += n + m;
        }
        memset(ops + k, '=', suf);
        *ret = ops;
        *ret_n = k + suf;
        return 0;
}

static void emit_line(Buf *out, char tag, const Lines *l, size_t i) {
        /* diff_ops emits exactly a->n '=' or '-' and b->n '=' or '+', so i never runs past the side it indexes */
        assert(i < l->n);
        buf_printf(out, "%c%.*s", tag, (int) l->len[i], l->p[i]);
        if (i + 1 == l->n && l->no_eol)
                buf_puts(out, "\n\\ No newline at end of file\n");
}

#define DIFF_CONTEXT 3

static void emit_hunks(Buf *out, const char *ops, size_t nops, const Lines *a, const Lines *b) {
        size_t k = 0, ai = 0, bi = 0;
        while (k < nops) {
                if (ops[k] == '=') {
                        k++, ai++, bi++;
                        continue;
                }
                /* a hunk: back up the context, then extend while changes are within 2*context */
                size_t back = MIN(ai, (size_t) DIFF_CONTEXT), end = k;
                size_t s = k - back, sa = ai - back, sb = bi - back;
                for (size_t eq = 0; end < nops && (ops[end] != '=' || eq < 2 * DIFF_CONTEXT); end++)
                        eq = ops[end] == '=' ? eq + 1 : 0;
                while (end > k && ops[end - 1] == '=')
                        end--;
                size_t stop = MIN(nops, end + DIFF_CONTEXT), na = 0, nb = 0;
                for (size_t x = s; x < stop; x++) {
                        na += ops[x] != '+';
                        nb += ops[x] != '-';
                }
                buf_printf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? sa + 1 : sa, na, nb ? sb + 1 : sb, nb);
                for (size_t x = s; x < stop; x++) {
                        if (ops[x] == '=') {
                                emit_line(out, ' ', a, sa++);
                                sb++;
                        } else if (ops[x] == '-')
                                emit_line(out, '-', a, sa++);
                        else
                                emit_line(out, '+', b, sb++);
                }
                k = stop, ai = sa, bi = sb;
        }
}

int nvct_unified_diff(const char *a, const char *b, const char *label_a, const char *label_b, char **ret) {
        Lines la, lb;
        _cleanup_free_ char *ops = NULL;
        size_t nops;
        Buf out = BUF_INIT;

        if (streq(a ? a : "", b ? b : "")) {
                *ret = strdup("");
                return *ret ? 0 : -ENOMEM;
        }
        if (lines_split(a, &la) < 0)
                return -ENOMEM;
        if (lines_split(b, &lb) < 0) {
                lines_free(&la);
                return -ENOMEM;
        }
        int r = diff_ops(&la, &lb, &ops, &nops);
        if (r >= 0) {
                buf_printf(&out, "--- %s\n+++ %s\n", a ? label_a : "/dev/null", b ? label_b : "/dev/null");
                emit_hunks(&out, ops, nops, &la, &lb);
                *ret = buf_steal(&out);
                r = *ret ? 0 : -ENOMEM;
        }
        lines_free(&la);
        lines_free(&lb);
        return r;
}

bool nvct_engine_is_ours(const char *text) {
        return text && strneq(text, NVCT_ENGINE_MARKER, strlen(NVCT_ENGINE_MARKER));
}

int nvct_toml_strv_remove(TomlDoc *doc, const char *const *path, const char *s, NvctError *err) {
        _cleanup_strv_free_ char **l = NULL, **out = NULL;
        bool found = false;

        if (toml_value_strv(toml_get(doc, path), &l) < 0)
                return 0;
        for (size_t i = 0; l && l[i]; i++) {
                if (streq(l[i], s))
                        found = true;
                else if (strv_extend(&out, l[i]) < 0)
                        return nvct_error_set(err, ENOMEM, "%s", toml_doc_filename(doc));
        }
        if (!found)
                return 0;
        int r = toml_set_strv(doc, path, out ?: (char *[]) { NULL }, err);
        return r < 0 ? r : 1;
}
