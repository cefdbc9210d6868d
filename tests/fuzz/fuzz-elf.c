/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NvctError err = NVCT_ERROR_INIT;
        NvctElfInfo info;

        if (nvct_elf_parse(data, size, "fuzz", &info, &err) < 0)
                return 0;
        size_t sum = info.soname ? strlen(info.soname) : 0;
        for (char **p = info.needed; *p; p++)
                sum += strlen(*p);
        sum += nvct_elf_has_abi(&info, NVCT_ELF_ABI_OS_LINUX, 2, 3, 99) + nvct_elf_needs_prefix(&info, "libc.so");
        __asm__ volatile("" : : "r"(sum));
        nvct_elf_info_done(&info);
        return 0;
}
