/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "require.h"

/* The real H100 machine: CUDA 13.0, driver 580.159.04, compute capability 9.0, NVML brand "Nvidia". */
static const NvctRequireFacts h100 = { .cuda = "13.0", .driver = "580.159.04", .arch = "9.0", .brand = "Nvidia" };

#define SUFFIX " (cuda=13.0, driver=580.159.04, arch=9.0, brand=Nvidia on GPU 0)"
#define UPDATE ", please update your driver to a newer version, or use an earlier cuda container"

typedef struct Case {
        const char *name;
        const char *expr;
        int expect;       /* 0, -EINVAL or -EPERM */
        const char *msg;  /* the exact message, or a prefix when it ends in '*', or NULL for no check */
} Case;

static const Case cases[] = {
        /* satisfied, as NVIDIA evaluates them */
        { "empty expression requires nothing", "", 0, NULL },
        { "only separators", "  , ,, ", 0, NULL },
        { "cuda older than the driver's", "cuda>=12.0", 0, NULL },
        { "cuda equal to the driver's", "cuda>=13.0", 0, NULL },
        { "property names are case-insensitive", "CUDA>=12", 0, NULL },
        { "trailing .0 ignored: cuda=13", "cuda=13", 0, NULL },
        { "trailing .0 ignored: arch=9", "arch=9", 0, NULL },
        { "trailing .0 ignored: arch=9.0.0", "arch=9.0.0", 0, NULL },
        { "arch <= equal", "arch<=9", 0, NULL },
        { "arch > lower", "arch>8.9", 0, NULL },
        { "components compare numerically, not as text", "driver<580.159.10", 0, NULL },
        { "leading zeros do not matter", "driver>=580.159.4", 0, NULL },
        { "leading zeros in the value", "cuda=0013.00", 0, NULL },
        { "brand is case-insensitive", "brand=NVIDIA", 0, NULL },
        { "brand !=", "brand!=tesla", 0, NULL },
        { "OR: a later group satisfies", "cuda>=14.0 brand=nvidia", 0, NULL },
        { "AND: all terms hold", "brand=nvidia,driver>=580,arch>=9", 0, NULL },
        { "empty AND terms are skipped", "cuda>=1,,arch=9", 0, NULL },
        { "the NVIDIA CUDA image requirement",
          "cuda>=12.0 brand=tesla,driver>=470,driver<471 brand=unknown,driver>=470,driver<471", 0, NULL },
        { "huge number as an upper bound", "driver<99999999999999999999999", 0, NULL },
        { "64-digit component is the limit", "cuda<1000000000000000000000000000000000000000000000000000000000000000",
          0, NULL },

        /* unsatisfied, with NVIDIA's text first */
        { "cuda newer than the driver's", "cuda>=13.1", -EPERM,
          "requirement error: unsatisfied condition: cuda>=13.1" UPDATE SUFFIX },
        { "arch != equal", "arch!=9", -EPERM, "requirement error: unsatisfied condition: arch!=9" SUFFIX },
        { "arch < equal", "arch<9", -EPERM, "requirement error: unsatisfied condition: arch<9" SUFFIX },
        { "arch > equal", "arch>9.0", -EPERM, "requirement error: unsatisfied condition: arch>9.0" SUFFIX },
        { "arch >= higher", "arch>=9.1", -EPERM, "requirement error: unsatisfied condition: arch>=9.1" SUFFIX },
        { "driver minor too old", "driver>=580.160", -EPERM, "requirement error: unsatisfied condition: driver>=580.160" SUFFIX },
        { "brand mismatch", "brand=tesla", -EPERM, "requirement error: unsatisfied condition: brand=tesla" SUFFIX },
        { "every OR group fails: first group reported", "brand=tesla brand=quadro", -EPERM,
          "requirement error: unsatisfied condition: brand=tesla" SUFFIX },
        { "AND: one term fails", "brand=nvidia,driver>=999", -EPERM,
          "requirement error: unsatisfied condition: brand=nvidia,driver>=999" SUFFIX },
        { "update hint only when the group starts with cuda>=", "driver>=1,cuda>=99", -EPERM,
          "requirement error: unsatisfied condition: driver>=1,cuda>=99" SUFFIX },
        { "huge number does not overflow", "cuda>=99999999999999999999999", -EPERM,
          "requirement error: unsatisfied condition: cuda>=99999999999999999999999" UPDATE SUFFIX },

        /* invalid expressions (hostile-images #26) */
        { "missing value", "cuda>=", -EINVAL, "requirement error: invalid expression (\"cuda>=\": missing value)" },
        { "missing name", ">=1", -EINVAL, "requirement error: invalid expression (\">=1\": missing property name)" },
        { "missing operator", "cuda", -EINVAL, "requirement error: invalid expression*" },
        { "=< is not an operator", "cuda=<1", -EINVAL, "requirement error: invalid expression*" },
        { "=> is not an operator", "cuda=>1", -EINVAL, "requirement error: invalid expression*" },
        { "!== is not an operator", "cuda!==1", -EINVAL, "requirement error: invalid expression*" },
        { "unknown property", "foo>=1", -EINVAL, "requirement error: invalid expression*" },
        { "letters in a version", "cuda>=1.a", -EINVAL, "requirement error: invalid expression*" },
        { "sign in a version", "cuda>=-1", -EINVAL, "requirement error: invalid expression*" },
        { "hex in a version", "cuda>=0x1", -EINVAL, "requirement error: invalid expression*" },
        { "empty component", "cuda>=1..2", -EINVAL, "requirement error: invalid expression*" },
        { "leading dot", "cuda>=.1", -EINVAL, "requirement error: invalid expression*" },
        { "trailing dot", "cuda>=1.", -EINVAL, "requirement error: invalid expression*" },
        { "65-digit component", "cuda<10000000000000000000000000000000000000000000000000000000000000000", -EINVAL,
          "requirement error: invalid expression*" },
        { "brand takes only = and !=", "brand>=tesla", -EINVAL, "requirement error: invalid expression*" },
        { "brand value with an operator character", "brand=a=b", -EINVAL, "requirement error: invalid expression*" },
        { "a tab is not a separator", "cuda>=1\tarch=9", -EINVAL, "requirement error: invalid expression*" },
        { "control character quoted, not printed", "brand=\x1b[2J", -EINVAL,
          "requirement error: invalid expression (\"brand=\\x1b[2J\": *" },
        { "checked up front, unlike NVIDIA: a bad term after a satisfied group", "cuda>=1 foo>=1", -EINVAL,
          "requirement error: invalid expression (\"foo>=1\": *" },
};

