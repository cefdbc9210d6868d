/* SPDX-License-Identifier: Apache-2.0 */
#include "engine-golden.h"

static void check(const char *a, const char *b, const char *expected) {
        char *d = NULL;
        assert_int_equal(nvct_unified_diff(a, b, "a", "b", &d), 0);
        assert_string_equal(d, expected);
        free(d);
}

static void test_equal(void **state) {
        (void) state;
        check("x\ny\n", "x\ny\n", "");
        check(NULL, "", "");
}

static void test_new_and_removed_file(void **state) {
        (void) state;
        check(NULL, "a\nb\n", "--- /dev/null\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n");
        check("a\n", NULL, "--- a\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n");
}

static void test_context_and_hunks(void **state) {
        (void) state;
        check("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\nX\n4\n5\n6\n7\n8\n9\n10\n11\nY\n",
              "--- a\n+++ b\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+X\n 4\n 5\n 6\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+Y\n");
        /* changes 6 lines apart share one hunk */
        check("1\n2\n3\n4\n5\n6\n7\n8\n", "X\n2\n3\n4\n5\n6\n7\nY\n",
              "--- a\n+++ b\n@@ -1,8 +1,8 @@\n-1\n+X\n 2\n 3\n 4\n 5\n 6\n 7\n-8\n+Y\n");
}

static void test_insert_and_no_newline(void **state) {
        (void) state;
        check("a\nb\n", "a\nnew\nb\n", "--- a\n+++ b\n@@ -1,2 +1,3 @@\n a\n+new\n b\n");
        check("a\nb", "a\nb\n", "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_equal),
                cmocka_unit_test(test_new_and_removed_file),
                cmocka_unit_test(test_context_and_hunks),
                cmocka_unit_test(test_insert_and_no_newline),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
