/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elf.h"
#include "fileio.h"
#include "strv.h"

/*
 * Objects are built here with gcc (and gcc -m32 when multilib works); hostile variants are made by patching
 * fields of the 64-bit little-endian ones in memory. The offsets below are the ELF64 header and section header
 * layout from the gABI.
 */

static char tmp[] = "/tmp/nvct-test-elf.XXXXXX";
static bool have_m32;

static int sh(const char *fmt, ...) _printf_(1, 2);
static int sh(const char *fmt, ...) {
        char cmd[4096];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        return system(cmd);
}

static const char notes_s[] =
        /* An ABI tag as glibc's crt files carry it, GNU/Linux 2.3.99 as libnvidia-tls does. */
        ".section .note.ABI-tag,\"a\",@note\n"
        ".p2align 2\n"
        ".long 4, 16, 1\n"
        ".asciz \"GNU\"\n"
        ".long 0, 2, 3, 99\n"
        ".section .note.GNU-stack,\"\",@progbits\n";

static const char notes8_s[] =
        /* An 8-aligned note region: a property-like note whose descriptor needs padding, then an ABI tag. */
        ".section .note.test8,\"a\",@note\n"
        ".p2align 3\n"
        ".long 4, 12, 0x99\n"
        ".asciz \"GNU\"\n"
        ".long 1, 2, 3\n"
        ".p2align 3\n"
        ".long 4, 16, 1\n"
        ".asciz \"GNU\"\n"
        ".long 0, 4, 5, 6\n"
        ".section .note.GNU-stack,\"\",@progbits\n";

static int setup(void **state) {
        (void) state;
        if (!mkdtemp(tmp))
                return -1;
        FILE *f = NULL;
        char p[512];
        snprintf(p, sizeof(p), "%s/notes.s", tmp);
        if (!(f = fopen(p, "we")) || fputs(notes_s, f) < 0 || fclose(f) != 0)
                return -1;
        snprintf(p, sizeof(p), "%s/notes8.s", tmp);
        if (!(f = fopen(p, "we")) || fputs(notes8_s, f) < 0 || fclose(f) != 0)
                return -1;
        if (sh("cd %s && echo 'double f(double x){return x;} int main(void){return 0;}' > a.c && "
               "gcc -shared -fPIC -Wl,--no-as-needed -Wl,-soname,libx.so.1 -o libx.so a.c -lm && "
               "gcc -shared -fPIC -Wl,-soname,libnvidia-tls.so.1 -o libtls.so a.c notes.s && "
               "gcc -shared -fPIC -o libnote8.so a.c notes8.s && "
               "gcc -o prog a.c", tmp) != 0)
                return -1;
        have_m32 = sh("cd %s && gcc -m32 -shared -fPIC -Wl,--no-as-needed -Wl,-soname,libx.so.1 -o libx32.so a.c "
                      "-lm 2>/dev/null", tmp) == 0;
        return 0;
}

static int teardown(void **state) {
        (void) state;
        return sh("rm -rf %s", tmp) == 0 ? 0 : -1;
}

static unsigned char *slurp(const char *name, size_t *len) {
        char path[512];
        char *data = NULL;
        NvctError err = NVCT_ERROR_INIT;
        snprintf(path, sizeof(path), "%s/%s", tmp, name);
        assert_int_equal(read_file_at(AT_FDCWD, path, 16 << 20, &data, len, &err), 0);
        return (unsigned char *) data;
}

static uint64_t rd64(const unsigned char *p) {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
}
static uint32_t rd32(const unsigned char *p) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
}
static void wr64(unsigned char *p, uint64_t v) {
        memcpy(p, &v, 8);
}
static void wr32(unsigned char *p, uint32_t v) {
        memcpy(p, &v, 4);
}

/* The section header of the first section of this type in an ELF64 image. */
static unsigned char *shdr_of_type(unsigned char *b, uint32_t type) {
        uint64_t shoff = rd64(b + 40);
        uint16_t entsize, num;
        memcpy(&entsize, b + 58, 2);
        memcpy(&num, b + 60, 2);
        for (unsigned i = 0; i < num; i++)
                if (rd32(b + shoff + (uint64_t) i * entsize + 4) == type)
                        return b + shoff + (uint64_t) i * entsize;
        fail_msg("no section of type %u", type);
        return NULL;
}

