/* SPDX-License-Identifier: Apache-2.0 */
/* Applying CDI edits to an OCI config as the Go library's InjectDevices does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cdi-apply.h"
#include "cdi-cache.h"
#include "strv.h"

__attribute__((returns_nonnull)) static void *must(void *p) {
        if (!p)
                abort();
        return p;
}

static json_t *oci(const char *text) {
        json_error_t je;
        return must(json_loads(text, 0, &je));
}

static char *dump(const json_t *j) {
        return must(json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER));
}

static NvctCdiSpec *spec_from(const char *yaml) {
        NvctError err = NVCT_ERROR_INIT;
        NvctCdiSpec *s = NULL;
        if (nvct_cdi_spec_parse(yaml, strlen(yaml), NVCT_CDI_FORMAT_YAML, "mem.yaml", &s, &err) < 0 ||
            nvct_cdi_spec_validate(s, &err) < 0) {
                fprintf(stderr, "%s\n", err.msg);
                abort();
        }
        return s;
}

static void test_path_depth(void **state) {
        assert_int_equal(nvct_cdi_path_depth("/"), 1);
        assert_int_equal(nvct_cdi_path_depth("/a"), 1);
        assert_int_equal(nvct_cdi_path_depth("//a//b/"), 2);
        assert_int_equal(nvct_cdi_path_depth("/a/../b/./c"), 2);
        assert_int_equal(nvct_cdi_path_depth("/../../a"), 1);
        assert_int_equal(nvct_cdi_path_depth("a/b"), 1);
        assert_int_equal(nvct_cdi_path_depth(""), 0);
}

static void test_mount_sort_stable(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        json_t *o = oci("{\"mounts\":[{\"destination\":\"/proc\"},{\"destination\":\"/dev\"},"
                        "{\"destination\":\"/dev/pts\"},{\"destination\":\"/sys\"},{\"destination\":\"/x\",\"source\":\"old\"}]}");
        NvctCdiEdits e = { 0 };
        assert_int_equal(nvct_cdi_edits_add_mount(&e, "/h/c", "/a/b/c", NULL), 0);
        assert_int_equal(nvct_cdi_edits_add_mount(&e, "/h/x", "/x", NULL), 0);
        assert_int_equal(nvct_cdi_edits_add_mount(&e, "/h/b", "/a/b", NULL), 0);
        assert_int_equal(nvct_cdi_edits_add_mount(&e, "/h/z", "/z", NULL), 0);
        assert_int_equal(nvct_cdi_apply_edits(o, &e, &err), 0);
        json_t *m = json_object_get(o, "mounts");
        const char *want[] = { "/proc", "/dev", "/sys", "/x", "/z", "/dev/pts", "/a/b", "/a/b/c" };
        assert_int_equal(json_array_size(m), ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                assert_string_equal(json_string_value(json_object_get(json_array_get(m, i), "destination")), want[i]);
        /* /x replaced, not duplicated */
        assert_string_equal(json_string_value(json_object_get(json_array_get(m, 3), "source")), "/h/x");
        nvct_cdi_edits_done(&e);
        json_decref(o);
}

static void test_env_replace(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        json_t *o = oci("{\"process\":{\"env\":[\"PATH=/bin\",\"A=1\",\"NOEQ\"]}}");
        NvctCdiEdits e = { 0 };
        assert_int_equal(nvct_cdi_edits_add_env(&e, "A=2"), 0);
        assert_int_equal(nvct_cdi_edits_add_env(&e, "B=3"), 0);
        assert_int_equal(nvct_cdi_edits_add_env(&e, "B=4"), 0);
        assert_int_equal(nvct_cdi_edits_add_env(&e, "NOEQ=x"), 0);
        assert_int_equal(nvct_cdi_apply_edits(o, &e, &err), 0);
        char *s = dump(json_object_get(json_object_get(o, "process"), "env"));
        assert_string_equal(s, "[\"PATH=/bin\",\"A=2\",\"NOEQ=x\",\"B=4\"]");
        free(s);
        nvct_cdi_edits_done(&e);
        json_decref(o);
}

