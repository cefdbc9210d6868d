/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "require.h"

/*
 * The input is one requirement expression. validate() and check() must agree on its syntax, check() must only
 * ever answer 0, -EINVAL or -EPERM, and a message must always be set on failure.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const NvctRequireFacts facts[] = {
                { "13.0", "580.159.04", "9.0", "Nvidia" },
                { "12.4", "550.54.15", "8.0", "Tesla" },
        };
        if (size > NVCT_REQUIRE_EXPR_MAX + 16)
                return 0;
        char *expr = malloc(size + 1);
        if (!expr)
                return 0;
        memcpy(expr, data, size);
        expr[size] = '\0';

        NvctError verr = NVCT_ERROR_INIT, err = NVCT_ERROR_INIT;
        int v = nvct_require_validate(expr, &verr);
        char *const exprs[] = { expr, NULL };
        for (size_t n = 0; n <= ELEMENTSOF(facts); n++) {
                int r = nvct_require_check(exprs, n ? facts : NULL, n, &err);
                if (r != 0 && r != -EINVAL && r != -EPERM)
                        abort();
                if ((v == -EINVAL) != (r == -EINVAL) && !(r == -EINVAL && strstr(err.msg, "is not a version")))
                        abort();
                if (r < 0 && (err.code != -r || err.msg[0] == '\0'))
                        abort();
        }
        free(expr);
        return 0;
}
