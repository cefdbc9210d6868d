/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * Note: this header shadows the system <elf.h> for anything built with -Isrc/lib, so it deliberately provides its
 * own NVCT_ELF_* constants and nothing in nvct includes the system one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * A bounded reader of the few ELF facts discovery needs: class, byte order, machine, DT_SONAME, DT_NEEDED and the
 * GNU ABI tag note. ELF32 and ELF64 in either byte order are read from a buffer or from an fd (with pread, so a
 * 100 MB driver library costs a few small reads). Every offset, size and count in the file is checked against the
 * file size before it is used; anything malformed is an error naming the file and the field.
 * The dynamic section and notes are found through the section headers, or through the program headers when the
 * file has no section headers (sstrip'd objects).
 */

enum {
        NVCT_ELF_EM_386 = 3,
        NVCT_ELF_EM_PPC64 = 21,
        NVCT_ELF_EM_ARM = 40,
        NVCT_ELF_EM_X86_64 = 62,
        NVCT_ELF_EM_AARCH64 = 183,

        NVCT_ELF_ET_EXEC = 2,
        NVCT_ELF_ET_DYN = 3,

        NVCT_ELF_ABI_OS_LINUX = 0,
};

typedef struct NvctElfInfo {
        unsigned elf_class;       /* 32 or 64 */
        bool big_endian;
        uint16_t type;            /* e_type: NVCT_ELF_ET_* */
        uint16_t machine;         /* e_machine: NVCT_ELF_EM_* */
        char *soname;             /* DT_SONAME, NULL when absent */
        char **needed;            /* DT_NEEDED in file order; an empty strv (never NULL) after success */
        bool has_abi_tag;         /* a "GNU" NT_GNU_ABI_TAG note was found */
        uint32_t abi_os;          /* NVCT_ELF_ABI_OS_* */
        uint32_t abi_version[3];  /* the minimum kernel version, e.g. {2, 6, 32} (libnvidia-tls: {2, 3, 99}) */
} NvctElfInfo;

/* Parse an ELF image held in memory. *ret is filled only on success; release it with nvct_elf_info_done(). */
int nvct_elf_parse(const void *data, size_t size, const char *what, NvctElfInfo *ret, NvctError *err);
/* Same for the regular file open (readable, not O_PATH) at fd. */
int nvct_elf_read_fd(int fd, const char *what, NvctElfInfo *ret, NvctError *err);
void nvct_elf_info_done(NvctElfInfo *info);

/* True when the ABI tag says exactly this OS and version. */
bool nvct_elf_has_abi(const NvctElfInfo *info, uint32_t os, uint32_t major, uint32_t minor, uint32_t patch);
/* True when some DT_NEEDED entry starts with prefix. */
bool nvct_elf_needs_prefix(const NvctElfInfo *info, const char *prefix);