static void test_node_fill(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        json_t *o = oci("{\"process\":{\"user\":{\"uid\":1000,\"gid\":0}},\"linux\":{\"devices\":["
                        "{\"path\":\"/dev/gpu\",\"type\":\"c\",\"major\":9,\"minor\":9}]}}");
        NvctCdiEdits e = { 0 };
        assert_int_equal(nvct_cdi_edits_add_node(&e, "/dev/gpu", "/dev/null"), 0);
        assert_int_equal(nvct_cdi_apply_edits(o, &e, &err), 0);
        json_t *linux_ = json_object_get(o, "linux");
        char *s = dump(json_object_get(linux_, "devices"));
        /* host lookup by lstat; uid from process.user (>0), gid 0 is not copied; same path replaced */
        assert_string_equal(s, "[{\"path\":\"/dev/gpu\",\"type\":\"c\",\"major\":1,\"minor\":3,\"fileMode\":438,"
                               "\"uid\":1000}]");
        free(s);
        s = dump(json_object_get(json_object_get(linux_, "resources"), "devices"));
        assert_string_equal(s, "[{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]");
        free(s);
        nvct_cdi_edits_done(&e);
        json_decref(o);
}

static void test_node_errors_leave_spec(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        json_t *o = oci("{\"process\":{\"env\":[\"A=1\"]}}");
        char *before = dump(o);
        NvctCdiEdits e = { 0 };
        assert_int_equal(nvct_cdi_edits_add_env(&e, "B=2"), 0);
        assert_int_equal(nvct_cdi_edits_add_node(&e, "/dev/x", "/dev/null"), 0);
        e.nodes[0].type = strdup("b");
        assert_true(nvct_cdi_apply_edits(o, &e, &err) < 0);
        assert_string_equal(err.msg, "failed to inject devices: CDI device (\"/dev/x\", \"/dev/null\"), host type "
                                     "mismatch (b, c)");
        char *after = dump(o);
        assert_string_equal(before, after);
        free(after);
        free(e.nodes[0].type);
        e.nodes[0].type = NULL;
        free(e.nodes[0].host_path);
        e.nodes[0].host_path = strdup("/nonexistent/nvct-test-node");
        assert_true(nvct_cdi_apply_edits(o, &e, &err) < 0);
        assert_non_null(strstr(err.msg, "failed to inject devices: failed to stat CDI host device "
                                        "\"/nonexistent/nvct-test-node\""));
        /* a minimal node (type and major given) needs no host node */
        e.nodes[0].type = strdup("c");
        e.nodes[0].major = 195;
        assert_int_equal(nvct_cdi_apply_edits(o, &e, &err), 0);
        free(before);
        nvct_cdi_edits_done(&e);
        json_decref(o);
}

static void test_inject(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        NvctCdiCache *c = must(nvct_cdi_cache_new());
        NvctCdiSpec *s = spec_from("cdiVersion: 0.5.0\nkind: v.com/c\ncontainerEdits: {env: [SPEC=1]}\n"
                                   "devices:\n- {name: a, containerEdits: {env: [A=1], hooks: [{hookName: prestart, path: /h, "
                                   "args: [h, a]}]}}\n- {name: b, containerEdits: {env: [B=1], hooks: [{hookName: poststop, "
                                   "path: /h}]}}\n");
        assert_int_equal(nvct_cdi_cache_add_spec(c, s, &err), 0);
        json_t *o = oci("{\"process\":{\"env\":[]}}");
        char *bad[] = { (char *) "v.com/c=a", (char *) "v.com/c=x", (char *) "v.com/c=y", NULL };
        assert_true(nvct_cdi_inject(c, o, bad, &err) < 0);
        assert_string_equal(err.msg, "unresolvable CDI devices v.com/c=x, v.com/c=y");
        assert_int_equal(json_array_size(json_object_get(json_object_get(o, "process"), "env")), 0);
        char *names[] = { (char *) "v.com/c=b", (char *) "v.com/c=a", NULL };
        assert_int_equal(nvct_cdi_inject(c, o, names, &err), 0);
        char *env = dump(json_object_get(json_object_get(o, "process"), "env"));
        /* the spec's own edits once, first; then each device in request order */
        assert_string_equal(env, "[\"SPEC=1\",\"B=1\",\"A=1\"]");
        free(env);
        char *hooks = dump(json_object_get(o, "hooks"));
        assert_string_equal(hooks, "{\"poststop\":[{\"path\":\"/h\"}],\"prestart\":[{\"path\":\"/h\",\"args\":[\"h\",\"a\"]}]}");
        free(hooks);
        json_decref(o);
        nvct_cdi_cache_free(c);
}

