/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strv.h"
#include "toml-private.h"

/*
 * Every edit builds the new text from slices of the old one and re-parses it. The parse is the proof that the
 * edit is sound: a splice that would break the document is reported instead of written, and the tree, spans and
 * sections always describe the text as it is.
 */

static int doc_adopt(TomlDoc *doc, Buf *text, NvctError *err) {
        _cleanup_toml_doc_ TomlDoc *n = NULL;
        NvctError perr = NVCT_ERROR_INIT;

        if (text->oom)
                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
        int r = toml_parse(text->data ? text->data : "", text->len, doc->filename, &n, &perr);
        if (r < 0)
                return nvct_error_setx(err, r, "editing %s would produce invalid TOML: %s", doc->filename,
                                       perr.msg);
        TomlDoc tmp = *doc;
        *doc = *n;
        *n = tmp;
        return 0;
}

static int splice(TomlDoc *doc, size_t a, size_t b, const char *ins, NvctError *err) {
        _cleanup_buf_ Buf t = BUF_INIT;
        buf_append(&t, doc->text, a);
        buf_puts(&t, ins);
        buf_append(&t, doc->text + b, doc->len - b);
        return doc_adopt(doc, &t, err);
}

static bool is_under(const TomlValue *v, const TomlValue *anc) {
        for (; v; v = v->parent)
                if (v == anc)
                        return true;
        return false;
}

static TomlValue *innermost_inline(TomlValue *v) {
        while (v && !(v->flags & TF_INLINE))
                v = v->parent;
        return v;
}

/* The keys leading from anc down to v (both tables on one branch), formatted and joined by '.'. */
static int rel_path(const TomlValue *anc, const TomlValue *v, Buf *out) {
        _cleanup_strv_free_ char **parts = NULL;
        size_t n = 0;

        for (; v && v != anc; v = v->parent)
                if (v->key) {
                        if (strv_extend(&parts, v->key) < 0)
                                return -ENOMEM;
                        n++;
                }
        for (size_t i = n; i > 0; i--) {
                _cleanup_free_ char *k = toml_format_key(parts[i - 1]);
                if (!k)
                        return -ENOMEM;
                buf_puts(out, k);
                buf_puts(out, ".");
        }
        return 0;
}

static int path_text(char *const *path, size_t n, Buf *out) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *k = toml_format_key(path[i]);
                if (!k)
                        return -ENOMEM;
                buf_printf(out, "%s%s", i ? "." : "", k);
        }
        return 0;
}

static int check_value_text(const char *value_text, NvctError *err) {
        _cleanup_buf_ Buf t = BUF_INIT;
        _cleanup_toml_doc_ TomlDoc *d = NULL;
        NvctError perr = NVCT_ERROR_INIT;

        if (strpbrk(value_text, "\r\n"))
                return nvct_error_setx(err, EINVAL, "TOML value must be on one line: %s", value_text);
        buf_printf(&t, "v = %s\n", value_text);
        if (t.oom)
                return nvct_error_set(err, ENOMEM, "check value");
        if (toml_parse(t.data, t.len, "value", &d, &perr) < 0 || toml_table_size(toml_doc_root(d)) != 1)
                return nvct_error_setx(err, EINVAL, "invalid TOML value '%s': %s", value_text, perr.msg);
        return 0;
}

/* Rebuild an inline table's braces from the entries kept, plus one new entry (may be NULL). */
static int inline_rebuild(TomlDoc *doc, TomlValue *it, const TomlValue *drop, const char *add, NvctError *err) {
        _cleanup_buf_ Buf body = BUF_INIT;
        size_t kept = 0;

        buf_puts(&body, "{ ");
        for (size_t i = 0; i < it->n_entries; i++) {
                const TomlEntry *e = &it->entries[i];
                if (drop && is_under(e->leaf, drop))
                        continue;
                if (kept++)
                        buf_puts(&body, ", ");
                buf_append(&body, doc->text + e->start, e->end - e->start);
        }
        if (add) {
                buf_printf(&body, "%s%s", kept++ ? ", " : "", add);
        }
        buf_puts(&body, kept ? " }" : "}");
        if (body.oom)
                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
        if (!kept)
                return splice(doc, it->start, it->end, "{}", err);
        return splice(doc, it->start, it->end, body.data, err);
}

/* The indentation of the section's last key line (or of its header), so an added key lines up. */
static size_t section_indent(const TomlDoc *doc, const TomlValue *section, const char **ret) {
        size_t from = section->start;
        for (size_t i = doc->n_stmts; i > 0; i--)
                if (doc->stmts[i - 1].section == section) {
                        from = doc->stmts[i - 1].line_start;
                        break;
                }
        *ret = doc->text + from;
        if (from == section->start && (section->flags & TF_ROOT))
                return 0;
        return strspn(doc->text + from, " \t");
}

