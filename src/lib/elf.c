/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "strv.h"

/* The system <elf.h> is shadowed by ours (see elf.h): the few constants needed are spelled out here. */
#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ELFDATA2MSB 2
#define EHDR32_SIZE 52u
#define EHDR64_SIZE 64u
#define SHDR32_SIZE 40u
#define SHDR64_SIZE 64u
#define PHDR32_SIZE 32u
#define PHDR64_SIZE 56u
#define SHT_STRTAB 3
#define SHT_DYNAMIC 6
#define SHT_NOTE 7
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_NOTE 4
#define DT_NULL 0
#define DT_NEEDED 1
#define DT_STRTAB 5
#define DT_STRSZ 10
#define DT_SONAME 14
#define NT_GNU_ABI_TAG 1

/* Bounds on what a forged header can make us allocate or read. Real libraries stay far below them. */
#define MAX_TABLE_BYTES (4u << 20)
#define MAX_DYNAMIC_BYTES (1u << 20)
#define MAX_NOTE_BYTES (1u << 20)
#define MAX_STRING 4096u
#define MAX_NEEDED 1024u

typedef struct Elf {
        const char *what;
        const unsigned char *buf; /* buffer mode, else fd */
        int fd;
        uint64_t size;
        bool is64;
        bool swap;
        NvctError *err;

        unsigned char *shdrs;
        size_t shnum, shentsize;
        unsigned char *phdrs;
        size_t phnum, phentsize;
} Elf;

typedef struct Section {
        uint32_t type, link;
        uint64_t offset, size, align;
} Section;

typedef struct Segment {
        uint32_t type;
        uint64_t offset, vaddr, filesz, align;
} Segment;

static uint16_t get16(const Elf *e, const unsigned char *p) {
        uint16_t v;
        memcpy(&v, p, sizeof(v));
        return e->swap ? __builtin_bswap16(v) : v;
}

static uint32_t get32(const Elf *e, const unsigned char *p) {
        uint32_t v;
        memcpy(&v, p, sizeof(v));
        return e->swap ? __builtin_bswap32(v) : v;
}

static uint64_t get64(const Elf *e, const unsigned char *p) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return e->swap ? __builtin_bswap64(v) : v;
}

/* An address-sized field: 8 bytes in ELF64, 4 in ELF32. */
static uint64_t getword(const Elf *e, const unsigned char *p) {
        return e->is64 ? get64(e, p) : get32(e, p);
}

static bool range_ok(const Elf *e, uint64_t off, uint64_t len) {
        return off <= e->size && len <= e->size - off;
}

static int range_error(const Elf *e, const char *field, uint64_t off, uint64_t len) {
        return nvct_error_setx(e->err, EINVAL,
                               "%s: %s at offset 0x%" PRIx64 " (%" PRIu64 " bytes) past end of file (size %" PRIu64 ")",
                               e->what, field, off, len, e->size);
}
#define range_error(...) NVCT_NEGATIVE((range_error)(__VA_ARGS__))

static int elf_read(const Elf *e, uint64_t off, size_t len, void *dst, const char *field) {
        if (!range_ok(e, off, len))
                return range_error(e, field, off, len);
        if (e->buf) {
                memcpy(dst, e->buf + off, len);
                return 0;
        }
        for (size_t done = 0; done < len;) {
                ssize_t k = pread(e->fd, (char *) dst + done, len - done, (off_t) (off + done));
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return nvct_error_set(e->err, errno, "read %s", e->what);
                }
                if (k == 0)
                        return nvct_error_setx(e->err, EIO, "%s: file shrank while reading %s", e->what, field);
                done += (size_t) k;
        }
        return 0;
}

static int elf_read_alloc(const Elf *e, uint64_t off, uint64_t len, uint64_t max, const char *field,
                          unsigned char **ret) {
        if (len > max)
                return nvct_error_setx(e->err, EFBIG, "%s: %s is %" PRIu64 " bytes (limit %" PRIu64 ")", e->what,
                                       field, len, max);
        if (!range_ok(e, off, len))
                return range_error(e, field, off, len);
        _cleanup_free_ unsigned char *b = malloc(len > 0 ? len : 1);
        if (!b)
                return nvct_error_set(e->err, ENOMEM, "%s", e->what);
        int r = elf_read(e, off, len, b, field);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(b);
        return 0;
}

