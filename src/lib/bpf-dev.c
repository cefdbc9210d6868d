/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf-dev.h"

#define BPF_DEV_MAX_INSNS 65536u   /* well below BPF_COMPLEXITY_LIMIT_INSNS; a device program is tiny */
#define BPF_DEV_LOG_SIZE (64u * 1024u)

static uint64_t ptr_to_u64(const void *p) {
        return (uint64_t) (uintptr_t) p;
}

static int sys_bpf(int cmd, union bpf_attr *attr) {
        long r = syscall(__NR_bpf, cmd, attr, sizeof(*attr));
        return r < 0 ? -errno : (int) r;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
        return (struct bpf_insn) { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

void bpf_dev_query_done(BpfDevQuery *q) {
        if (!q)
                return;
        free(q->ids);
        q->ids = NULL;
        q->n_ids = 0;
}

int bpf_dev_query(int cgroup_fd, BpfDevQuery *ret, NvctError *err) {
        size_t cap = 16;

        for (;;) {
                _cleanup_free_ uint32_t *ids = calloc(cap, sizeof(uint32_t));
                if (!ids)
                        return nvct_error_set(err, ENOMEM, "BPF_PROG_QUERY");

                union bpf_attr attr;
                memset(&attr, 0, sizeof(attr));
                attr.query.target_fd = (uint32_t) cgroup_fd;
                attr.query.attach_type = BPF_CGROUP_DEVICE;
                attr.query.prog_ids = ptr_to_u64(ids);
                attr.query.prog_cnt = (uint32_t) cap;
                int r = sys_bpf(BPF_PROG_QUERY, &attr);
                if (r == -ENOSPC && attr.query.prog_cnt > cap && cap < 4096) {
                        cap = attr.query.prog_cnt;
                        continue;
                }
                if (r < 0)
                        return nvct_error_set(err, r, "BPF_PROG_QUERY");
                ret->attach_flags = attr.query.attach_flags;
                ret->n_ids = MIN((size_t) attr.query.prog_cnt, cap);
                ret->ids = TAKE_PTR(ids);
                return 0;
        }
}

static int access_mask(const char *access, uint32_t *ret) {
        uint32_t m = 0;

        if (!access[0])
                return -EINVAL;
        for (const char *p = access; *p; p++)
                switch (*p) {
                case 'r':
                        m |= BPF_DEVCG_ACC_READ;
                        break;
                case 'w':
                        m |= BPF_DEVCG_ACC_WRITE;
                        break;
                case 'm':
                        m |= BPF_DEVCG_ACC_MKNOD;
                        break;
                default:
                        return -EINVAL;
                }
        *ret = m;
        return 0;
}

static bool number_ok(unsigned v) {
        return v == NVCT_CGROUP_ANY || v <= INT32_MAX;
}

/*
 * One rule: each check jumps to the next rule on mismatch; a full match returns 1. The checks read r2 (device
 * type), r3 (access bits), r4 (major) and r5 (minor), and use r0 as scratch.
 */
static int build_rule(const NvctCgroupRule *rule, struct bpf_insn *out, size_t *ret_n) {
        const uint32_t all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
        size_t jumps[4], n_jumps = 0, n = 0;
        uint32_t mask;

        if (access_mask(rule->access, &mask) < 0 || !number_ok(rule->major) || !number_ok(rule->minor))
                return -EINVAL;

        switch (rule->type) {
        case 'c':
        case 'b':
                jumps[n_jumps++] = n;
                out[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                                rule->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
                break;
        case 'a':
                break;
        default:
                return -EINVAL;
        }
        if (mask != all) {
                out[n++] = insn(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_3, 0, 0);
                out[n++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_0, 0, 0, (int32_t) ~mask);
                jumps[n_jumps++] = n;
                out[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 0, 0);
        }
        if (rule->type != 'a' && rule->major != NVCT_CGROUP_ANY) {
                jumps[n_jumps++] = n;
                out[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t) rule->major);
        }
        if (rule->type != 'a' && rule->minor != NVCT_CGROUP_ANY) {
                jumps[n_jumps++] = n;
                out[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t) rule->minor);
        }
        out[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
        out[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

        /* A jump at i lands on the first instruction after this block. */
        for (size_t j = 0; j < n_jumps; j++)
                out[jumps[j]].off = (int16_t) (n - jumps[j] - 1);
        *ret_n = n;
        return 0;
}

int bpf_dev_build(const NvctCgroupRule *rules, size_t n_rules, const struct bpf_insn *tail, size_t n_tail,
                  struct bpf_insn **ret, size_t *ret_n, NvctError *err) {
        enum { PROLOGUE = 6, PER_RULE_MAX = 8, EPILOGUE = 2 };

        if (n_rules > (BPF_DEV_MAX_INSNS - PROLOGUE - EPILOGUE) / PER_RULE_MAX ||
            n_tail > BPF_DEV_MAX_INSNS - PROLOGUE - EPILOGUE - n_rules * PER_RULE_MAX)
                return nvct_error_setx(err, E2BIG, "device program: %zu rules and %zu existing instructions: too large",
                                       n_rules, n_tail);

        size_t cap = PROLOGUE + n_rules * PER_RULE_MAX + (tail ? n_tail : EPILOGUE), n = 0;
        _cleanup_free_ struct bpf_insn *p = calloc(cap, sizeof(struct bpf_insn));
        if (!p)
                return nvct_error_set(err, ENOMEM, "device program");

        /* struct bpf_cgroup_dev_ctx: access_type = (access << 16) | type, then major, then minor. */
        p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
        p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
        p[n++] = insn(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);
        p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
        p[n++] = insn(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
        p[n++] = insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);

        for (size_t i = 0; i < n_rules; i++) {
                size_t k;
                if (build_rule(&rules[i], p + n, &k) < 0)
                        return nvct_error_setx(err, EINVAL, "device rule %zu: invalid type '%c', access \"%.4s\" or number",
                                               i, rules[i].type ? rules[i].type : '?', rules[i].access);
                n += k;
        }
        if (tail) {
                memcpy(p + n, tail, n_tail * sizeof(struct bpf_insn));
                n += n_tail;
        } else {
                p[n++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
                p[n++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        }
        *ret = TAKE_PTR(p);
        *ret_n = n;
        return 0;
}

static void last_log_line(char *log, char *out, size_t size) {
        size_t len = strnlen(log, BPF_DEV_LOG_SIZE);

        while (len > 0 && (log[len - 1] == '\n' || log[len - 1] == ' '))
                log[--len] = '\0';
        char *nl = strrchr(log, '\n');
        snprintf(out, size, "%s", nl ? nl + 1 : log);
}

static int prog_load(const struct bpf_insn *insns, size_t n, char *log, uint32_t log_size) {
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        attr.insns = ptr_to_u64(insns);
        attr.insn_cnt = (uint32_t) n;
        /* Device programs use no GPL-only helpers; the license string only gates those. */
        attr.license = ptr_to_u64("Apache-2.0");
        memcpy(attr.prog_name, "nvct_devices", sizeof("nvct_devices"));
        if (log) {
                log[0] = '\0';
                attr.log_buf = ptr_to_u64(log);
                attr.log_size = log_size;
                attr.log_level = 1;
        }
        return sys_bpf(BPF_PROG_LOAD, &attr);
}

int bpf_dev_load(const struct bpf_insn *insns, size_t n, NvctError *err) {
        int fd = prog_load(insns, n, NULL, 0);

        if (fd == -EPERM) {
                /* Kernels before 5.11 charge programs to RLIMIT_MEMLOCK instead of the memory cgroup. */
                struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
                if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0)
                        fd = prog_load(insns, n, NULL, 0);
        }
        if (fd >= 0)
                return fd;
        if (fd == -EACCES || fd == -EINVAL) {
                _cleanup_free_ char *log = malloc(BPF_DEV_LOG_SIZE);
                char line[256] = "";
                if (log && prog_load(insns, n, log, BPF_DEV_LOG_SIZE) < 0)
                        last_log_line(log, line, sizeof(line));
                if (line[0])
                        return nvct_error_setx(err, fd, "BPF_PROG_LOAD: %s: verifier: %s", strerror(-fd), line);
        }
        return nvct_error_set(err, fd, "BPF_PROG_LOAD");
}

static int prog_get_info(int fd, struct bpf_prog_info *info) {
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.info.bpf_fd = (uint32_t) fd;
        attr.info.info_len = sizeof(*info);
        attr.info.info = ptr_to_u64(info);
        return sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

int bpf_dev_prog_get(uint32_t id, int *ret_fd, struct bpf_insn **ret_insns, size_t *ret_n, NvctError *err) {
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.prog_id = id;
        _cleanup_close_ int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);
        if (fd < 0)
                return nvct_error_set(err, fd, "BPF_PROG_GET_FD_BY_ID %u", id);

        struct bpf_prog_info info = {};
        int r = prog_get_info(fd, &info);
        if (r < 0)
                return nvct_error_set(err, r, "BPF_OBJ_GET_INFO_BY_FD program %u", id);
        if (info.type != BPF_PROG_TYPE_CGROUP_DEVICE)
                return nvct_error_setx(err, EINVAL, "program %u is not a device program (type %u)", id, info.type);
        size_t n = info.xlated_prog_len / sizeof(struct bpf_insn);
        if (n == 0)
                return nvct_error_setx(err, EPERM, "program %u: the kernel hides its instructions (needs CAP_SYS_ADMIN)",
                                       id);
        if (n > BPF_DEV_MAX_INSNS)
                return nvct_error_setx(err, E2BIG, "program %u: %zu instructions, too large", id, n);

        _cleanup_free_ struct bpf_insn *insns = calloc(n, sizeof(struct bpf_insn));
        if (!insns)
                return nvct_error_set(err, ENOMEM, "program %u", id);
        info = (struct bpf_prog_info) { .xlated_prog_len = (uint32_t) (n * sizeof(struct bpf_insn)),
                                        .xlated_prog_insns = ptr_to_u64(insns) };
        r = prog_get_info(fd, &info);
        if (r < 0)
                return nvct_error_set(err, r, "BPF_OBJ_GET_INFO_BY_FD program %u", id);
        /* The program could only have been swapped for one of a different size by a racing attach. */
        if (info.xlated_prog_len != n * sizeof(struct bpf_insn))
                return nvct_error_setx(err, EAGAIN, "program %u changed while reading it", id);

        *ret_fd = TAKE_FD(fd);
        *ret_insns = TAKE_PTR(insns);
        *ret_n = n;
        return 0;
}

/*
 * Translated instructions can be loaded again only when they hold nothing the kernel rewrote into pointers or
 * offsets: map references (ld_imm64 with a pseudo source) and helper or subprogram calls.
 */
static bool insns_reloadable(const struct bpf_insn *insns, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (insns[i].code == (BPF_LD | BPF_IMM | BPF_DW) && insns[i].src_reg != 0)
                        return false;
                if (insns[i].code == (BPF_JMP | BPF_CALL))
                        return false;
        }
        return true;
}

int bpf_dev_attach(int cgroup_fd, int prog_fd, uint32_t flags, int replace_fd, NvctError *err) {
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) cgroup_fd;
        attr.attach_bpf_fd = (uint32_t) prog_fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        attr.attach_flags = flags;
        if (replace_fd >= 0) {
                attr.attach_flags |= BPF_F_REPLACE;
                attr.replace_bpf_fd = (uint32_t) replace_fd;
        }
        int r = sys_bpf(BPF_PROG_ATTACH, &attr);
        if (r < 0)
                return nvct_error_set(err, r, "BPF_PROG_ATTACH");
        return 0;
}

int bpf_dev_detach(int cgroup_fd, int prog_fd, NvctError *err) {
        union bpf_attr attr;

        memset(&attr, 0, sizeof(attr));
        attr.target_fd = (uint32_t) cgroup_fd;
        attr.attach_bpf_fd = (uint32_t) prog_fd;
        attr.attach_type = BPF_CGROUP_DEVICE;
        int r = sys_bpf(BPF_PROG_DETACH, &attr);
        if (r < 0)
                return nvct_error_set(err, r, "BPF_PROG_DETACH");
        return 0;
}

typedef struct Replacement {
        int old_fd;
        int new_fd;
} Replacement;

static void replacements_free(Replacement *r, size_t n) {
        for (size_t i = 0; i < n; i++) {
                closep(&r[i].old_fd);
                closep(&r[i].new_fd);
        }
        free(r);
}

/* Load the replacement for program id: our rules, then its own instructions. */
static int prepare_one(uint32_t id, const NvctCgroupRule *rules, size_t n, Replacement *out, NvctError *err) {
        _cleanup_free_ struct bpf_insn *old = NULL, *combined = NULL;
        size_t n_old, n_combined;

        int r = bpf_dev_prog_get(id, &out->old_fd, &old, &n_old, err);
        if (r < 0)
                return r;
        if (!insns_reloadable(old, n_old))
                return nvct_error_setx(err, EOPNOTSUPP,
                                       "program %u uses maps or calls, so it cannot be extended", id);
        r = bpf_dev_build(rules, n, old, n_old, &combined, &n_combined, err);
        if (r < 0)
                return r;
        r = bpf_dev_load(combined, n_combined, err);
        if (r < 0)
                return r;
        out->new_fd = r;
        return 0;
}

int bpf_dev_allow(int cgroup_fd, const char *what, const NvctCgroupRule *rules, size_t n, NvctError *err) {
        BpfDevQuery q = {};
        int r;

        r = bpf_dev_query(cgroup_fd, &q, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "cgroup v2 device program for %s", what);
        if (q.n_ids == 0) {
                bpf_dev_query_done(&q);
                return 0;
        }

        Replacement *rep = calloc(q.n_ids, sizeof(Replacement));
        if (!rep) {
                bpf_dev_query_done(&q);
                return nvct_error_set(err, ENOMEM, "cgroup v2 device program for %s", what);
        }
        for (size_t i = 0; i < q.n_ids; i++)
                rep[i] = (Replacement) { -EBADF, -EBADF };

        /* Load every replacement before touching the cgroup, so a failure leaves its policy as it was. */
        for (size_t i = 0; i < q.n_ids; i++) {
                r = prepare_one(q.ids[i], rules, n, &rep[i], err);
                if (r < 0)
                        goto out;
        }
        /*
         * In multi mode BPF_F_REPLACE swaps one program in place. In single mode attaching with the same flags
         * replaces the only program; the kernel refuses different flags.
         */
        bool multi = q.attach_flags & BPF_F_ALLOW_MULTI;
        for (size_t i = 0; i < q.n_ids; i++) {
                r = bpf_dev_attach(cgroup_fd, rep[i].new_fd, multi ? BPF_F_ALLOW_MULTI : q.attach_flags,
                                   multi ? rep[i].old_fd : -EBADF, err);
                if (r < 0)
                        goto out;
        }
        r = (int) q.n_ids;
out:
        if (r < 0)
                nvct_error_prefix(err, r, "cgroup v2 device program for %s", what);
        replacements_free(rep, q.n_ids);
        bpf_dev_query_done(&q);
        return r;
}
