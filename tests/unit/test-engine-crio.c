/* SPDX-License-Identifier: Apache-2.0 */
#include "engine-golden.h"
#include "engine-crio.h"
#include "toml.h"

static void must_parse(const char *text, const char *what) {
        _cleanup_toml_doc_ TomlDoc *d = NULL;
        NvctError err = NVCT_ERROR_INIT;
        if (toml_parse(text, strlen(text), what, &d, &err) < 0)
                fail_msg("%s does not parse: %s", what, err.msg);
}

static void golden_case(const char *name) {
        char n[96], *in, *main, *drop, *main2, *drop2, *rev;
        NvctEngineOptions o = golden_full;
        NvctError err = NVCT_ERROR_INIT;
        bool remove = false;
        unsigned kept = 99;

        snprintf(n, sizeof(n), "%s.in", name);
        in = golden_read("crio", n);

        o.drop_in = "/etc/crio/crio.conf.d/99-nvidia.toml";
        assert_int_equal(nvct_crio_configure(in, strlen(in), "/etc/crio/crio.conf", &o, NULL, &main, &drop, &err), 0);
        assert_text_equal(in, main);
        snprintf(n, sizeof(n), "%s.dropin.out", name);
        golden_check("crio", n, drop);
        must_parse(drop, "drop-in");
        assert_int_equal(nvct_crio_revert(main, strlen(main), "/etc/crio/crio.conf", drop, NULL, &rev, &remove,
                                          &kept, &err),
                         0);
        assert_true(remove);
        assert_text_equal(in, rev);
        free(main), free(drop), free(rev);

        json_t *undo = nvct_undo_new("crio"), *undo2 = nvct_undo_new("crio");
        o.drop_in = NULL;
        assert_int_equal(nvct_crio_configure(in, strlen(in), "/etc/crio/crio.conf", &o, undo, &main, &drop, &err), 0);
        assert_null(drop);
        snprintf(n, sizeof(n), "%s.inplace.out", name);
        golden_check("crio", n, main);
        must_parse(main, "main");
        assert_int_equal(nvct_crio_configure(main, strlen(main), "c", &o, undo2, &main2, &drop2, &err), 0);
        assert_text_equal(main, main2);
        assert_int_equal(nvct_undo_n_edits(undo2), 0);
        assert_int_equal(nvct_crio_revert(main, strlen(main), "c", NULL, undo, &rev, &remove, &kept, &err), 0);
        assert_int_equal(kept, 0);
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

static void test_oci_hook(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        char *t = NULL;
        (void) state;
        assert_int_equal(nvct_crio_oci_hook("/usr/bin/nvidia-container-runtime-hook", &t, &err), 0);
        json_t *j = json_loads(t, 0, NULL);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "version")), "1.0.0");
        assert_string_equal(json_string_value(json_object_get(json_object_get(j, "hook"), "path")),
                            "/usr/bin/nvidia-container-runtime-hook");
        assert_true(json_is_true(json_object_get(json_object_get(j, "when"), "always")));
        assert_string_equal(json_string_value(json_array_get(json_object_get(j, "stages"), 0)), "prestart");
        json_decref(j);
        free(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_existing),
                cmocka_unit_test(test_comments),
                cmocka_unit_test(test_oci_hook),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