static void section_get(const Elf *e, size_t i, Section *s) {
        const unsigned char *p = e->shdrs + i * e->shentsize;
        s->type = get32(e, p + 4);
        if (e->is64) {
                s->offset = get64(e, p + 24);
                s->size = get64(e, p + 32);
                s->link = get32(e, p + 40);
                s->align = get64(e, p + 48);
        } else {
                s->offset = get32(e, p + 16);
                s->size = get32(e, p + 20);
                s->link = get32(e, p + 24);
                s->align = get32(e, p + 32);
        }
}

static void segment_get(const Elf *e, size_t i, Segment *s) {
        const unsigned char *p = e->phdrs + i * e->phentsize;
        s->type = get32(e, p);
        if (e->is64) {
                s->offset = get64(e, p + 8);
                s->vaddr = get64(e, p + 16);
                s->filesz = get64(e, p + 32);
                s->align = get64(e, p + 48);
        } else {
                s->offset = get32(e, p + 4);
                s->vaddr = get32(e, p + 8);
                s->filesz = get32(e, p + 16);
                s->align = get32(e, p + 28);
        }
}

static int load_table(Elf *e, uint64_t off, uint64_t num, uint16_t entsize, size_t min_entsize, const char *field,
                      unsigned char **ret) {
        if (entsize < min_entsize)
                return nvct_error_setx(e->err, EINVAL, "%s: %s entry size %u is smaller than %zu", e->what, field,
                                       entsize, min_entsize);
        if (num > MAX_TABLE_BYTES / entsize)
                return nvct_error_setx(e->err, EFBIG, "%s: %s has %" PRIu64 " entries (limit %u bytes)", e->what,
                                       field, num, MAX_TABLE_BYTES);
        return elf_read_alloc(e, off, num * entsize, MAX_TABLE_BYTES, field, ret);
}

static int load_headers(Elf *e, uint16_t *ret_type, uint16_t *ret_machine) {
        unsigned char h[EHDR64_SIZE];
        int r = elf_read(e, 0, e->is64 ? EHDR64_SIZE : EHDR32_SIZE, h, "ELF header");
        if (r < 0)
                return r;
        *ret_type = get16(e, h + 16);
        *ret_machine = get16(e, h + 18);

        /* Offsets of e_phoff and what follows differ by class; the fields after them keep their order. */
        const unsigned char *q = h + (e->is64 ? 32 : 28);
        size_t w = e->is64 ? 8 : 4;
        uint64_t phoff = getword(e, q), shoff = getword(e, q + w);
        q += 2 * w + 4 + 2; /* e_flags, e_ehsize */
        uint16_t phentsize = get16(e, q), phnum = get16(e, q + 2), shentsize = get16(e, q + 4);
        uint64_t shnum = get16(e, q + 6);

        if (shoff != 0) {
                size_t min = e->is64 ? SHDR64_SIZE : SHDR32_SIZE;
                if (shnum == 0) {
                        /* Extended numbering: the real count is in section 0's sh_size. */
                        unsigned char s0[SHDR64_SIZE];
                        r = elf_read(e, shoff, min, s0, "section header table");
                        if (r < 0)
                                return r;
                        shnum = getword(e, s0 + (e->is64 ? 32 : 20));
                }
                if (shnum > 0) {
                        r = load_table(e, shoff, shnum, shentsize, min, "section header table", &e->shdrs);
                        if (r < 0)
                                return r;
                        e->shnum = shnum;
                        e->shentsize = shentsize;
                }
        }
        if (phoff != 0 && phnum > 0) {
                r = load_table(e, phoff, phnum, phentsize, e->is64 ? PHDR64_SIZE : PHDR32_SIZE,
                               "program header table", &e->phdrs);
                if (r < 0)
                        return r;
                e->phnum = phnum;
                e->phentsize = phentsize;
        }
        return 0;
}

