/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver.h"
#include "select.h"

/* Three GPUs; GPU 1 has two MIG devices, GPU 2 is MIG-capable without instances. */
static NvctMigDevice migs1[2] = {
        { .index = 0, .gi = 1, .ci = 0, .uuid = "MIG-11111111-aaaa-bbbb-cccc-000000000000" },
        { .index = 1, .gi = 2, .ci = 0, .uuid = "MIG-22222222-aaaa-bbbb-cccc-000000000000" },
};
static NvctGpu gpus[3] = {
        { .index = 0, .minor = 0, .uuid = "GPU-aaaaaaaa-0000-0000-0000-000000000000", .busid = "00000000:1a:00.0" },
        { .index = 1, .minor = 1, .uuid = "GPU-bbbbbbbb-0000-0000-0000-000000000000", .busid = "00000000:3b:00.0",
          .mig_capable = true, .mig_enabled = true, .migs = migs1, .n_migs = 2 },
        { .index = 2, .minor = 2, .uuid = "GPU-cccccccc-0000-0000-0000-000000000000", .busid = "00000001:86:00.0",
          .mig_capable = true },
};
static NvctDriver drv = { .gpus = gpus, .n_gpus = 3 };

static NvctSelection *sel_ok(const char *spec) {
        NvctSelection *s = NULL;
        NvctError err = NVCT_ERROR_INIT;
        int r = nvct_select_devices(&drv, spec, &s, &err);
        if (r < 0)
                fail_msg("selecting \"%s\" failed: %s", spec, err.msg);
        return s;
}

static void expect_gpus(const char *spec, const size_t *want, size_t n) {
        NvctSelection *s = sel_ok(spec);
        assert_int_equal(s->n_gpus, n);
        for (size_t i = 0; i < n; i++) {
                assert_int_equal(s->gpus[i], want[i]);
                assert_true(nvct_selection_has_gpu(s, want[i]));
        }
        nvct_selection_free(s);
}

static void test_gpu_tokens(void **state) {
        expect_gpus(NULL, NULL, 0);
        expect_gpus("", NULL, 0);
        expect_gpus(",,,", NULL, 0);
        expect_gpus("0", (size_t[]) { 0 }, 1);
        expect_gpus("2,0", (size_t[]) { 2, 0 }, 2);          /* selection order is kept */
        expect_gpus("1,,1,01", (size_t[]) { 1 }, 1);         /* duplicates and empty tokens */
        expect_gpus("gpu-BBBBBBBB-0000-0000-0000-000000000000", (size_t[]) { 1 }, 1);
        expect_gpus("0000:3b:00.0", (size_t[]) { 1 }, 1);
        expect_gpus("0:3B:0.0", (size_t[]) { 1 }, 1);
        expect_gpus("00000001:86:00.0", (size_t[]) { 2 }, 1);
        expect_gpus("1:86:00.0", (size_t[]) { 2 }, 1);
}

static void test_all(void **state) {
        NvctSelection *s = sel_ok("ALL,bogus");
        assert_true(s->all);
        assert_int_equal(s->n_gpus, 3);
        assert_int_equal(s->n_migs, 2);
        assert_true(nvct_selection_has_mig(s, 1, 0));
        assert_true(nvct_selection_has_mig(s, 1, 1));
        assert_false(nvct_selection_has_mig(s, 0, 0));
        assert_false(nvct_selection_has_mig(s, 1, 2));
        nvct_selection_free(s);
}

static void test_mig_tokens(void **state) {
        NvctSelection *s = sel_ok("1:1");
        assert_int_equal(s->n_migs, 1);
        assert_int_equal(s->migs[0].gpu, 1);
        assert_int_equal(s->migs[0].mig, 1);
        assert_int_equal(s->n_gpus, 1); /* the parent */
        assert_int_equal(s->gpus[0], 1);
        assert_false(nvct_selection_has_mig(s, 1, 0));
        nvct_selection_free(s);

        s = sel_ok("mig-11111111-AAAA-bbbb-cccc-000000000000,1:0,0");
        assert_int_equal(s->n_migs, 1);
        assert_int_equal(s->n_gpus, 2);
        assert_int_equal(s->gpus[0], 1);
        assert_int_equal(s->gpus[1], 0);
        nvct_selection_free(s);
}

static void expect_unknown(const char *spec, const char *msg) {
        NvctSelection *s = NULL;
        NvctError err = NVCT_ERROR_INIT;
        assert_true(nvct_select_devices(&drv, spec, &s, &err) < 0);
        assert_null(s);
        assert_string_equal(err.msg, msg);
}