static void test_additional_gids(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        json_t *o = oci("{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[5]}}}");
        NvctCdiEdits e = { 0 };
        uint32_t gids[] = { 0, 5, 44, 44 };
        for (size_t i = 0; i < ELEMENTSOF(gids); i++) {
                e.additional_gids = must(realloc(e.additional_gids, (i + 1) * sizeof(uint32_t)));
                e.additional_gids[e.n_additional_gids++] = gids[i];
        }
        assert_int_equal(nvct_cdi_apply_edits(o, &e, &err), 0);
        char *s = dump(json_object_get(json_object_get(json_object_get(o, "process"), "user"), "additionalGids"));
        assert_string_equal(s, "[5,44]");
        free(s);
        nvct_cdi_edits_done(&e);
        json_decref(o);
}

static void test_cache_conflicts(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        NvctCdiCache *c = must(nvct_cdi_cache_new());
        const char *y = "cdiVersion: 0.5.0\nkind: v.com/c\ndevices:\n- {name: a, containerEdits: {env: [A=1]}}\n"
                        "- {name: b, containerEdits: {env: [B=1]}}\n";
        NvctCdiSpec *s1 = spec_from(y), *s2 = spec_from(y), *s3 = spec_from(y);
        s1->path = strdup("/d1/one.yaml");
        s2->path = strdup("/d1/two.yaml");
        s3->path = strdup("/d2/three.yaml");
        s3->priority = 1;
        assert_int_equal(nvct_cdi_cache_add_spec(c, s3, &err), 0);
        assert_non_null(nvct_cdi_cache_lookup(c, "v.com/c=a"));
        assert_int_equal(nvct_cdi_cache_add_spec(c, s1, &err), 0);
        /* the higher priority wins quietly */
        assert_ptr_equal(nvct_cdi_cache_lookup(c, "v.com/c=a")->spec, s3);
        assert_null(c->errors);
        /* equal priority: both names dropped, two lines (one per file) for each */
        s2->priority = 1;
        assert_int_equal(nvct_cdi_cache_add_spec(c, s2, &err), 0);
        assert_null(nvct_cdi_cache_lookup(c, "v.com/c=a"));
        assert_null(nvct_cdi_cache_lookup(c, "v.com/c=b"));
        assert_int_equal(strv_length(c->errors), 4);
        assert_string_equal(c->errors[0], "/d1/two.yaml: conflicting device \"v.com/c=a\" (specs \"/d1/two.yaml\", "
                                          "\"/d2/three.yaml\")");
        /* conflicts are recomputed, not accumulated */
        assert_int_equal(nvct_cdi_cache_replace_spec(c, 0, nvct_cdi_spec_copy(s2), &err), 0);
        assert_int_equal(strv_length(c->errors), 4);
        nvct_cdi_cache_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path_depth),     cmocka_unit_test(test_mount_sort_stable),
                cmocka_unit_test(test_env_replace),    cmocka_unit_test(test_node_fill),
                cmocka_unit_test(test_node_errors_leave_spec), cmocka_unit_test(test_inject),
                cmocka_unit_test(test_additional_gids), cmocka_unit_test(test_cache_conflicts),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