static void test_shared_object(void **state) {
        (void) state;
        char path[512];
        NvctError err = NVCT_ERROR_INIT;
        NvctElfInfo info;

        snprintf(path, sizeof(path), "%s/libx.so", tmp);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        assert_true(fd >= 0);
        assert_int_equal(nvct_elf_read_fd(fd, path, &info, &err), 0);
        assert_int_equal(info.elf_class, 64);
        assert_false(info.big_endian);
        assert_int_equal(info.type, NVCT_ELF_ET_DYN);
#if defined(__x86_64__)
        assert_int_equal(info.machine, NVCT_ELF_EM_X86_64);
#endif
        assert_string_equal(info.soname, "libx.so.1");
        assert_true(nvct_elf_needs_prefix(&info, "libm.so"));
        assert_true(nvct_elf_needs_prefix(&info, "libc.so.6"));
        assert_false(nvct_elf_needs_prefix(&info, "libnvidia-glcore.so"));
        assert_false(info.has_abi_tag);
        nvct_elf_info_done(&info);
        assert_null(info.soname);
        assert_null(info.needed);

        /* The buffer reader agrees with the fd reader. */
        size_t len = 0;
        _cleanup_free_ unsigned char *b = slurp("libx.so", &len);
        assert_int_equal(nvct_elf_parse(b, len, "buf", &info, &err), 0);
        assert_string_equal(info.soname, "libx.so.1");
        assert_string_equal(info.needed[0], "libm.so.6");
        nvct_elf_info_done(&info);
}

static void test_32bit(void **state) {
        (void) state;
        if (!have_m32)
                skip();
        size_t len = 0;
        NvctError err = NVCT_ERROR_INIT;
        NvctElfInfo info;
        _cleanup_free_ unsigned char *b = slurp("libx32.so", &len);
        assert_int_equal(nvct_elf_parse(b, len, "x32", &info, &err), 0);
        assert_int_equal(info.elf_class, 32);
        assert_int_equal(info.machine, NVCT_ELF_EM_386);
        assert_string_equal(info.soname, "libx.so.1");
        assert_true(nvct_elf_needs_prefix(&info, "libm.so.6"));
        nvct_elf_info_done(&info);
}

static void test_abi_tag(void **state) {
        (void) state;
        size_t len = 0;
        NvctError err = NVCT_ERROR_INIT;
        NvctElfInfo info;

        _cleanup_free_ unsigned char *b = slurp("libtls.so", &len);
        assert_int_equal(nvct_elf_parse(b, len, "tls", &info, &err), 0);
        assert_true(nvct_elf_has_abi(&info, NVCT_ELF_ABI_OS_LINUX, 2, 3, 99));
        assert_false(nvct_elf_has_abi(&info, NVCT_ELF_ABI_OS_LINUX, 2, 6, 32));
        nvct_elf_info_done(&info);

        /* sh_addralign 0 ("no constraint") reads like 4. */
        wr64(shdr_of_type(b, 7) + 48, 0);
        assert_int_equal(nvct_elf_parse(b, len, "tls", &info, &err), 0);
        assert_true(nvct_elf_has_abi(&info, NVCT_ELF_ABI_OS_LINUX, 2, 3, 99));
        nvct_elf_info_done(&info);

        /* Executables carry glibc's own tag. */
        _cleanup_free_ unsigned char *p = slurp("prog", &len);
        assert_int_equal(nvct_elf_parse(p, len, "prog", &info, &err), 0);
        assert_true(info.has_abi_tag);
        assert_int_equal(info.abi_os, NVCT_ELF_ABI_OS_LINUX);
        assert_null(info.soname);
        assert_true(nvct_elf_needs_prefix(&info, "libc.so.6"));
        nvct_elf_info_done(&info);
}

static void test_note_alignment_8(void **state) {
        (void) state;
        size_t len = 0;
        NvctError err = NVCT_ERROR_INIT;
        NvctElfInfo info;
        _cleanup_free_ unsigned char *b = slurp("libnote8.so", &len);
        assert_int_equal(nvct_elf_parse(b, len, "n8", &info, &err), 0);
        assert_true(nvct_elf_has_abi(&info, NVCT_ELF_ABI_OS_LINUX, 4, 5, 6));
        nvct_elf_info_done(&info);
}

