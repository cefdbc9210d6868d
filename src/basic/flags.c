/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <string.h>

#include "flags.h"
#include "macros.h"
#include "strv.h"

int flag_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
        static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (streq(s, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (streq(s, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

bool flag_is_help(const char *arg) {
        if (!arg || arg[0] != '-')
                return false;
        const char *name = arg + (arg[1] == '-' ? 2 : 1);
        return streq(name, "h") || streq(name, "help");
}

static const Flag *flag_find(const Flag *flags, const char *name, size_t n) {
        for (const Flag *f = flags; f->names; f++)
                for (const char *p = f->names; *p;) {
                        size_t len = strcspn(p, ",");
                        if (len == n && strneq(p, name, n))
                                return f;
                        p += len + (p[len] == ',');
                }
        return NULL;
}

static int flag_store(const Flag *f, const char *value, NvctError *err) {
        switch (f->kind) {
        case FLAG_STRING:
                *(const char **) f->dst = value;
                return 0;
        case FLAG_STRV:
                return strv_extend((char ***) f->dst, value) < 0 ? nvct_error_set(err, ENOMEM, "parse flags") : 0;
        case FLAG_LIST: {
                _cleanup_strv_free_ char **parts = NULL;
                if (strv_split(value, ",", true, &parts) < 0)
                        return nvct_error_set(err, ENOMEM, "parse flags");
                for (char **p = parts; p && *p; p++)
                        if (strv_extend((char ***) f->dst, *p) < 0)
                                return nvct_error_set(err, ENOMEM, "parse flags");
                return 0;
        }
        case FLAG_BOOL:
                break;
        }
        return nvct_error_setx(err, EINVAL, "flag kind %d takes no value", (int) f->kind);
}

int flags_parse(int argc, char *const *argv, const Flag *flags, char ***ret_args, NvctError *err) {
        bool positional_only = false;

        for (int i = 0; i < argc && argv[i]; i++) {
                const char *a = argv[i];
                if (positional_only || a[0] != '-' || streq(a, "-")) {
                        if (!ret_args)
                                return nvct_error_setx(err, EINVAL, "unexpected argument \"%s\"", a);
                        if (strv_extend(ret_args, a) < 0)
                                return nvct_error_set(err, ENOMEM, "parse flags");
                        continue;
                }
                if (streq(a, "--")) {
                        positional_only = true;
                        continue;
                }
                const char *name = a + (a[1] == '-' ? 2 : 1), *eq = strchr(name, '=');
                size_t n = eq ? (size_t) (eq - name) : strlen(name);
                const char *value = eq ? eq + 1 : NULL;
                const Flag *f = n > 0 && name[0] != '-' ? flag_find(flags, name, n) : NULL;
                if (!f)
                        return nvct_error_setx(err, EINVAL, "flag provided but not defined: -%.*s", (int) n, name);
                if (f->kind == FLAG_BOOL) {
                        bool *b = f->dst;
                        if (!value)
                                *b = true;
                        else if (flag_parse_bool(value, b) < 0)
                                return nvct_error_setx(err, EINVAL, "invalid boolean value \"%s\" for -%.*s: parse error",
                                                       value, (int) n, name);
                        continue;
                }
                if (!value) {
                        if (i + 1 >= argc || !argv[i + 1])
                                return nvct_error_setx(err, EINVAL, "flag needs an argument: -%.*s", (int) n, name);
                        value = argv[++i];
                }
                int r = flag_store(f, value, err);
                if (r < 0)
                        return r;
        }
        return 0;
}
