/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The body of fuzz-cdi-json and fuzz-cdi-yaml: strict CDI spec parsing of arbitrary input in one format, then
 * validation; a spec that parses is written back in both formats, and what we write must read back and write out
 * to the same bytes again (the writer is deterministic and the reader accepts everything it emits).
 */
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdi-spec.h"

static void round_trip(const NvctCdiSpec *s, NvctCdiFormat f) {
        NvctError err = NVCT_ERROR_INIT;
        char *text = NULL, *again = NULL;
        size_t len = 0, len2 = 0;
        NvctCdiSpec *back = NULL;
        if (nvct_cdi_spec_format(s, f, &text, &len, &err) < 0)
                abort();
        if (nvct_cdi_spec_parse(text, len, f, "written", &back, &err) < 0) {
                fprintf(stderr, "re-parse failed: %s\n%s\n", err.msg, text);
                abort();
        }
        if (nvct_cdi_spec_format(back, f, &again, &len2, &err) < 0 || len != len2 || memcmp(text, again, len) != 0) {
                fprintf(stderr, "not stable:\n%s\n---- vs ----\n%s\n", text, again ? again : "");
                abort();
        }
        free(text);
        free(again);
        nvct_cdi_spec_free(back);
}

static int fuzz_cdi_spec(const uint8_t *data, size_t size, NvctCdiFormat format) {
        NvctError err = NVCT_ERROR_INIT;
        NvctCdiSpec *s = NULL;
        if (size > 256 * 1024)
                return 0;
        if (nvct_cdi_spec_parse((const char *) data, size, format, "fuzz", &s, &err) < 0)
                return 0;
        (void) nvct_cdi_spec_validate(s, &err);
        (void) nvct_cdi_minimum_version(s);
        round_trip(s, NVCT_CDI_FORMAT_YAML);
        round_trip(s, NVCT_CDI_FORMAT_JSON);
        nvct_cdi_spec_free(s);
        return 0;
}
