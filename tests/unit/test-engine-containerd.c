/* SPDX-License-Identifier: Apache-2.0 */
#include "engine-golden.h"
#include "engine-containerd.h"
#include "toml.h"

#define DROP_IN "/etc/containerd/conf.d/99-nvidia.toml"

static void must_parse(const char *text, const char *what) {
        _cleanup_toml_doc_ TomlDoc *d = NULL;
        NvctError err = NVCT_ERROR_INIT;
        if (toml_parse(text, strlen(text), what, &d, &err) < 0)
                fail_msg("%s does not parse: %s", what, err.msg);
}

static void configure(const char *in, const NvctEngineOptions *o, json_t *undo, char **main, char **drop) {
        NvctError err = NVCT_ERROR_INIT;
        if (nvct_containerd_configure(in, strlen(in), "/etc/containerd/config.toml", o, undo, main, drop, &err) < 0)
                fail_msg("configure: %s", err.msg);
}

static void revert(const char *main, const char *drop, const NvctEngineOptions *o, const json_t *undo, char **ret,
                   bool *remove) {
        NvctError err = NVCT_ERROR_INIT;
        unsigned kept = 99;
        if (nvct_containerd_revert(main, strlen(main), "/etc/containerd/config.toml", drop, o, undo, ret, remove,
                                   &kept, &err) < 0)
                fail_msg("revert: %s", err.msg);
        assert_int_equal(kept, 0);
}

static void golden_case(const char *name) {
        char n[96], *in, *main, *drop, *main2, *drop2, *rev;
        NvctEngineOptions o = golden_full;
        bool remove = false;

        snprintf(n, sizeof(n), "%s.in", name);
        in = golden_read("containerd", n);

        /* with a drop-in */
        json_t *undo = nvct_undo_new("containerd"), *undo2 = nvct_undo_new("containerd");
        o.drop_in = DROP_IN;
        configure(in, &o, undo, &main, &drop);
        snprintf(n, sizeof(n), "%s.main.out", name);
        golden_check("containerd", n, main);
        snprintf(n, sizeof(n), "%s.dropin.out", name);
        golden_check("containerd", n, drop);
        must_parse(main, "main"), must_parse(drop, "drop-in");
        configure(main, &o, undo2, &main2, &drop2);
        assert_text_equal(main, main2);
        assert_text_equal(drop, drop2);
        assert_int_equal(nvct_undo_n_edits(undo2), 0);
        revert(main, drop, &o, undo, &rev, &remove);
        assert_true(remove);
        assert_text_equal(in, rev);
        free(main), free(drop), free(main2), free(drop2), free(rev);
        json_decref(undo), json_decref(undo2);

        /* in place */
        undo = nvct_undo_new("containerd"), undo2 = nvct_undo_new("containerd");
        o.drop_in = NULL;
        configure(in, &o, undo, &main, &drop);
        assert_null(drop);
        snprintf(n, sizeof(n), "%s.inplace.out", name);
        golden_check("containerd", n, main);
        must_parse(main, "main");
        configure(main, &o, undo2, &main2, &drop2);
        assert_text_equal(main, main2);
        assert_int_equal(nvct_undo_n_edits(undo2), 0);
        revert(main, NULL, &o, undo, &rev, &remove);
        assert_false(remove);
        assert_text_equal(in, rev);
        free(main), free(main2), free(rev), free(in);
        json_decref(undo), json_decref(undo2);
}

static void test_empty(void **state) {
        (void) state;
        golden_case("empty");
}
static void test_existing(void **state) {
        (void) state;
        golden_case("existing");
}
static void test_comments(void **state) {
        (void) state;
        golden_case("comments");
}
static void test_other_runtimes(void **state) {
        (void) state;
        golden_case("other-runtimes");
}
static void test_v3(void **state) {
        (void) state;
        golden_case("v3");
}

static void test_errors(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        char *m = NULL, *d = NULL;
        (void) state;
        const char *v1 = "[plugins.cri]\nsandbox_image = \"x\"\n";
        assert_int_equal(nvct_containerd_configure(v1, strlen(v1), "c.toml", &golden_full, NULL, &m, &d, &err),
                         -ENOTSUP);
        assert_non_null(strstr(err.msg, "c.toml:1:"));
        assert_non_null(strstr(err.msg, "version 1"));
        nvct_error_clear(&err);
        const char *bad = "version = 2\n[plugins\n";
        assert_true(nvct_containerd_configure(bad, strlen(bad), "c.toml", &golden_full, NULL, &m, &d, &err) < 0);
        assert_non_null(strstr(err.msg, "c.toml:2:"));
        nvct_error_clear(&err);
        assert_int_equal(nvct_containerd_configure("version = 4\n", 12, "c.toml", &golden_full, NULL, &m, &d, &err),
                         -ENOTSUP);
        assert_null(m);
}

/* An import glob that already covers the drop-in is not repeated; a foreign drop-in is never removed. */
static void test_imports(void **state) {
        NvctEngineOptions o = golden_full;
        char *m, *d, *rev;
        bool remove = true;
        (void) state;
        o.drop_in = DROP_IN;
        const char *glob = "version = 2\nimports = [\"/etc/containerd/conf.d/*.toml\"]\n";
        configure(glob, &o, NULL, &m, &d);
        assert_text_equal(glob, m);
        free(m), free(d);
        const char *listed = "version = 2\nimports = [\"/a.toml\", \"" DROP_IN "\"]\n";
        revert(listed, "[foo]\n", &o, NULL, &rev, &remove);
        assert_false(remove);
        assert_text_equal(listed, rev);
        free(rev);
        /* without a journal, our drop-in still takes its import with it */
        revert(listed, NVCT_ENGINE_MARKER "\nversion = 2\n", &o, NULL, &rev, &remove);
        assert_true(remove);
        assert_text_equal("version = 2\nimports = [\"/a.toml\"]\n", rev);
        free(rev);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),    cmocka_unit_test(test_existing),
                cmocka_unit_test(test_comments), cmocka_unit_test(test_other_runtimes),
                cmocka_unit_test(test_v3),       cmocka_unit_test(test_errors),
                cmocka_unit_test(test_imports),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