/* Without section headers (sstrip), the program headers still lead to the dynamic table and the notes. */
static void test_program_headers_only(void **state) {
        (void) state;
        const char *names[] = { "libtls.so", "libx.so", "prog" };
        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                size_t len = 0;
                NvctError err = NVCT_ERROR_INIT;
                NvctElfInfo full, info;
                _cleanup_free_ unsigned char *b = slurp(names[k], &len);
                assert_int_equal(nvct_elf_parse(b, len, "full", &full, &err), 0);
                wr64(b + 40, 0);
                memset(b + 58, 0, 6);
                assert_int_equal(nvct_elf_parse(b, len, "stripped", &info, &err), 0);
                if (full.soname)
                        assert_string_equal(info.soname, full.soname);
                else
                        assert_null(info.soname);
                assert_int_equal(strv_length(info.needed), strv_length(full.needed));
                for (size_t i = 0; full.needed[i]; i++)
                        assert_string_equal(info.needed[i], full.needed[i]);
                assert_int_equal(info.has_abi_tag, full.has_abi_tag);
                assert_memory_equal(info.abi_version, full.abi_version, sizeof(info.abi_version));
                if (k == 0)
                        assert_true(nvct_elf_has_abi(&info, NVCT_ELF_ABI_OS_LINUX, 2, 3, 99));
                if (k == 1)
                        assert_true(nvct_elf_needs_prefix(&info, "libm.so"));
                nvct_elf_info_done(&info);
                nvct_elf_info_done(&full);
        }
}

static void test_hostile_fields(void **state) {
        (void) state;
        size_t len = 0;
        NvctError err = NVCT_ERROR_INIT;
        NvctElfInfo info;
        _cleanup_free_ unsigned char *orig = slurp("libtls.so", &len);
        _cleanup_free_ unsigned char *b = malloc(len);
        assert_non_null(b);

        /* sh_offset past the end of the file. */
        memcpy(b, orig, len);
        wr64(shdr_of_type(b, 6) + 24, len + 100);
        assert_int_equal(nvct_elf_parse(b, len, "h", &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "h: dynamic section at offset"));
        assert_non_null(strstr(err.msg, "past end of file"));

        /* A size that wraps the offset. */
        memcpy(b, orig, len);
        wr64(shdr_of_type(b, 7) + 32, UINT64_MAX - 2);
        assert_int_equal(nvct_elf_parse(b, len, "h", &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "note section"));

        /* A link to a section that does not exist. */
        memcpy(b, orig, len);
        wr32(shdr_of_type(b, 6) + 40, 9999);
        assert_int_equal(nvct_elf_parse(b, len, "h", &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "links to section 9999"));

        /* namesz = 0xffffffff. */
        memcpy(b, orig, len);
        wr32(b + rd64(shdr_of_type(b, 7) + 24), 0xffffffff);
        assert_int_equal(nvct_elf_parse(b, len, "h", &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "name size 4294967295"));

        /* A DT_SONAME pointing outside the string table. */
        memcpy(b, orig, len);
        unsigned char *dyn = b + rd64(shdr_of_type(b, 6) + 24);
        for (; rd64(dyn) != 0; dyn += 16)
                if (rd64(dyn) == 14)
                        wr64(dyn + 8, 0x7fffffff);
        assert_int_equal(nvct_elf_parse(b, len, "h", &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "DT_SONAME string index 0x7fffffff outside the string table"));

        /* Forged table geometry. */
        memcpy(b, orig, len);
        memset(b + 58, 10, 1);
        assert_int_equal(nvct_elf_parse(b, len, "h", &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "section header table entry size 10"));
        memcpy(b, orig, len);
        wr64(b + 40, UINT64_MAX - 10);
        assert_int_equal(nvct_elf_parse(b, len, "h", &info, &err), -EINVAL);
        assert_non_null(strstr(err.msg, "section header table"));

        /* Not ELF at all, and an unknown class. */
        assert_int_equal(nvct_elf_parse("\177EL", 3, "h", &info, &err), -EBADMSG);
        assert_int_equal(nvct_elf_parse("#!/bin/sh\nexit 0\n", 17, "h", &info, &err), -EBADMSG);
        assert_string_equal(err.msg, "h: not an ELF file (bad magic)");
        memcpy(b, orig, len);
        b[4] = 9;
        assert_int_equal(nvct_elf_parse(b, len, "h", &info, &err), -EINVAL);
        assert_string_equal(err.msg, "h: unknown ELF class 9");
}

