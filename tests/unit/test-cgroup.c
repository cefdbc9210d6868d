/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf-dev.h"
#include "cgroup.h"

#define V1_DEVICES "/sys/fs/cgroup/devices"

static NvctCgroupRule rule(unsigned major, unsigned minor) {
        return (NvctCgroupRule) { .type = 'c', .major = major, .minor = minor, .access = "rw" };
}

static void write_str(const char *path, const char *s) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                fail_msg("open %s: %s", path, strerror(errno));
        if (write(fd, s, strlen(s)) != (ssize_t) strlen(s))
                fail_msg("write \"%s\" to %s: %s", s, path, strerror(errno));
        close(fd);
}

static bool is_fs(const char *path, unsigned long magic) {
        struct statfs s;
        return statfs(path, &s) == 0 && (unsigned long) s.f_type == magic;
}

/* The cgroup2 mount: /sys/fs/cgroup/unified on a hybrid host, /sys/fs/cgroup on a pure v2 one. */
static const char *v2_mount(void) {
        if (is_fs("/sys/fs/cgroup/unified", CGROUP2_SUPER_MAGIC))
                return "/sys/fs/cgroup/unified";
        if (is_fs("/sys/fs/cgroup", CGROUP2_SUPER_MAGIC))
                return "/sys/fs/cgroup";
        return NULL;
}

/* What a test created, so a failed assertion (which longjmps out) still leaves nothing behind. */
static struct {
        pid_t pid;
        char cgdir[128];
        char nodedir[64];
} leftover;

static int cleanup_leftovers(void **state) {
        (void) state;
        if (leftover.pid > 0) {
                kill(leftover.pid, SIGKILL);
                waitpid(leftover.pid, NULL, 0);
        }
        if (leftover.nodedir[0]) {
                char cmd[128];
                snprintf(cmd, sizeof(cmd), "rm -rf '%s'", leftover.nodedir);
                if (system(cmd) != 0)
                        return -1;
        }
        if (leftover.cgdir[0])
                (void) rmdir(leftover.cgdir);
        memset(&leftover, 0, sizeof(leftover));
        return 0;
}

static void make_cgroup(char *dir) {
        assert_int_equal(mkdir(dir, 0755), 0);
        snprintf(leftover.cgdir, sizeof(leftover.cgdir), "%s", dir);
}

/* ---- a child that opens device nodes on request ---- */

typedef struct Prober {
        pid_t pid;
        int cmd;  /* parent -> child: a 32-bit dev_t-ish index into nodes[] per request */
        int res;  /* child -> parent: errno (0 = opened) */
        char dir[64];
} Prober;

static const struct {
        const char *name;
        unsigned major, minor;
} nodes[] = { { "null", 1, 3 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 } };

static void prober_start(Prober *p) {
        int c[2], r[2];

        snprintf(p->dir, sizeof(p->dir), "/tmp/nvct-cgroup-test.XXXXXX");
        assert_non_null(mkdtemp(p->dir));
        snprintf(leftover.nodedir, sizeof(leftover.nodedir), "%s", p->dir);
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                char path[128];
                snprintf(path, sizeof(path), "%s/%s", p->dir, nodes[i].name);
                assert_int_equal(mknod(path, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)), 0);
        }
        assert_int_equal(pipe2(c, O_CLOEXEC), 0);
        assert_int_equal(pipe2(r, O_CLOEXEC), 0);
        p->pid = fork();
        assert_true(p->pid >= 0);
        leftover.pid = p->pid;
        if (p->pid == 0) {
                int idx;
                while (read(c[0], &idx, sizeof(idx)) == (ssize_t) sizeof(idx)) {
                        char path[128];
                        snprintf(path, sizeof(path), "%s/%s", p->dir, nodes[idx].name);
                        int fd = open(path, O_RDONLY | O_CLOEXEC);
                        int e = fd < 0 ? errno : 0;
                        if (fd >= 0)
                                close(fd);
                        if (write(r[1], &e, sizeof(e)) != (ssize_t) sizeof(e))
                                _exit(1);
                }
                _exit(0);
        }
        close(c[0]);
        close(r[1]);
        p->cmd = c[1];
        p->res = r[0];
}

/* errno of open() of nodes[idx] in the child, 0 on success */
static int prober_open(Prober *p, int idx) {
        int e = -1;
        assert_int_equal(write(p->cmd, &idx, sizeof(idx)), sizeof(idx));
        assert_int_equal(read(p->res, &e, sizeof(e)), sizeof(e));
        return e;
}

