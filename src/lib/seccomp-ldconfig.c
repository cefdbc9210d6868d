/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp allow-list of the ldconfig sandbox. It is compiled here, in the parent, into classic BPF, so the
 * forked child only has to hand the finished program to prctl() and never calls into libseccomp (which
 * allocates) between fork and exec.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ldconfig.h"

/*
 * What a static glibc ldconfig does (strace of Debian's /sbin/ldconfig against a test rootfs), plus the nearby
 * variants a different glibc build may pick (stat vs newfstatat vs statx, rename vs renameat2), plus execveat,
 * the call that starts it. Everything else fails with EPERM.
 */
static const char *const ldconfig_syscalls[] = {
        "access", "arch_prctl", "brk", "capget", "chmod", "close", "execveat", "exit", "exit_group", "faccessat",
        "faccessat2", "fchmod", "fchmodat", "fcntl", "fdatasync", "fstat", "fsync", "ftruncate", "futex",
        "getcwd", "getdents", "getdents64", "getegid", "geteuid", "getgid", "getpid", "getrandom", "gettid",
        "getuid", "lseek", "lstat", "madvise", "mkdir", "mkdirat", "mmap", "mprotect", "mremap", "munmap",
        "newfstatat", "open", "openat", "prlimit64", "pread64", "read", "readlink", "readlinkat", "readv",
        "rename", "renameat", "renameat2", "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
        "set_robust_list", "set_tid_address", "sigaltstack", "stat", "statx", "symlink", "symlinkat",
        "sysinfo", "tgkill", "uname", "unlink", "unlinkat", "write", "writev", "clock_gettime",
        "gettimeofday", "time",
};

static void seccomp_releasep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

int nvct_ldconfig_seccomp_build(void **ret, size_t *ret_size, NvctError *err) {
        __attribute__((cleanup(seccomp_releasep))) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
        int r;

        if (!ctx)
                return nvct_error_set(err, ENOMEM, "seccomp_init");
        for (size_t i = 0; i < ELEMENTSOF(ldconfig_syscalls); i++) {
                int nr = seccomp_syscall_resolve_name(ldconfig_syscalls[i]);
                if (nr == __NR_SCMP_ERROR)
                        continue; /* not on this architecture */
                r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
                if (r < 0)
                        return nvct_error_set(err, r, "seccomp rule for %s", ldconfig_syscalls[i]);
        }

        _cleanup_close_ int fd = memfd_create("nvct-seccomp", MFD_CLOEXEC);
        if (fd < 0)
                return nvct_error_set(err, errno, "memfd_create");
        r = seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return nvct_error_set(err, r, "seccomp_export_bpf");
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size > 1024 * 1024)
                return nvct_error_setx(err, EIO, "seccomp_export_bpf: unexpected program size %lld", (long long) size);

        _cleanup_free_ void *buf = malloc((size_t) size);
        if (!buf)
                return nvct_error_set(err, ENOMEM, "seccomp program");
        ssize_t k = pread(fd, buf, (size_t) size, 0);
        if (k != size)
                return nvct_error_set(err, k < 0 ? errno : EIO, "read seccomp program");
        *ret = TAKE_PTR(buf);
        *ret_size = (size_t) size;
        return 0;
}