/* e_shnum 0 with the count in section 0's sh_size (the gABI's extended numbering), honest and forged. */
static void test_extended_section_numbering(void **state) {
        (void) state;
        size_t len = 0;
        NvctError err = NVCT_ERROR_INIT;
        NvctElfInfo info;
        _cleanup_free_ unsigned char *b = slurp("libtls.so", &len);
        uint16_t num;
        memcpy(&num, b + 60, 2);
        assert_true(num > 0);
        unsigned char *s0 = b + rd64(b + 40);
        assert_int_equal(rd64(s0 + 32), 0);

        memset(b + 60, 0, 2);
        wr64(s0 + 32, num);
        assert_int_equal(nvct_elf_parse(b, len, "x", &info, &err), 0);
        assert_string_equal(info.soname, "libnvidia-tls.so.1");
        assert_true(info.has_abi_tag);
        nvct_elf_info_done(&info);

        /* No count anywhere: no sections are read, and the program headers alone still give the SONAME. */
        wr64(s0 + 32, 0);
        assert_int_equal(nvct_elf_parse(b, len, "x", &info, &err), 0);
        assert_string_equal(info.soname, "libnvidia-tls.so.1");
        nvct_elf_info_done(&info);

        wr64(s0 + 32, UINT64_MAX / 2);
        assert_int_equal(nvct_elf_parse(b, len, "x", &info, &err), -EFBIG);
        assert_non_null(strstr(err.msg, "x: section header table has"));
}

/* No truncation or corrupted byte may crash the reader or leave a multi-line message. */
static void test_truncation_and_noise(void **state) {
        (void) state;
        const char *names[] = { "libtls.so", "libx32.so" };
        for (size_t k = 0; k < ELEMENTSOF(names); k++) {
                if (k == 1 && !have_m32)
                        continue;
                size_t len = 0;
                _cleanup_free_ unsigned char *orig = slurp(names[k], &len);
                _cleanup_free_ unsigned char *b = malloc(len);
                assert_non_null(b);
                size_t failures = 0;
                for (size_t n = 0; n < len; n++) {
                        NvctError err = NVCT_ERROR_INIT;
                        NvctElfInfo info;
                        if (nvct_elf_parse(orig, n, "t", &info, &err) < 0) {
                                assert_true(strncmp(err.msg, "t: ", 3) == 0);
                                assert_null(strchr(err.msg, '\n'));
                                failures++;
                        } else
                                nvct_elf_info_done(&info);
                }
                /* The section header table sits at the very end: every truncation loses it. */
                assert_int_equal(failures, len);

                srand(7);
                for (int round = 0; round < 3000; round++) {
                        memcpy(b, orig, len);
                        for (int j = 0; j < 4; j++)
                                b[(size_t) rand() % len] = (unsigned char) rand();
                        NvctError err = NVCT_ERROR_INIT;
                        NvctElfInfo info;
                        if (nvct_elf_parse(b, len, "t", &info, &err) >= 0)
                                nvct_elf_info_done(&info);
                }
        }
}

static void test_read_fd_refuses_non_regular(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        NvctElfInfo info;
        _cleanup_close_ int fd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        assert_int_equal(nvct_elf_read_fd(fd, "d", &info, &err), -EINVAL);
        assert_string_equal(err.msg, "d: not a regular file");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shared_object),
                cmocka_unit_test(test_32bit),
                cmocka_unit_test(test_abi_tag),
                cmocka_unit_test(test_note_alignment_8),
                cmocka_unit_test(test_program_headers_only),
                cmocka_unit_test(test_hostile_fields),
                cmocka_unit_test(test_extended_section_numbering),
                cmocka_unit_test(test_truncation_and_noise),
                cmocka_unit_test(test_read_fd_refuses_non_regular),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