static bool msg_matches(const char *got, const char *want) {
        size_t n = strlen(want);
        if (n > 0 && want[n - 1] == '*')
                return strncmp(got, want, n - 1) == 0;
        return strcmp(got, want) == 0;
}

static void test_case(void **state) {
        const Case *c = *state;
        char *const exprs[] = { (char *) c->expr, NULL };
        NvctError err = NVCT_ERROR_INIT;

        int r = nvct_require_check(exprs, &h100, 1, &err);
        if (r != c->expect || (c->msg && !msg_matches(err.msg, c->msg)))
                fail_msg("%s: expr \"%s\": got %d \"%s\", want %d \"%s\"", c->name, c->expr, r, err.msg, c->expect,
                         c->msg ?: "");
        if (r < 0)
                assert_int_equal(err.code, -r);

        /* validate() agrees with check() on syntax. */
        NvctError verr = NVCT_ERROR_INIT;
        assert_int_equal(nvct_require_validate(c->expr, &verr), c->expect == -EINVAL ? -EINVAL : 0);
}

/* head, then n times prefix<i>suffix, then tail. */
static char *repeat(const char *head, const char *prefix, const char *suffix, size_t n, const char *tail) {
        Buf b = BUF_INIT;
        buf_puts(&b, head);
        for (size_t i = 0; i < n; i++)
                buf_printf(&b, "%s%zu%s", prefix, i, suffix);
        buf_puts(&b, tail);
        return buf_steal(&b);
}

static void test_ten_thousand_components(void **state) {
        (void) state;
        char *e = repeat("cuda>=1", ".", "", 10000, "");
        char *const exprs[] = { e, NULL };
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(nvct_require_check(exprs, &h100, 1, &err), -EINVAL);
        assert_true(strncmp(err.msg, "requirement error: invalid expression", 37) == 0);
        free(e);
}

static void test_thousand_brand_terms(void **state) {
        (void) state;
        char *ok = repeat("", "brand=x", " ", 1000, "brand=nvidia");
        char *bad = repeat("", "brand=x", " ", 1000, "");
        char *const ok_exprs[] = { ok, NULL }, *const bad_exprs[] = { bad, NULL };
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_require_check(ok_exprs, &h100, 1, &err), 0);
        assert_int_equal(nvct_require_check(bad_exprs, &h100, 1, &err), -EPERM);
        assert_string_equal(err.msg, "requirement error: unsatisfied condition: brand=x0" SUFFIX);
        free(ok);
        free(bad);
}

static void test_bounds(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        char *terms = repeat("", "arch>=", ",", NVCT_REQUIRE_TERMS_MAX + 1, "");
        assert_int_equal(nvct_require_validate(terms, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "more than 4096 terms"));
        free(terms);

        char *huge = malloc(NVCT_REQUIRE_EXPR_MAX + 2);
        memset(huge, ' ', NVCT_REQUIRE_EXPR_MAX + 1);
        huge[NVCT_REQUIRE_EXPR_MAX + 1] = '\0';
        assert_int_equal(nvct_require_validate(huge, &err), -EINVAL);
        huge[NVCT_REQUIRE_EXPR_MAX] = '\0';
        assert_int_equal(nvct_require_validate(huge, &err), 0);
        free(huge);
}

