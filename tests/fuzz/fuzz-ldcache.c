/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ldcache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NvctError err = NVCT_ERROR_INIT;
        NvctLdcache *c = NULL;

        if (nvct_ldcache_parse(data, size, "fuzz", &c, &err) < 0)
                return 0;
        /* Touch every string so the sanitizers see any pointer that escaped the copy. */
        size_t sum = 0;
        for (size_t i = 0; i < c->n_entries; i++)
                sum += strlen(c->entries[i].key) + strlen(c->entries[i].value) +
                       nvct_ldcache_entry_is(&c->entries[i], NVCT_LDCACHE_ARCH_X86_64);
        __asm__ volatile("" : : "r"(sum));
        nvct_ldcache_free(c);
        return 0;
}
