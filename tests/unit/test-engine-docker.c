/* SPDX-License-Identifier: Apache-2.0 */
#include "engine-golden.h"
#include "engine-docker.h"

static void configure(const char *in, const NvctEngineOptions *o, json_t *undo, char **ret) {
        NvctError err = NVCT_ERROR_INIT;
        if (nvct_docker_configure(in, strlen(in), "daemon.json", o, undo, ret, &err) < 0)
                fail_msg("configure: %s", err.msg);
}

static void golden_case(const char *name) {
        char in_name[64], out_name[64], *in, *out, *again, *reverted, *twice;
        json_t *undo = nvct_undo_new("docker"), *undo2 = nvct_undo_new("docker");
        NvctError err = NVCT_ERROR_INIT;
        unsigned kept = 99;

        snprintf(in_name, sizeof(in_name), "%s.in", name);
        snprintf(out_name, sizeof(out_name), "%s.out", name);
        in = golden_read("docker", in_name);
        configure(in, &golden_full, undo, &out);
        golden_check("docker", out_name, out);

        json_t *parsed = json_loads(out, 0, NULL);
        assert_true(json_is_object(parsed));
        json_decref(parsed);

        /* a second run changes nothing, byte for byte, and journals nothing */
        configure(out, &golden_full, undo2, &again);
        assert_string_equal(again, out);
        assert_int_equal(nvct_undo_n_edits(undo2), 0);

        assert_int_equal(nvct_docker_revert(out, strlen(out), "daemon.json", undo, &reverted, &kept, &err), 0);
        assert_int_equal(kept, 0);
        if (in[0] == '\0')
                assert_true(nvct_docker_is_empty(reverted, strlen(reverted)));
        else {
                json_t *a = json_loads(in, 0, NULL), *b = json_loads(reverted, 0, NULL);
                assert_true(json_equal(a, b));
                json_decref(a);
                json_decref(b);
        }
        /* reverting again finds nothing of ours left */
        assert_int_equal(nvct_docker_revert(reverted, strlen(reverted), "daemon.json", undo, &twice, &kept, &err), 0);
        assert_string_equal(twice, reverted);
        free(in), free(out), free(again), free(reverted), free(twice);
        json_decref(undo);
        json_decref(undo2);
}

static void test_empty(void **state) {
        (void) state;
        golden_case("empty");
}
static void test_existing(void **state) {
        (void) state;
        golden_case("existing");
}
static void test_other_runtimes(void **state) {
        (void) state;
        golden_case("other-runtimes");
}
static void test_configured(void **state) {
        (void) state;
        golden_case("configured");
}

static void test_minimal_options(void **state) {
        NvctEngineOptions o = { .runtime_name = "nv", .runtime_path = "/x/rt" };
        char *out;
        (void) state;
        configure("{\"a\": 1}", &o, NULL, &out);
        assert_string_equal(out, "{\n    \"a\": 1,\n    \"runtimes\": {\n        \"nv\": {\n            \"path\": "
                                 "\"/x/rt\",\n            \"args\": []\n        }\n    }\n}\n");
        free(out);
}

static void test_malformed(void **state) {
        NvctError err = NVCT_ERROR_INIT;
        char *out = NULL;
        (void) state;
        const char *bad = "{\n    \"a\": 1,\n    \"b\": ,\n}\n";
        assert_int_equal(nvct_docker_configure(bad, strlen(bad), "/etc/docker/daemon.json", &golden_full, NULL,
                                               &out, &err),
                         -EBADMSG);
        assert_null(out);
        assert_non_null(strstr(err.msg, "/etc/docker/daemon.json:3:"));
        nvct_error_clear(&err);
        assert_int_equal(nvct_docker_configure("[1]", 3, "d.json", &golden_full, NULL, &out, &err), -EBADMSG);
        assert_non_null(strstr(err.msg, "not a JSON object"));
        nvct_error_clear(&err);
        const char *str_rt = "{\"runtimes\": \"x\"}";
        assert_int_equal(nvct_docker_configure(str_rt, strlen(str_rt), "d.json", &golden_full, NULL, &out, &err),
                         -EINVAL);
        assert_non_null(strstr(err.msg, "\"runtimes\" is a string"));
}

/* A key the user changed after configure is left alone; the rest is undone. */
static void test_revert_keeps_user_changes(void **state) {
        json_t *undo = nvct_undo_new("docker");
        NvctError err = NVCT_ERROR_INIT;
        char *out, *rev;
        unsigned kept = 0;
        (void) state;
        configure("{\"default-runtime\": \"runc\"}", &golden_full, undo, &out);
        assert_non_null(strstr(out, "\"default-runtime\": \"nvidia\""));
        const char *edited = "{\"default-runtime\": \"crun\", \"runtimes\": {\"nvidia\": {\"path\": "
                             "\"/usr/bin/nvidia-container-runtime\", \"args\": []}}, \"features\": {\"cdi\": true}, "
                             "\"user\": 1}";
        assert_int_equal(nvct_docker_revert(edited, strlen(edited), "d.json", undo, &rev, &kept, &err), 0);
        assert_int_equal(kept, 1);
        assert_string_equal(rev, "{\n    \"default-runtime\": \"crun\",\n    \"user\": 1\n}\n");
        free(out), free(rev);
        json_decref(undo);
}

/* Re-running with another path keeps the value from before the first run as the one to restore. */
static void test_journal_keeps_first_prior(void **state) {
        json_t *undo = nvct_undo_new("docker");
        NvctEngineOptions o2 = golden_full;
        NvctError err = NVCT_ERROR_INIT;
        char *a, *b, *rev;
        (void) state;
        o2.runtime_path = "/opt/other";
        configure("{\"default-runtime\": \"runc\"}", &golden_full, undo, &a);
        configure(a, &o2, undo, &b);
        assert_int_equal(nvct_undo_n_edits(undo), 3);
        assert_int_equal(nvct_docker_revert(b, strlen(b), "d.json", undo, &rev, NULL, &err), 0);
        assert_string_equal(rev, "{\n    \"default-runtime\": \"runc\"\n}\n");
        free(a), free(b), free(rev);
        json_decref(undo);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_empty),
                cmocka_unit_test(test_existing),
                cmocka_unit_test(test_other_runtimes),
                cmocka_unit_test(test_configured),
                cmocka_unit_test(test_minimal_options),
                cmocka_unit_test(test_malformed),
                cmocka_unit_test(test_revert_keeps_user_changes),
                cmocka_unit_test(test_journal_keeps_first_prior),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