static int read_string(const Elf *e, uint64_t tab_off, uint64_t tab_size, uint64_t idx, const char *field,
                       char **ret) {
        char buf[MAX_STRING];

        if (idx >= tab_size)
                return nvct_error_setx(e->err, EINVAL,
                                       "%s: %s string index 0x%" PRIx64 " outside the string table (size %" PRIu64 ")",
                                       e->what, field, idx, tab_size);
        size_t n = (size_t) MIN(tab_size - idx, (uint64_t) MAX_STRING);
        int r = elf_read(e, tab_off + idx, n, buf, field);
        if (r < 0)
                return r;
        const char *z = memchr(buf, '\0', n);
        if (!z)
                return nvct_error_setx(e->err, EINVAL, "%s: %s string at offset 0x%" PRIx64 " is not terminated%s",
                                       e->what, field, tab_off + idx,
                                       n == MAX_STRING ? " within 4096 bytes" : " in its string table");
        char *s = strndup(buf, (size_t) (z - buf));
        if (!s)
                return nvct_error_set(e->err, ENOMEM, "%s", e->what);
        *ret = s;
        return 0;
}

/* Where the dynamic table and its string table lie in the file. */
typedef struct DynamicLoc {
        bool found;
        uint64_t off, size;
        bool have_strtab; /* from the section link; else from DT_STRTAB/DT_STRSZ */
        uint64_t str_off, str_size;
} DynamicLoc;

static int locate_dynamic_sections(const Elf *e, DynamicLoc *loc) {
        for (size_t i = 0; i < e->shnum; i++) {
                Section s, str;
                section_get(e, i, &s);
                if (s.type != SHT_DYNAMIC)
                        continue;
                if (!range_ok(e, s.offset, s.size))
                        return range_error(e, "dynamic section", s.offset, s.size);
                if (s.link == 0 || s.link >= e->shnum)
                        return nvct_error_setx(e->err, EINVAL, "%s: dynamic section links to section %u of %zu",
                                               e->what, s.link, e->shnum);
                section_get(e, s.link, &str);
                if (str.type != SHT_STRTAB)
                        return nvct_error_setx(e->err, EINVAL, "%s: dynamic section links to section %u of type %u",
                                               e->what, s.link, str.type);
                if (!range_ok(e, str.offset, str.size))
                        return range_error(e, "dynamic string table", str.offset, str.size);
                *loc = (DynamicLoc) { .found = true, .off = s.offset, .size = s.size, .have_strtab = true,
                                      .str_off = str.offset, .str_size = str.size };
                return 0;
        }
        for (size_t i = 0; i < e->phnum; i++) {
                Segment s;
                segment_get(e, i, &s);
                if (s.type != PT_DYNAMIC)
                        continue;
                if (!range_ok(e, s.offset, s.filesz))
                        return range_error(e, "dynamic segment", s.offset, s.filesz);
                *loc = (DynamicLoc) { .found = true, .off = s.offset, .size = s.filesz };
                return 0;
        }
        return 0;
}

/* Map a virtual address to a file offset through the PT_LOAD segments. */
static bool vaddr_to_offset(const Elf *e, uint64_t addr, uint64_t *ret) {
        for (size_t i = 0; i < e->phnum; i++) {
                Segment s;
                segment_get(e, i, &s);
                if (s.type == PT_LOAD && addr >= s.vaddr && addr - s.vaddr < s.filesz) {
                        *ret = s.offset + (addr - s.vaddr);
                        return true;
                }
        }
        return false;
}

static int strtab_from_tags(const Elf *e, const unsigned char *dyn, size_t n, size_t entsize, DynamicLoc *loc) {
        uint64_t addr = 0, size = 0;
        bool have_addr = false;

        for (size_t i = 0; i < n; i++) {
                uint64_t tag = getword(e, dyn + i * entsize), val = getword(e, dyn + i * entsize + entsize / 2);
                if (tag == DT_NULL)
                        break;
                if (tag == DT_STRTAB) {
                        addr = val;
                        have_addr = true;
                } else if (tag == DT_STRSZ)
                        size = val;
        }
        if (!have_addr)
                return 0;
        if (!vaddr_to_offset(e, addr, &loc->str_off))
                return nvct_error_setx(e->err, EINVAL, "%s: DT_STRTAB address 0x%" PRIx64 " is in no loaded segment",
                                       e->what, addr);
        if (!range_ok(e, loc->str_off, size))
                return range_error(e, "dynamic string table", loc->str_off, size);
        loc->str_size = size;
        loc->have_strtab = true;
        return 0;
}