static void test_bad_tokens(void **state) {
        expect_unknown("3", "3: unknown device");
        expect_unknown("none", "none: unknown device");
        expect_unknown("void", "void: unknown device");
        expect_unknown("-1", "-1: unknown device");
        expect_unknown("+1", "+1: unknown device");
        expect_unknown("0x1", "0x1: unknown device");
        expect_unknown(" 1", " 1: unknown device");
        expect_unknown("1 ", "1 : unknown device");
        expect_unknown("99999999999999999999", "99999999999999999999: unknown device");
        expect_unknown("0,GPU-aaaa", "GPU-aaaa: unknown device");
        expect_unknown("GPU-", "GPU-: unknown device");
        expect_unknown("MIG-", "MIG-: unknown device");
        expect_unknown("0000:3b:00.1", "0000:3b:00.1: unknown device");
        expect_unknown("0000:3b:00.0x", "0000:3b:00.0x: unknown device");
        expect_unknown("0000:99:00.0", "0000:99:00.0: unknown device");
        expect_unknown("1:2", "1:2: unknown device");
        expect_unknown("0:0", "0:0: unknown device");
        expect_unknown("1:0x", "1:0x: unknown device");
        expect_unknown("1:-0", "1:-0: unknown device");
        expect_unknown("MIG-GPU-bbbbbbbb-0000-0000-0000-000000000000/1/0",
                       "MIG-GPU-bbbbbbbb-0000-0000-0000-000000000000/1/0: unknown device");
        expect_unknown("../0", "../0: unknown device");
        expect_unknown("0\x1b[2J", "0?[2J: unknown device");
        char big[300];
        memset(big, '1', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        NvctSelection *s = NULL;
        NvctError err = NVCT_ERROR_INIT;
        assert_true(nvct_select_devices(&drv, big, &s, &err) < 0);
        assert_true(strlen(err.msg) < 100); /* the token is cut in the message */
}

static void test_no_gpus(void **state) {
        NvctDriver empty = { 0 };
        NvctSelection *s = NULL;
        /* As NVIDIA: without GPUs, selection is not even attempted. */
        assert_int_equal(nvct_select_devices(&empty, "bogus", &s, NULL), 0);
        assert_int_equal(s->n_gpus, 0);
        nvct_selection_free(s);
}

static void test_mig_caps(void **state) {
        NvctSelection *vis = sel_ok("0,2"), *c = NULL;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_select_mig_caps(&drv, vis, "all", "mig-config", &c, &err), 0);
        assert_true(c->all);
        assert_int_equal(c->n_gpus, 1);
        assert_int_equal(c->gpus[0], 2);
        c = nvct_selection_free(c);
        assert_int_equal(nvct_select_mig_caps(&drv, vis, NULL, "mig-config", &c, &err), 0);
        assert_false(c->all);
        c = nvct_selection_free(c);
        assert_true(nvct_select_mig_caps(&drv, vis, "0", "mig-config", &c, &err) < 0);
        assert_string_equal(err.msg, "0: only 'all' devices are currently supported");
        vis = nvct_selection_free(vis);

        vis = sel_ok("1:0");
        assert_true(nvct_select_mig_caps(&drv, vis, ",all", "mig-monitor", &c, &err) < 0);
        assert_string_equal(err.msg, "all: cannot enable mig-monitor with specific MIG devices selected");
        vis = nvct_selection_free(vis);

        vis = sel_ok("all");
        assert_int_equal(nvct_select_mig_caps(&drv, vis, "ALL", "mig-monitor", &c, &err), 0);
        assert_int_equal(c->n_gpus, 2);
        assert_int_equal(c->gpus[0], 1);
        assert_int_equal(c->gpus[1], 2);
        nvct_selection_free(c);
        nvct_selection_free(vis);
}

static void test_imex(void **state) {
        unsigned *ch = NULL;
        size_t n = 0;
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_parse_imex_channels(NULL, &ch, &n, &err), 0);
        assert_null(ch);
        assert_int_equal(nvct_parse_imex_channels("3,0,,3,1048575", &ch, &n, &err), 0);
        assert_int_equal(n, 3);
        assert_int_equal(ch[0], 3);
        assert_int_equal(ch[1], 0);
        assert_int_equal(ch[2], 1048575);
        free(ch);
        static const char *const bad[] = { "1048576", "-1", "0x1", "a", "1 ", "all", "99999999999" };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_true(nvct_parse_imex_channels(bad[i], &ch, &n, &err) < 0);
                assert_null(ch);
                assert_true(strstr(err.msg, "invalid channel") != NULL);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_gpu_tokens), cmocka_unit_test(test_all),     cmocka_unit_test(test_mig_tokens),
                cmocka_unit_test(test_bad_tokens), cmocka_unit_test(test_no_gpus), cmocka_unit_test(test_mig_caps),
                cmocka_unit_test(test_imex),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
