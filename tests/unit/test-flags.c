/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flags.h"
#include "strv.h"

typedef struct Parsed {
        const char *output;
        char **list, **strv, **args;
        bool dry_run, help;
} Parsed;

static void parsed_done(Parsed *p) {
        strv_free(p->list);
        strv_free(p->strv);
        strv_free(p->args);
}

static int parse(Parsed *p, bool positional, NvctError *err, ...) {
        char *argv[32];
        int argc = 0;
        va_list ap;
        va_start(ap, err);
        for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
                argv[argc++] = a;
        va_end(ap);
        argv[argc] = NULL;
        const Flag flags[] = {
                { "output,o", &p->output, FLAG_STRING },
                { "device-id,device-ids", &p->list, FLAG_LIST },
                { "set", &p->strv, FLAG_STRV },
                { "dry-run", &p->dry_run, FLAG_BOOL },
                { "help,h", &p->help, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };
        *p = (Parsed) {};
        nvct_error_clear(err);
        return flags_parse(argc, argv, flags, positional ? &p->args : NULL, err);
}

static void test_go_syntax(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        Parsed p;

        assert_int_equal(parse(&p, true, &err, "-o", "a", "--output=b", "pos1", "--dry-run", "-device-id=0,,1",
                               "--device-ids", "2", "--set", "k=a,b", "-set=x", "--", "-h", NULL),
                         0);
        assert_string_equal(p.output, "b");
        assert_true(p.dry_run);
        assert_false(p.help); /* after "--" it is an argument */
        assert_int_equal(strv_length(p.list), 3);
        assert_string_equal(p.list[0], "0");
        assert_string_equal(p.list[1], "1");
        assert_string_equal(p.list[2], "2");
        assert_int_equal(strv_length(p.strv), 2);
        assert_string_equal(p.strv[0], "k=a,b");
        assert_string_equal(p.strv[1], "x");
        assert_int_equal(strv_length(p.args), 2);
        assert_string_equal(p.args[0], "pos1");
        assert_string_equal(p.args[1], "-h");
        parsed_done(&p);

        /* "-" is an argument (standard input); an empty value is a value */
        assert_int_equal(parse(&p, true, &err, "-", "--output=", NULL), 0);
        assert_string_equal(p.output, "");
        assert_string_equal(p.args[0], "-");
        parsed_done(&p);
}

static void test_booleans(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        Parsed p;
        static const char *const yes[] = { "--dry-run=1", "--dry-run=t", "--dry-run=T", "--dry-run=TRUE",
                                           "--dry-run=true", "--dry-run=True" };
        static const char *const no[] = { "--dry-run=0", "--dry-run=f", "--dry-run=F", "--dry-run=FALSE",
                                          "--dry-run=false", "--dry-run=False" };

        for (size_t i = 0; i < 6; i++) {
                assert_int_equal(parse(&p, false, &err, yes[i], NULL), 0);
                assert_true(p.dry_run);
                assert_int_equal(parse(&p, false, &err, "--dry-run", no[i], NULL), 0);
                assert_false(p.dry_run);
        }
        /* a boolean never takes the next argument as its value */
        assert_int_equal(parse(&p, true, &err, "--dry-run", "false", NULL), 0);
        assert_true(p.dry_run);
        assert_string_equal(p.args[0], "false");
        parsed_done(&p);

        assert_int_equal(parse(&p, false, &err, "--dry-run=yes", NULL), -EINVAL);
        assert_string_equal(err.msg, "invalid boolean value \"yes\" for -dry-run: parse error");
        assert_int_equal(parse(&p, false, &err, "--dry-run=", NULL), -EINVAL);
}

static void test_errors(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        Parsed p;

        assert_int_equal(parse(&p, true, &err, "--nope=1", NULL), -EINVAL);
        assert_string_equal(err.msg, "flag provided but not defined: -nope");
        parsed_done(&p);
        assert_int_equal(parse(&p, true, &err, "--out", "x", NULL), -EINVAL); /* no prefix matching */
        assert_string_equal(err.msg, "flag provided but not defined: -out");
        parsed_done(&p);
        assert_int_equal(parse(&p, true, &err, "---output", "x", NULL), -EINVAL);
        parsed_done(&p);
        assert_int_equal(parse(&p, true, &err, "--", "x", "--output", NULL), 0);
        assert_int_equal(strv_length(p.args), 2);
        parsed_done(&p);
        assert_int_equal(parse(&p, true, &err, "-o", NULL), -EINVAL);
        assert_string_equal(err.msg, "flag needs an argument: -o");
        parsed_done(&p);
        assert_int_equal(parse(&p, false, &err, "--dry-run", "stray", NULL), -EINVAL);
        assert_string_equal(err.msg, "unexpected argument \"stray\"");
        assert_int_equal(parse(&p, false, &err, "--=x", NULL), -EINVAL);
        assert_string_equal(err.msg, "flag provided but not defined: -");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_go_syntax),
                cmocka_unit_test(test_booleans),
                cmocka_unit_test(test_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