static void test_per_gpu(void **state) {
        (void) state;
        const NvctRequireFacts two[] = {
                { "13.0", "580.159.04", "9.0", "Nvidia" },
                { "13.0", "580.159.04", "8.0", "Tesla" },
        };
        char *const arch[] = { (char *) "arch>=9", NULL };
        char *const brand[] = { (char *) "brand=nvidia brand=tesla", NULL };
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_require_check(arch, two, 2, &err), -EPERM);
        assert_string_equal(err.msg, "requirement error: unsatisfied condition: arch>=9 "
                                     "(cuda=13.0, driver=580.159.04, arch=8.0, brand=Tesla on GPU 1)");
        assert_int_equal(nvct_require_check(brand, two, 2, &err), 0);
}

static void test_no_gpu(void **state) {
        (void) state;
        const NvctRequireFacts global = { .cuda = "13.0", .driver = "580.159.04", .arch = "1.0", .brand = "x" };
        char *const arch[] = { (char *) "arch=1.5,brand=tesla", NULL };
        char *const cuda[] = { (char *) "cuda>=14", NULL };
        NvctError err = NVCT_ERROR_INIT;

        /* arch and brand are vacuously true without a device, even when the fact set carries them. */
        assert_int_equal(nvct_require_check(arch, &global, 0, &err), 0);
        assert_int_equal(nvct_require_check(cuda, &global, 0, &err), -EPERM);
        assert_string_equal(err.msg, "requirement error: unsatisfied condition: cuda>=14" UPDATE
                                     " (cuda=13.0, driver=580.159.04, no GPU visible)");
        /* Nothing known at all: nothing can fail, but syntax still can. */
        assert_int_equal(nvct_require_check(cuda, NULL, 0, &err), 0);
        char *const bad[] = { (char *) "cuda>>1", NULL };
        assert_int_equal(nvct_require_check(bad, NULL, 0, &err), -EINVAL);
}

static void test_several_expressions(void **state) {
        (void) state;
        char *const both[] = { (char *) "cuda>=12", (char *) "brand=tesla", NULL };
        char *const bad_last[] = { (char *) "cuda>=99", (char *) "cuda>=", NULL };
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_require_check(NULL, &h100, 1, &err), 0);
        assert_int_equal(nvct_require_check(both, &h100, 1, &err), -EPERM);
        assert_string_equal(err.msg, "requirement error: unsatisfied condition: brand=tesla" SUFFIX);
        /* Every expression is validated before any is evaluated. */
        assert_int_equal(nvct_require_check(bad_last, &h100, 1, &err), -EINVAL);
}

static void test_bad_fact(void **state) {
        (void) state;
        const NvctRequireFacts odd = { .cuda = "13.0", .driver = "580.159.04-custom" };
        char *const e[] = { (char *) "driver>=1", NULL };
        NvctError err = NVCT_ERROR_INIT;
        assert_int_equal(nvct_require_check(e, &odd, 1, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "\"580.159.04-custom\""));
}

static void test_quote(void **state) {
        (void) state;
        char q[NVCT_TOKEN_QUOTE_BUF];
        char long_tok[200];
        memset(long_tok, 'a', sizeof(long_tok));
        nvct_token_quote(long_tok, sizeof(long_tok), q, sizeof(q));
        assert_int_equal(strlen(q), 64 + 2 + 3);
        assert_string_equal(q + 65, "...\"");
        nvct_token_quote("a\"b\\c\n", 6, q, sizeof(q));
        assert_string_equal(q, "\"a\\\"b\\\\c\\x0a\"");
        nvct_token_quote("abc", 3, q, 4);
        assert_string_equal(q, "\"ab");
}

int main(void) {
        const struct CMUnitTest more[] = {
                cmocka_unit_test(test_ten_thousand_components), cmocka_unit_test(test_thousand_brand_terms),
                cmocka_unit_test(test_bounds),                  cmocka_unit_test(test_per_gpu),
                cmocka_unit_test(test_no_gpu),                  cmocka_unit_test(test_several_expressions),
                cmocka_unit_test(test_bad_fact),                cmocka_unit_test(test_quote),
        };
        size_t n = ELEMENTSOF(cases), m = ELEMENTSOF(more);
        struct CMUnitTest *tests = calloc(n + m, sizeof(*tests));
        for (size_t i = 0; i < n; i++)
                tests[i] = (struct CMUnitTest) { .name = cases[i].name, .test_func = test_case,
                                                 .initial_state = (void *) &cases[i] };
        memcpy(tests + n, more, sizeof(more));
        int r = _cmocka_run_group_tests("require", tests, n + m, NULL, NULL);
        free(tests);
        return r;
}
