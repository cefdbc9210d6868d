/* SPDX-License-Identifier: Apache-2.0 */
/* The CDI hooks' argument grammar: option parsing, TARGET::LINK specs and octal modes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdi-hooks.h"
#include "strv.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NvctError err = NVCT_ERROR_INIT;
        NvctHookArgs a = { 0 };
        char **warnings = NULL;
        char *argv[MAX_ARGS + 1];
        int argc = 0;

        if (size < 1)
                return 0;
        NvctHookKind kind = (NvctHookKind) (data[0] % _NVCT_HOOK_MAX);
        /* the rest is NUL-separated argv words */
        char *text = malloc(size);
        if (!text)
                return 0;
        memcpy(text, data + 1, size - 1);
        text[size - 1] = '\0';
        argv[argc++] = (char *) nvct_hook_kind_name(kind);
        for (char *p = text; p < text + size - 1 && argc < MAX_ARGS; p += strlen(p) + 1)
                argv[argc++] = p;
        argv[argc] = NULL;

        if (nvct_hook_args_parse(kind, argc, argv, &a, &warnings, &err) >= 0) {
                for (char **l = a.link; l && *l; l++) {
                        char *t = NULL, *k = NULL;
                        if (nvct_hook_parse_link(*l, &t, &k, &err) >= 0) {
                                free(t);
                                free(k);
                        }
                }
                mode_t m;
                if (a.mode)
                        (void) nvct_hook_parse_mode(a.mode, &m, &err);
                nvct_hook_args_done(&a);
        }
        strv_free(warnings);
        free(text);
        return 0;
}