static void prober_stop(Prober *p) {
        if (p->pid > 0) {
                close(p->cmd);
                close(p->res);
                kill(p->pid, SIGKILL);
                waitpid(p->pid, NULL, 0);
                p->pid = 0;
                leftover.pid = 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(nodes); i++) {
                char path[128];
                snprintf(path, sizeof(path), "%s/%s", p->dir, nodes[i].name);
                unlink(path);
        }
        rmdir(p->dir);
}

static void move_into(const char *cgdir, pid_t pid) {
        char path[256], buf[32];
        snprintf(path, sizeof(path), "%s/cgroup.procs", cgdir);
        snprintf(buf, sizeof(buf), "%d", (int) pid);
        write_str(path, buf);
}

/* ---- pure parts ---- */

static void test_rule_parse_format(void **state) {
        (void) state;
        NvctCgroupRule r;
        char buf[64];
        NvctError err = NVCT_ERROR_INIT;

        assert_int_equal(nvct_cgroup_rule_parse("c 195:255 rw", &r, &err), 0);
        assert_int_equal(r.type, 'c');
        assert_int_equal(r.major, 195);
        assert_int_equal(r.minor, 255);
        assert_string_equal(r.access, "rw");
        assert_int_equal(nvct_cgroup_rule_format(&r, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "c 195:255 rw");

        assert_int_equal(nvct_cgroup_rule_parse("b *:* m", &r, &err), 0);
        assert_int_equal(r.major, NVCT_CGROUP_ANY);
        assert_int_equal(nvct_cgroup_rule_format(&r, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "b *:* m");

        assert_int_equal(nvct_cgroup_rule_parse("a", &r, &err), 0);
        assert_int_equal(nvct_cgroup_rule_format(&r, buf, sizeof(buf)), 0);
        assert_string_equal(buf, "a");

        static const char *const bad[] = { "", "c", "c 1:2", "x 1:2 rw", "c 1:2 rx", "c 1:2 rrw", "c 1:2 rwmr",
                                           "c -1:2 rw", "c 1: rw", "c 99999999999:1 rw", "c 1:2  rw", "c 1;2 rw" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                nvct_error_clear(&err);
                assert_int_equal(nvct_cgroup_rule_parse(bad[i], &r, &err), -EINVAL);
                assert_non_null(strstr(err.msg, "invalid device rule"));
        }
        NvctCgroupRule inval = { .type = 'c', .major = 1, .minor = 2, .access = "" };
        assert_int_equal(nvct_cgroup_rule_format(&inval, buf, sizeof(buf)), -EINVAL);
}

static void test_bpf_build_shape(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;
        struct bpf_insn *p = NULL, tail[2] = {
                { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
                { .code = BPF_JMP | BPF_EXIT },
        };
        size_t n = 0;
        NvctCgroupRule rules[] = { rule(195, 0), rule(195, 255), { .type = 'a', .access = "rwm" } };

        assert_int_equal(bpf_dev_build(rules, ELEMENTSOF(rules), tail, 2, &p, &n, &err), 0);
        /* the original instructions come last, unchanged */
        assert_memory_equal(p + n - 2, tail, sizeof(tail));
        /* the prologue never writes r1: the context must survive for the tail */
        for (size_t i = 0; i < n - 2; i++)
                if (BPF_CLASS(p[i].code) == BPF_ALU || BPF_CLASS(p[i].code) == BPF_ALU64 ||
                    BPF_CLASS(p[i].code) == BPF_LDX)
                        assert_int_not_equal(p[i].dst_reg, BPF_REG_1);
        /* every jump stays inside the program */
        for (size_t i = 0; i < n; i++)
                if (BPF_CLASS(p[i].code) == BPF_JMP && BPF_OP(p[i].code) == BPF_JNE)
                        assert_true(i + 1 + (size_t) p[i].off < n);
        free(p);

        NvctCgroupRule bad = { .type = 'c', .major = 1, .minor = 1, .access = "rz" };
        assert_int_equal(bpf_dev_build(&bad, 1, NULL, 0, &p, &n, &err), -EINVAL);
}

/* ---- cgroup lookup against a fake /proc/PID directory ---- */

static int open_fake_proc(char *dir, const char *cgroup_text) {
        char path[128];
        strcpy(dir, "/tmp/nvct-fakeproc.XXXXXX");
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/cgroup", dir);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, cgroup_text, strlen(cgroup_text)), (ssize_t) strlen(cgroup_text));
        close(fd);
        fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void remove_fake_proc(const char *dir, int fd) {
        char path[128];
        close(fd);
        snprintf(path, sizeof(path), "%s/cgroup", dir);
        unlink(path);
        rmdir(dir);
}

static int open_fake(const char *text, NvctError *err) {
        char dir[64];
        NvctCgroup *cg = NULL;
        int fd = open_fake_proc(dir, text);
        int r = nvct_cgroup_open(fd, &cg, err);
        nvct_cgroup_free(cg);
        remove_fake_proc(dir, fd);
        return r;
}

static void test_open_errors(void **state) {
        (void) state;
        NvctError err = NVCT_ERROR_INIT;

        if (!is_fs(V1_DEVICES, CGROUP_SUPER_MAGIC) && !v2_mount())
                skip();
        /* a cgroup that does not exist (the container is gone) */
        assert_int_equal(open_fake("5:devices:/nvct-gone-4711\n0::/nvct-gone-4711\n", &err), -ENOENT);
        assert_non_null(strstr(err.msg, "nvct-gone-4711"));
        assert_non_null(strstr(err.msg, "does not exist"));
        /* a path climbing out of the cgroup mount is refused, not followed */
        nvct_error_clear(&err);
        assert_true(open_fake("5:devices:/../../../etc\n0::/../../../etc\n", &err) < 0);
        assert_null(strstr(err.msg, "no devices cgroup"));
        /* no hierarchy at all */
        nvct_error_clear(&err);
        assert_int_equal(open_fake("3:cpuset:/\n", &err), -ENODEV);
        /* the real thing for ourselves */
        NvctCgroup *cg = NULL;
        nvct_error_clear(&err);
        assert_int_equal(nvct_cgroup_open_pid(getpid(), &cg, &err), 0);
        assert_true(nvct_cgroup_versions(cg) != 0);
        nvct_cgroup_free(cg);
}

/* ---- cgroup v1 ---- */

static void test_v1_allow(void **state) {
        (void) state;
        char cgdir[128], path[256];
        NvctError err = NVCT_ERROR_INIT;
        Prober p = {};

        if (!is_fs(V1_DEVICES, CGROUP_SUPER_MAGIC))
                skip();
        snprintf(cgdir, sizeof(cgdir), V1_DEVICES "/nvct-test-%d", (int) getpid());
        make_cgroup(cgdir);
        snprintf(path, sizeof(path), "%s/devices.deny", cgdir);
        write_str(path, "a");

        prober_start(&p);
        move_into(cgdir, p.pid);
        assert_int_equal(prober_open(&p, 1), EPERM); /* deny-all is in force */

        NvctCgroup *cg = NULL;
        assert_int_equal(nvct_cgroup_open_pid(p.pid, &cg, &err), 0);
        assert_true(nvct_cgroup_versions(cg) & NVCT_CGROUP_V1);
        assert_string_equal(nvct_cgroup_path(cg, NVCT_CGROUP_V1), cgdir);
        NvctCgroupRule r = rule(1, 7);
        int n = nvct_cgroup_allow_devices(cg, &r, 1, &err);
        assert_true(n >= 1);

        assert_int_equal(prober_open(&p, 1), 0);     /* 1:7 now allowed */
        assert_int_equal(prober_open(&p, 2), EPERM); /* 1:8 still denied */
        assert_int_equal(prober_open(&p, 0), EPERM); /* 1:3 never asked for */

        prober_stop(&p);
        /* the cgroup vanishes under an open handle: a clear ENOENT */
        assert_int_equal(rmdir(cgdir), 0);
        nvct_error_clear(&err);
        assert_int_equal(nvct_cgroup_allow_devices(cg, &r, 1, &err), -ENOENT);
        assert_non_null(strstr(err.msg, "removed"));
        nvct_cgroup_free(cg);
}

/* ---- cgroup v2 ---- */

static int open_dir(const char *path) {
        int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void test_v2_allow(void **state) {
        (void) state;
        const char *mnt = v2_mount();
        char cgdir[128];
        NvctError err = NVCT_ERROR_INIT;
        Prober p = {};

        if (!mnt)
                skip();
        snprintf(cgdir, sizeof(cgdir), "%s/nvct-test-%d", mnt, (int) getpid());
        make_cgroup(cgdir);
        int cgfd = open_dir(cgdir);

        /* what a runtime would attach: allow 1:3 only */
        struct bpf_insn *insns = NULL;
        size_t n_insns = 0;
        NvctCgroupRule only_null = { .type = 'c', .major = 1, .minor = 3, .access = "rwm" };
        assert_int_equal(bpf_dev_build(&only_null, 1, NULL, 0, &insns, &n_insns, &err), 0);
        int prog = bpf_dev_load(insns, n_insns, &err);
        free(insns);
        if (prog == -EPERM) {
                close(cgfd);
                rmdir(cgdir);
                skip();
        }
        assert_true(prog >= 0);
        assert_int_equal(bpf_dev_attach(cgfd, prog, BPF_F_ALLOW_MULTI, -EBADF, &err), 0);

        BpfDevQuery q = {};
        assert_int_equal(bpf_dev_query(cgfd, &q, &err), 0);
        assert_int_equal(q.n_ids, 1);
        uint32_t old_id = q.ids[0];
        bpf_dev_query_done(&q);

        prober_start(&p);
        move_into(cgdir, p.pid);
        assert_int_equal(prober_open(&p, 0), 0);     /* 1:3 allowed by the runtime's program */
        assert_int_equal(prober_open(&p, 1), EPERM); /* 1:7 not yet */

        NvctCgroup *cg = NULL;
        assert_int_equal(nvct_cgroup_open_pid(p.pid, &cg, &err), 0);
        assert_true(nvct_cgroup_versions(cg) & NVCT_CGROUP_V2);
        assert_string_equal(nvct_cgroup_path(cg, NVCT_CGROUP_V2), cgdir);
        NvctCgroupRule rules[] = { rule(1, 7), rule(1, 9) };
        int n = nvct_cgroup_allow_devices(cg, rules, ELEMENTSOF(rules), &err);
        if (n < 0)
                fail_msg("allow: %s", err.msg);
        assert_true(n >= 1);

        assert_int_equal(prober_open(&p, 1), 0);     /* 1:7 added */
        assert_int_equal(prober_open(&p, 3), 0);     /* 1:9 added in the same pass */
        assert_int_equal(prober_open(&p, 2), EPERM); /* 1:8 still refused by the original program */
        assert_int_equal(prober_open(&p, 0), 0);     /* 1:3 still allowed */

        /* one program, replaced in place */
        assert_int_equal(bpf_dev_query(cgfd, &q, &err), 0);
        assert_int_equal(q.n_ids, 1);
        assert_int_not_equal(q.ids[0], old_id);
        bpf_dev_query_done(&q);

        /* a second call extends the replacement again, still one program */
        NvctCgroupRule random_rule = rule(1, 8);
        assert_true(nvct_cgroup_allow_devices(cg, &random_rule, 1, &err) >= 1);
        assert_int_equal(prober_open(&p, 2), 0);
        assert_int_equal(bpf_dev_query(cgfd, &q, &err), 0);
        assert_int_equal(q.n_ids, 1);
        bpf_dev_query_done(&q);

        prober_stop(&p);
        nvct_cgroup_free(cg);
        close(prog);
        close(cgfd);
        assert_int_equal(rmdir(cgdir), 0);
}

/* v2 without any device program: nothing restricts devices, nothing is attached */
static void test_v2_unrestricted(void **state) {
        (void) state;
        const char *mnt = v2_mount();
        char cgdir[128];
        NvctError err = NVCT_ERROR_INIT;
        Prober p = {};

        if (!mnt)
                skip();
        snprintf(cgdir, sizeof(cgdir), "%s/nvct-test-free-%d", mnt, (int) getpid());
        make_cgroup(cgdir);
        int cgfd = open_dir(cgdir);
        prober_start(&p);
        move_into(cgdir, p.pid);

        NvctCgroup *cg = NULL;
        assert_int_equal(nvct_cgroup_open_pid(p.pid, &cg, &err), 0);
        NvctCgroupRule r = rule(1, 7);
        int n = nvct_cgroup_allow_devices(cg, &r, 1, &err);
        /* on a hybrid host the v1 rule lands in the (unrestricted) v1 cgroup; no program appears on v2 */
        assert_true(n >= 0);
        BpfDevQuery q = {};
        assert_int_equal(bpf_dev_query(cgfd, &q, &err), 0);
        assert_int_equal(q.n_ids, 0);
        bpf_dev_query_done(&q);
        assert_int_equal(prober_open(&p, 2), 0);

        prober_stop(&p);
        nvct_cgroup_free(cg);
        close(cgfd);
        assert_int_equal(rmdir(cgdir), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rule_parse_format),
                cmocka_unit_test(test_bpf_build_shape),
                cmocka_unit_test(test_open_errors),
                cmocka_unit_test_teardown(test_v1_allow, cleanup_leftovers),
                cmocka_unit_test_teardown(test_v2_allow, cleanup_leftovers),
                cmocka_unit_test_teardown(test_v2_unrestricted, cleanup_leftovers),
        };
        if (geteuid() != 0) {
                const struct CMUnitTest pure[] = { tests[0], tests[1] };
                return cmocka_run_group_tests(pure, NULL, NULL);
        }
        return cmocka_run_group_tests(tests, NULL, NULL);
}
