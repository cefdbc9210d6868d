/* SPDX-License-Identifier: Apache-2.0 */
/* Golden files for the engine editors: tests/golden/engines/<engine>/<name>. NVCT_GOLDEN_UPDATE=1 rewrites them. */
#pragma once

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "engine.h"
#include "fileio.h"

static char *golden_path(const char *engine, const char *name) {
        const char *src = getenv("NVCT_SRC");
        char *p = NULL;
        if (src)
                assert_true(asprintf(&p, "%s/tests/golden/engines/%s/%s", src, engine, name) > 0);
        else {
                const char *f = __FILE__, *cut = strstr(f, "/tests/unit/");
                assert_non_null(cut);
                assert_true(asprintf(&p, "%.*s/tests/golden/engines/%s/%s", (int) (cut - f), f, engine, name) > 0);
        }
        return p;
}

_unused_ static char *golden_read(const char *engine, const char *name) {
        char *p = golden_path(engine, name), *text = NULL;
        NvctError err = NVCT_ERROR_INIT;
        if (read_file_at(AT_FDCWD, p, 1u << 22, &text, NULL, &err) < 0)
                fail_msg("cannot read golden file: %s", err.msg);
        free(p);
        return text;
}

_unused_ static void golden_check(const char *engine, const char *name, const char *actual) {
        char *p = golden_path(engine, name);
        if (getenv("NVCT_GOLDEN_UPDATE")) {
                FILE *f = fopen(p, "we");
                assert_non_null(f);
                fputs(actual, f);
                assert_int_equal(fclose(f), 0);
        }
        char *expected = golden_read(engine, name);
        if (!streq(expected, actual)) {
                char *d = NULL;
                assert_int_equal(nvct_unified_diff(expected, actual, p, "actual", &d), 0);
                print_error("%s", d);
                free(d);
                fail_msg("%s differs from the golden file", name);
        }
        free(expected);
        free(p);
}

/* assert_string_equal with a diff in the message */
#define assert_text_equal(a, b) assert_text_equal_at((a), (b), __FILE__, __LINE__)
_unused_ static void assert_text_equal_at(const char *expected, const char *actual, const char *file, int line) {
        if (streq(expected, actual))
                return;
        char *d = NULL;
        assert_int_equal(nvct_unified_diff(expected, actual, "expected", "actual", &d), 0);
        print_error("%s", d);
        free(d);
        fail_msg("%s:%d: texts differ", file, line);
}

_unused_ static const NvctEngineOptions golden_full = {
        .runtime_name = "nvidia",
        .runtime_path = "/usr/bin/nvidia-container-runtime",
        .set_as_default = true,
        .enable_cdi = true,
};