static int insert_line(TomlDoc *doc, const TomlValue *section, const char *line, NvctError *err) {
        _cleanup_buf_ Buf t = BUF_INIT;
        size_t at = section->body_end;
        const char *indent;
        size_t ni = section_indent(doc, section, &indent);

        buf_append(&t, doc->text, at);
        /* A statement at the root's very start (after a byte order mark, if any) needs no line break first. */
        if (at > 0 && doc->text[at - 1] != '\n' && !((section->flags & TF_ROOT) && at == section->body_start))
                buf_puts(&t, "\n");
        buf_append(&t, indent, ni);
        buf_printf(&t, "%s\n", line);
        buf_append(&t, doc->text + at, doc->len - at);
        return doc_adopt(doc, &t, err);
}

static int append_table(TomlDoc *doc, char *const *path, size_t n, const char *line, NvctError *err) {
        _cleanup_buf_ Buf t = BUF_INIT;
        buf_append(&t, doc->text, doc->len);
        if (doc->len > 0 && doc->text[doc->len - 1] != '\n')
                buf_puts(&t, "\n");
        if (doc->len > 0)
                buf_puts(&t, "\n");
        buf_puts(&t, "[");
        if (path_text(path, n, &t) < 0)
                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
        buf_printf(&t, "]\n%s\n", line);
        return doc_adopt(doc, &t, err);
}

/* A commented-out "#key = ..." line of this section, which a new key takes the place of. */
static const TomlComment *find_commented(const TomlDoc *doc, const TomlValue *section, const char *key) {
        size_t kl = strlen(key);

        if (!toml_key_is_bare(key))
                return NULL;
        for (size_t i = 0; i < doc->n_comments; i++) {
                const TomlComment *c = &doc->comments[i];
                if (c->section != section)
                        continue;
                const char *s = doc->text + c->body;
                s += strspn(s, " \t");
                if (strncmp(s, key, kl) != 0)
                        continue;
                s += kl;
                s += strspn(s, " \t");
                if (*s == '=')
                        return c;
        }
        return NULL;
}

/* Add key = value to the existing table t (absolute path given for the case it needs a header). */
static int add_key(TomlDoc *doc, TomlValue *t, char *const *tpath, size_t tn, const char *key, const char *value,
                   NvctError *err) {
        _cleanup_free_ char *k = toml_format_key(key);
        _cleanup_buf_ Buf line = BUF_INIT;

        if (!k)
                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
        if (t->flags & TF_SEALED) {
                TomlValue *it = innermost_inline(t);
                if (!it)
                        return nvct_error_setx(err, EINVAL, "%s: cannot add keys to a table inside an array",
                                               doc->filename);
                if (rel_path(it, t, &line) < 0)
                        return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
                buf_printf(&line, "%s = %s", k, value);
                return line.oom ? nvct_error_set(err, ENOMEM, "edit %s", doc->filename)
                                : inline_rebuild(doc, it, NULL, line.data, err);
        }
        if (t->flags & TF_DOTTED) {
                if (rel_path(t->owner, t, &line) < 0)
                        return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
                buf_printf(&line, "%s = %s", k, value);
                return line.oom ? nvct_error_set(err, ENOMEM, "edit %s", doc->filename)
                                : insert_line(doc, t->owner, line.data, err);
        }
        buf_printf(&line, "%s = %s", k, value);
        if (line.oom)
                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
        if (t->flags & TF_IMPLICIT)
                return append_table(doc, tpath, tn, line.data, err);
        const TomlComment *c = find_commented(doc, t, key);
        if (c) {
                buf_puts(&line, "\n");
                return line.oom ? nvct_error_set(err, ENOMEM, "edit %s", doc->filename)
                                : splice(doc, c->line_start, c->line_end, line.data, err);
        }
        return insert_line(doc, t, line.data, err);
}

