/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ELF note libnvidia-tls carries: NT_GNU_ABI_TAG, OS Linux, ABI 2.3.99. libnvidia-container picks the TLS
 * library by it, and ldconfig records it in ld.so.cache ("OS ABI: Linux 2.3.99").
 */

struct abi_note {
        unsigned int namesz, descsz, type;
        char name[4];
        unsigned int desc[4];
};

__attribute__((section(".note.ABI-tag"), used, aligned(4)))
static const struct abi_note abi_tag = { 4, 16, 1, "GNU", { 0, 2, 3, 99 } };
