/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "error.h"

/*
 * BPF_CGROUP_DEVICE programs through the raw bpf() syscall. The programs are built here instruction by
 * instruction; no libbpf, no compiler, no maps, no helpers.
 */

typedef struct BpfDevQuery {
        uint32_t attach_flags; /* flags the programs were attached with (BPF_F_ALLOW_MULTI, ...) */
        uint32_t *ids;         /* program ids attached directly to the cgroup */
        size_t n_ids;
} BpfDevQuery;

void bpf_dev_query_done(BpfDevQuery *q);

/* BPF_PROG_QUERY the BPF_CGROUP_DEVICE programs attached directly to the cgroup open at cgroup_fd. */
int bpf_dev_query(int cgroup_fd, BpfDevQuery *ret, NvctError *err);

/*
 * Build "allow these rules, otherwise continue with tail". The prologue only uses r0 and r2-r5, so r1 still holds
 * the context when control falls through to tail. Without a tail the program denies everything else (returns 0).
 * *ret is malloc'ed.
 */
int bpf_dev_build(const NvctCgroupRule *rules, size_t n_rules, const struct bpf_insn *tail, size_t n_tail,
                  struct bpf_insn **ret, size_t *ret_n, NvctError *err);

/* Load a BPF_PROG_TYPE_CGROUP_DEVICE program; on a verifier failure the last log line is in the message. */
int bpf_dev_load(const struct bpf_insn *insns, size_t n, NvctError *err);

/* Open a program by id and fetch its (translated) instructions. *ret_insns is malloc'ed. */
int bpf_dev_prog_get(uint32_t id, int *ret_fd, struct bpf_insn **ret_insns, size_t *ret_n, NvctError *err);

/* BPF_PROG_ATTACH prog_fd to the cgroup as BPF_CGROUP_DEVICE. With replace_fd >= 0, BPF_F_REPLACE it. */
int bpf_dev_attach(int cgroup_fd, int prog_fd, uint32_t flags, int replace_fd, NvctError *err);

/* BPF_PROG_DETACH one program (multi mode) from the cgroup. */
int bpf_dev_detach(int cgroup_fd, int prog_fd, NvctError *err);

/*
 * Replace every device program attached to the cgroup by one that allows rules first. what names the cgroup in
 * messages. Returns the number of programs replaced (0: none attached, devices are not restricted).
 */
int bpf_dev_allow(int cgroup_fd, const char *what, const NvctCgroupRule *rules, size_t n, NvctError *err);