static int parse_dynamic(const Elf *e, NvctElfInfo *info) {
        DynamicLoc loc = { 0 };
        int r = locate_dynamic_sections(e, &loc);
        if (r < 0 || !loc.found)
                return r;

        _cleanup_free_ unsigned char *dyn = NULL;
        r = elf_read_alloc(e, loc.off, loc.size, MAX_DYNAMIC_BYTES, "dynamic table", &dyn);
        if (r < 0)
                return r;
        size_t entsize = e->is64 ? 16 : 8, n = (size_t) loc.size / entsize;
        if (!loc.have_strtab) {
                r = strtab_from_tags(e, dyn, n, entsize, &loc);
                if (r < 0)
                        return r;
        }

        size_t n_needed = 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t tag = getword(e, dyn + i * entsize), val = getword(e, dyn + i * entsize + entsize / 2);
                if (tag == DT_NULL)
                        break;
                if (tag != DT_SONAME && tag != DT_NEEDED)
                        continue;
                if (!loc.have_strtab)
                        return nvct_error_setx(e->err, EINVAL, "%s: dynamic table names libraries but has no string "
                                               "table", e->what);
                if (tag == DT_SONAME && info->soname)
                        continue;
                if (tag == DT_NEEDED && ++n_needed > MAX_NEEDED)
                        return nvct_error_setx(e->err, EINVAL, "%s: more than %u DT_NEEDED entries", e->what,
                                               MAX_NEEDED);
                char *s = NULL;
                r = read_string(e, loc.str_off, loc.str_size, val, tag == DT_SONAME ? "DT_SONAME" : "DT_NEEDED", &s);
                if (r < 0)
                        return r;
                if (tag == DT_SONAME)
                        info->soname = s;
                else if (strv_consume(&info->needed, s) < 0)
                        return nvct_error_set(e->err, ENOMEM, "%s", e->what);
        }
        return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a) {
        return (v + a - 1) & ~(a - 1);
}

/*
 * Walk one note region. The descriptor and the next note start at the region's alignment: 4 bytes, or 8 where the
 * region says so (.note.gnu.property); sh_addralign 0 or 1 means 4, like the loader reads it.
 */
static int parse_note_region(const Elf *e, uint64_t off, uint64_t size, uint64_t align, NvctElfInfo *info) {
        if (size == 0 || info->has_abi_tag)
                return 0;
        _cleanup_free_ unsigned char *b = NULL;
        int r = elf_read_alloc(e, off, size, MAX_NOTE_BYTES, "note", &b);
        if (r < 0)
                return r;

        uint64_t a = align == 8 ? 8 : 4;
        for (uint64_t pos = 0; size - pos >= 12;) {
                uint32_t namesz = get32(e, b + pos), descsz = get32(e, b + pos + 4), type = get32(e, b + pos + 8);
                uint64_t name = pos + 12, desc = align_up(name + namesz, a);
                if (desc > size || descsz > size - desc)
                        return nvct_error_setx(e->err, EINVAL,
                                               "%s: note at offset 0x%" PRIx64 ": name size %u and descriptor size %u "
                                               "exceed the note region (%" PRIu64 " bytes)",
                                               e->what, off + pos, namesz, descsz, size);
                if (type == NT_GNU_ABI_TAG && namesz == 4 && memcmp(b + name, "GNU", 4) == 0 && descsz >= 16) {
                        info->has_abi_tag = true;
                        info->abi_os = get32(e, b + desc);
                        for (size_t k = 0; k < 3; k++)
                                info->abi_version[k] = get32(e, b + desc + 4 * (k + 1));
                        return 0;
                }
                pos = MIN(desc + align_up(descsz, a), size);
        }
        return 0;
}