int toml_set(TomlDoc *doc, const char *const *cpath, const char *value_text, NvctError *err) {
        char *const *path = (char *const *) cpath;
        size_t n = strv_length(path);
        TomlValue *cur = doc->root;
        size_t i;
        int r;

        if (n == 0)
                return nvct_error_setx(err, EINVAL, "%s: empty key path", doc->filename);
        r = check_value_text(value_text, err);
        if (r < 0)
                return r;
        for (i = 0; i + 1 < n; i++) {
                TomlValue *c = toml_table_find(cur, path[i]);
                if (!c)
                        break;
                c = toml_step(c);
                if (c->type != TOML_TABLE)
                        return toml_error_at(doc, c, err, ENOTDIR, "'%s' is %s, not a table", path[i],
                                             toml_type_name(c->type));
                cur = c;
        }
        const char *last = path[n - 1];
        if (i + 1 < n) {
                /* Tables are missing from path[i] on. */
                if (cur->flags & TF_SEALED) {
                        TomlValue *it = innermost_inline(cur);
                        _cleanup_buf_ Buf e = BUF_INIT;
                        if (!it)
                                return nvct_error_setx(err, EINVAL, "%s: cannot add keys to a table inside an array",
                                                       doc->filename);
                        if (rel_path(it, cur, &e) < 0 || path_text(path + i, n - i, &e) < 0)
                                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
                        buf_printf(&e, " = %s", value_text);
                        return e.oom ? nvct_error_set(err, ENOMEM, "edit %s", doc->filename)
                                     : inline_rebuild(doc, it, NULL, e.data, err);
                }
                _cleanup_free_ char *k = toml_format_key(last);
                _cleanup_free_ char *line = NULL;
                if (!k || asprintf(&line, "%s = %s", k, value_text) < 0)
                        return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
                return append_table(doc, path, n - 1, line, err);
        }
        TomlValue *x = toml_table_find(cur, last);
        if (!x)
                return add_key(doc, cur, path, n - 1, last, value_text, err);
        if ((x->type == TOML_TABLE && !(x->flags & TF_INLINE)) || (x->flags & TF_AOT))
                return toml_error_at(doc, x, err, EISDIR, "cannot set '%s': it is %s", last,
                                     x->type == TOML_TABLE ? "a table" : "an array of tables");
        return splice(doc, x->start, x->end, value_text, err);
}

int toml_set_string(TomlDoc *doc, const char *const *path, const char *s, NvctError *err) {
        /* Non-ASCII text is written as is; the re-parse refuses it when it is not valid UTF-8. */
        _cleanup_free_ char *t = toml_format_string(s);
        if (!t)
                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
        return toml_set(doc, path, t, err);
}

int toml_set_bool(TomlDoc *doc, const char *const *path, bool b, NvctError *err) {
        return toml_set(doc, path, b ? "true" : "false", err);
}

int toml_set_int(TomlDoc *doc, const char *const *path, int64_t i, NvctError *err) {
        _cleanup_free_ char *t = toml_format_int(i);
        if (!t)
                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
        return toml_set(doc, path, t, err);
}

int toml_set_strv(TomlDoc *doc, const char *const *path, char *const *l, NvctError *err) {
        _cleanup_free_ char *t = toml_format_strv(l);
        if (!t)
                return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
        return toml_set(doc, path, t, err);
}

typedef struct Range {
        size_t a, b;
} Range;

static int range_cmp(const void *x, const void *y) {
        const Range *p = x, *q = y;
        return p->a < q->a ? -1 : p->a > q->a;
}

int toml_remove(TomlDoc *doc, const char *const *cpath, NvctError *err) {
        char *const *path = (char *const *) cpath;
        size_t n = strv_length(path), nr = 0, cap = 0;
        _cleanup_free_ Range *rs = NULL;
        TomlValue *x = doc->root;

        if (n == 0)
                return nvct_error_setx(err, EINVAL, "%s: empty key path", doc->filename);
        for (size_t i = 0; i < n; i++) {
                x = toml_table_find(i ? toml_step(x) : x, path[i]);
                if (!x)
                        return 0;
        }
        if (x->parent->flags & TF_SEALED) {
                TomlValue *it = innermost_inline(x->parent);
                if (!it)
                        return nvct_error_setx(err, EINVAL, "%s: cannot remove a key inside an array",
                                               doc->filename);
                int r = inline_rebuild(doc, it, x, NULL, err);
                return r < 0 ? r : 1;
        }
        for (size_t i = 0; i < doc->n_stmts + doc->n_sections; i++) {
                Range g;
                if (i < doc->n_stmts) {
                        if (!is_under(doc->stmts[i].leaf, x))
                                continue;
                        g = (Range) { doc->stmts[i].line_start, doc->stmts[i].line_end };
                } else {
                        const TomlValue *s = doc->sections[i - doc->n_stmts];
                        if (!is_under(s, x))
                                continue;
                        g = (Range) { s->start, s->region_end };
                }
                if (toml_grow((void **) &rs, &cap, nr, sizeof(Range)) < 0)
                        return nvct_error_set(err, ENOMEM, "edit %s", doc->filename);
                rs[nr++] = g;
        }
        if (nr > 0) /* qsort wants a non-NULL base even for zero elements, and rs is NULL then */
                qsort(rs, nr, sizeof(Range), range_cmp);
        _cleanup_buf_ Buf t = BUF_INIT;
        size_t pos = 0;
        for (size_t i = 0; i < nr; i++) {
                if (rs[i].a > pos)
                        buf_append(&t, doc->text + pos, rs[i].a - pos);
                pos = MAX(pos, rs[i].b);
        }
        buf_append(&t, doc->text + pos, doc->len - pos);
        int r = doc_adopt(doc, &t, err);
        return r < 0 ? r : 1;
}
