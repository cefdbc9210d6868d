/* SPDX-License-Identifier: Apache-2.0 */
/* CDI specs in JSON: parse, validate, round-trip through both formats (fuzz-cdi.h). */
#include "fuzz-cdi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        return fuzz_cdi_spec(data, size, NVCT_CDI_FORMAT_JSON);
}