static int parse_notes(const Elf *e, NvctElfInfo *info) {
        int r;
        bool any = false;

        for (size_t i = 0; i < e->shnum; i++) {
                Section s;
                section_get(e, i, &s);
                if (s.type != SHT_NOTE)
                        continue;
                any = true;
                if (!range_ok(e, s.offset, s.size))
                        return range_error(e, "note section", s.offset, s.size);
                r = parse_note_region(e, s.offset, s.size, s.align, info);
                if (r < 0)
                        return r;
        }
        if (any)
                return 0;
        for (size_t i = 0; i < e->phnum; i++) {
                Segment s;
                segment_get(e, i, &s);
                if (s.type != PT_NOTE)
                        continue;
                if (!range_ok(e, s.offset, s.filesz))
                        return range_error(e, "note segment", s.offset, s.filesz);
                r = parse_note_region(e, s.offset, s.filesz, s.align, info);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int elf_parse(Elf *e, NvctElfInfo *ret) {
        unsigned char ident[EI_NIDENT];

        if (e->size < EI_NIDENT)
                return nvct_error_setx(e->err, EBADMSG, "%s: not an ELF file (size %" PRIu64 ")", e->what, e->size);
        int r = elf_read(e, 0, EI_NIDENT, ident, "ELF identification");
        if (r < 0)
                return r;
        if (memcmp(ident, "\177ELF", 4) != 0)
                return nvct_error_setx(e->err, EBADMSG, "%s: not an ELF file (bad magic)", e->what);
        if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64)
                return nvct_error_setx(e->err, EINVAL, "%s: unknown ELF class %u", e->what, ident[EI_CLASS]);
        if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB)
                return nvct_error_setx(e->err, EINVAL, "%s: unknown ELF byte order %u", e->what, ident[EI_DATA]);
        e->is64 = ident[EI_CLASS] == ELFCLASS64;
        bool big = ident[EI_DATA] == ELFDATA2MSB;
        e->swap = big != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);

        uint16_t type = 0, machine = 0;
        r = load_headers(e, &type, &machine);
        if (r < 0)
                return r;

        NvctElfInfo info = {
                .elf_class = e->is64 ? 64 : 32,
                .big_endian = big,
                .type = type,
                .machine = machine,
                .needed = calloc(1, sizeof(char *)),
        };
        if (!info.needed)
                return nvct_error_set(e->err, ENOMEM, "%s", e->what);
        r = parse_dynamic(e, &info);
        if (r >= 0)
                r = parse_notes(e, &info);
        if (r < 0) {
                nvct_elf_info_done(&info);
                return r;
        }
        *ret = info;
        return 0;
}

static void elf_done(Elf *e) {
        free(e->shdrs);
        free(e->phdrs);
}

int nvct_elf_parse(const void *data, size_t size, const char *what, NvctElfInfo *ret, NvctError *err) {
        Elf e = { .what = what, .buf = data, .fd = -EBADF, .size = size, .err = err };
        int r = elf_parse(&e, ret);
        elf_done(&e);
        return r;
}

int nvct_elf_read_fd(int fd, const char *what, NvctElfInfo *ret, NvctError *err) {
        struct stat st;

        if (fstat(fd, &st) < 0)
                return nvct_error_set(err, errno, "stat %s", what);
        if (!S_ISREG(st.st_mode))
                return nvct_error_setx(err, EINVAL, "%s: not a regular file", what);
        Elf e = { .what = what, .fd = fd, .size = (uint64_t) st.st_size, .err = err };
        int r = elf_parse(&e, ret);
        elf_done(&e);
        return r;
}

void nvct_elf_info_done(NvctElfInfo *info) {
        if (!info)
                return;
        free(info->soname);
        info->soname = NULL;
        info->needed = strv_free(info->needed);
}

bool nvct_elf_has_abi(const NvctElfInfo *info, uint32_t os, uint32_t major, uint32_t minor, uint32_t patch) {
        return info->has_abi_tag && info->abi_os == os && info->abi_version[0] == major &&
               info->abi_version[1] == minor && info->abi_version[2] == patch;
}

bool nvct_elf_needs_prefix(const NvctElfInfo *info, const char *prefix) {
        size_t n = strlen(prefix);
        for (char **p = info->needed; p && *p; p++)
                if (strneq(*p, prefix, n))
                        return true;
        return false;
}
