/* SPDX-License-Identifier: Apache-2.0 */
#include <linux/elf.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ldconfig.h"
#include "strv.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define LDCONFIG_MAX_SIZE (64u * 1024u * 1024u)
#define LDCONFIG_MAX_DIRS 64u
#define LDCONFIG_MAX_PHDRS 512u

/* The steps of the child, so the parent can say which one failed. */
typedef enum Stage {
        STAGE_SIGNALS,
        STAGE_STDIO,
        STAGE_SETNS,
        STAGE_UNSHARE,
        STAGE_PRIVATE,
        STAGE_BIND,
        STAGE_CHDIR,
        STAGE_PIVOT,
        STAGE_UMOUNT_OLD,
        STAGE_MOVE,
        STAGE_CHROOT,
        STAGE_COVER,
        STAGE_CONF,
        STAGE_RLIMIT,
        STAGE_BOUNDING,
        STAGE_SETGROUPS,
        STAGE_SETGID,
        STAGE_SETUID,
        STAGE_CAPSET,
        STAGE_NO_NEW_PRIVS,
        STAGE_SECCOMP,
        STAGE_EXEC,
        _STAGE_MAX,
} Stage;

static const char *const stage_names[_STAGE_MAX] = {
        [STAGE_SIGNALS] = "reset signals",
        [STAGE_STDIO] = "set up stdio",
        [STAGE_SETNS] = "setns into the container mount namespace",
        [STAGE_UNSHARE] = "unshare the mount namespace",
        [STAGE_PRIVATE] = "make / private",
        [STAGE_BIND] = "bind the rootfs onto itself",
        [STAGE_CHDIR] = "chdir into the rootfs",
        [STAGE_PIVOT] = "pivot_root",
        [STAGE_UMOUNT_OLD] = "detach the old root",
        [STAGE_MOVE] = "move the rootfs onto /",
        [STAGE_CHROOT] = "chroot",
        [STAGE_COVER] = "cover /proc, /sys and /dev with tmpfs",
        [STAGE_CONF] = "/etc/ld.so.conf is not a regular file",
        [STAGE_RLIMIT] = "setrlimit",
        [STAGE_BOUNDING] = "drop the capability bounding set",
        [STAGE_SETGROUPS] = "setgroups",
        [STAGE_SETGID] = "setresgid",
        [STAGE_SETUID] = "setresuid",
        [STAGE_CAPSET] = "capset",
        [STAGE_NO_NEW_PRIVS] = "PR_SET_NO_NEW_PRIVS",
        [STAGE_SECCOMP] = "install the seccomp filter",
        [STAGE_EXEC] = "execveat",
};

typedef struct ChildError {
        int stage;
        int error;
} ChildError;

/* Everything the child needs, prepared by the parent: the child does not allocate between fork and exec. */
typedef struct Child {
        int mntns_fd, exe_fd, null_fd, log_fd, err_fd;
        const char *rootfs;
        bool no_pivot;
        uid_t uid;
        gid_t gid;
        int cap_last;
        char **argv;
        struct sock_fprog seccomp;
} Child;

__attribute__((noreturn)) static void child_fail(const Child *c, Stage stage, int error) {
        ChildError ce = { stage, error };
        ssize_t k = write(c->err_fd, &ce, sizeof(ce));
        (void) k;
        _exit(127);
}

static void child_check(const Child *c, long r, Stage stage) {
        if (r < 0)
                child_fail(c, stage, errno);
}

static void child_stdio(const Child *c) {
        sigset_t all;

        sigemptyset(&all);
        child_check(c, sigprocmask(SIG_SETMASK, &all, NULL), STAGE_SIGNALS);
        /* An ignored signal stays ignored across exec; give ldconfig the defaults. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) signal(sig, SIG_DFL);
        child_check(c, prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), STAGE_SIGNALS);
        child_check(c, dup2(c->null_fd, STDIN_FILENO), STAGE_STDIO);
        child_check(c, dup2(c->log_fd, STDOUT_FILENO), STAGE_STDIO);
        child_check(c, dup2(c->log_fd, STDERR_FILENO), STAGE_STDIO);
        /* Whatever the caller left open without O_CLOEXEC must not reach ldconfig. */
        if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
                for (int fd = 3; fd < 65536; fd++)
                        (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
}

static void child_enter_root(const Child *c) {
        /* Joining the container's mount namespace must come before unsharing a private copy of it. */
        if (c->mntns_fd >= 0)
                child_check(c, setns(c->mntns_fd, CLONE_NEWNS), STAGE_SETNS);
        child_check(c, unshare(CLONE_NEWNS), STAGE_UNSHARE);
        child_check(c, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), STAGE_PRIVATE);
        child_check(c, mount(c->rootfs, c->rootfs, NULL, MS_BIND | MS_REC, NULL), STAGE_BIND);
        child_check(c, chdir(c->rootfs), STAGE_CHDIR);
        if (c->no_pivot) {
                child_check(c, mount(".", "/", NULL, MS_MOVE, NULL), STAGE_MOVE);
                child_check(c, chroot("."), STAGE_CHROOT);
        } else {
                /* pivot_root(".", ".") stacks the old root on top of the new one; detaching it leaves the rootfs. */
                child_check(c, syscall(SYS_pivot_root, ".", "."), STAGE_PIVOT);
                child_check(c, umount2(".", MNT_DETACH), STAGE_UMOUNT_OLD);
        }
        child_check(c, chdir("/"), STAGE_CHDIR);
}

static int cover_one(const char *name) {
        const unsigned attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
        int r = 0;

        /* A symlink here could aim the tmpfs elsewhere; /proc, /sys and /dev must be real directories or absent. */
        int target = open(name, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        if (target < 0)
                return errno == ENOENT ? 0 : -errno;
        int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0 && errno == ENOSYS) {
                if (mount("tmpfs", name, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555") < 0)
                        r = -errno;
                close(target);
                return r;
        }
        int mnt = -1;
        if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0555", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 || (mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs)) < 0 ||
            move_mount(mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
                r = -errno;
        if (mnt >= 0)
                close(mnt);
        if (fs >= 0)
                close(fs);
        close(target);
        return r;
}

static void child_cover(const Child *c) {
        static const char *const dirs[] = { "proc", "sys", "dev" };

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                int r = cover_one(dirs[i]);
                if (r < 0)
                        child_fail(c, STAGE_COVER, -r);
        }
        /* ldconfig would block forever opening a FIFO; refuse anything but a regular file (or nothing). */
        int fd = open("/etc/ld.so.conf", O_PATH | O_CLOEXEC);
        if (fd >= 0) {
                struct stat st;
                if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                        child_fail(c, STAGE_CONF, EINVAL);
                close(fd);
        }
}

static void child_limits(const Child *c) {
        static const struct {
                int resource;
                rlim_t value;
        } limits[] = {
                { RLIMIT_CPU, 10 },                        /* seconds; the hard limit is a SIGKILL, even for pid 1 */
                { RLIMIT_AS, 2ull * 1024 * 1024 * 1024 },
                { RLIMIT_NOFILE, 64 },
                { RLIMIT_FSIZE, 16u * 1024 * 1024 },       /* a real ld.so.cache is well under 1 MiB */
                { RLIMIT_CORE, 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(limits); i++) {
                struct rlimit rl = { limits[i].value, limits[i].value };
                child_check(c, setrlimit(limits[i].resource, &rl), STAGE_RLIMIT);
        }
}

/*
 * Only root needs (and gets) CAP_DAC_OVERRIDE: an image may ship /etc mode 0555 and root in the container could
 * still write there. Any other owner already owns its rootfs and needs no capability at all.
 */
static void child_drop(const Child *c) {
        bool keep = c->uid == 0;

        for (int cap = 0; cap <= c->cap_last; cap++)
                if (!(keep && cap == CAP_DAC_OVERRIDE))
                        child_check(c, prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), STAGE_BOUNDING);
        (void) prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        /* Raw syscalls: the child is single-threaded, and glibc's set*id broadcast is not needed. */
        child_check(c, syscall(SYS_setgroups, 0, NULL), STAGE_SETGROUPS);
        child_check(c, syscall(SYS_setresgid, c->gid, c->gid, c->gid), STAGE_SETGID);
        child_check(c, syscall(SYS_setresuid, c->uid, c->uid, c->uid), STAGE_SETUID);
        /* A credential change clears the parent-death signal; arm it again. */
        child_check(c, prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0), STAGE_SIGNALS);

        struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
        struct __user_cap_data_struct data[2] = {};
        if (keep)
                data[0].effective = data[0].permitted = 1u << CAP_DAC_OVERRIDE;
        child_check(c, syscall(SYS_capset, &hdr, data), STAGE_CAPSET);
        child_check(c, prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), STAGE_NO_NEW_PRIVS);
}

__attribute__((noreturn)) static void child_main(const Child *c) {
        char *const envp[] = { NULL };

        child_stdio(c);
        child_enter_root(c);
        child_cover(c);
        child_limits(c);
        child_drop(c);
        child_check(c, prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &c->seccomp, 0, 0), STAGE_SECCOMP);
        syscall(SYS_execveat, c->exe_fd, "", c->argv, envp, AT_EMPTY_PATH);
        child_fail(c, STAGE_EXEC, errno);
}

/*
 * A static ELF only: a script would run an interpreter from the image, and a dynamic binary the image's ld.so.
 */
static int check_static_elf(int fd, const char *path, NvctError *err) {
        Elf64_Ehdr eh;

        if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t) sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
                return nvct_error_setx(err, ENOEXEC, "host ldconfig %s is not an ELF binary", path);
        if (eh.e_ident[EI_CLASS] != ELFCLASS64)
                return nvct_error_setx(err, ENOEXEC, "host ldconfig %s is not a 64-bit ELF binary", path);
        if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > LDCONFIG_MAX_PHDRS)
                return nvct_error_setx(err, ENOEXEC, "host ldconfig %s: malformed program headers", path);
        for (unsigned i = 0; i < eh.e_phnum; i++) {
                Elf64_Phdr ph;
                if (pread(fd, &ph, sizeof(ph), (off_t) (eh.e_phoff + i * sizeof(ph))) != (ssize_t) sizeof(ph))
                        return nvct_error_setx(err, ENOEXEC, "host ldconfig %s: truncated program headers", path);
                if (ph.p_type == PT_INTERP)
                        return nvct_error_setx(err, ENOEXEC,
                                               "host ldconfig %s is dynamically linked; it would load the "
                                               "container's dynamic loader", path);
        }
        return 0;
}

/* Copy the host binary into a sealed memfd, so what runs is what we read and cannot be swapped afterwards. */
static int ldconfig_memfd(const char *path, NvctError *err) {
        _cleanup_close_ int src = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (src < 0)
                return nvct_error_set(err, errno, "host ldconfig %s", path);
        if (fstat(src, &st) < 0)
                return nvct_error_set(err, errno, "stat host ldconfig %s", path);
        if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > (off_t) LDCONFIG_MAX_SIZE)
                return nvct_error_setx(err, EINVAL, "host ldconfig %s: not a regular file of sane size", path);

        _cleanup_close_ int fd = memfd_create("ldconfig", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
        if (fd < 0 && errno == EINVAL) /* kernels before 6.3 do not know MFD_EXEC */
                fd = memfd_create("ldconfig", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return nvct_error_set(err, errno, "memfd_create for %s", path);
        for (off_t done = 0; done < st.st_size;) {
                ssize_t k = sendfile(fd, src, NULL, (size_t) (st.st_size - done));
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        return nvct_error_set(err, k < 0 ? errno : EIO, "copy host ldconfig %s", path);
                done += k;
        }
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
                return nvct_error_set(err, errno, "seal the copy of %s", path);
        int r = check_static_elf(fd, path, err);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

static int read_cap_last(void) {
        _cleanup_fclose_ FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
        int v;

        if (f && fscanf(f, "%d", &v) == 1 && v >= 0 && v < 64)
                return v;
        return CAP_LAST_CAP;
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the child exits or the deadline passes; then kill it. Returns 1 when it was killed for time. */
static int wait_child(pid_t pid, unsigned timeout_ms, int *ret_status) {
        int64_t deadline = now_ms() + timeout_ms;
        int timed_out = 0, status;
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);

        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        break;
                if (w < 0 && errno != EINTR)
                        return -errno;
                int64_t left = deadline - now_ms();
                if (left <= 0) {
                        (void) kill(pid, SIGKILL);
                        timed_out = 1;
                        while (waitpid(pid, &status, 0) < 0)
                                if (errno != EINTR)
                                        return -errno;
                        break;
                }
                if (pidfd >= 0) {
                        struct pollfd p = { .fd = pidfd, .events = POLLIN };
                        (void) poll(&p, 1, (int) MIN(left, 1000));
                } else {
                        struct timespec ts = { 0, 2 * 1000 * 1000 };
                        (void) nanosleep(&ts, NULL);
                }
        }
        *ret_status = status;
        return timed_out;
}

static int report(const NvctLdconfigRun *run, int err_fd, int status, bool timed_out, unsigned timeout_ms,
                  NvctError *err) {
        ChildError ce;

        if (read(err_fd, &ce, sizeof(ce)) == (ssize_t) sizeof(ce) && ce.stage >= 0 && ce.stage < _STAGE_MAX)
                return nvct_error_set(err, ce.error, "ldconfig sandbox for %s: %s", run->rootfs,
                                      stage_names[ce.stage]);
        if (timed_out)
                return nvct_error_setx(err, ETIMEDOUT, "ldconfig timed out after %u ms and was killed (%s in %s)",
                                       timeout_ms, run->ldconfig_path, run->rootfs);
        if (WIFSIGNALED(status))
                return nvct_error_setx(err, EIO, "ldconfig killed by signal %d (%s in %s)", WTERMSIG(status),
                                       run->ldconfig_path, run->rootfs);
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
                return nvct_error_setx(err, EIO, "ldconfig exited with status %d (%s in %s)", WEXITSTATUS(status),
                                       run->ldconfig_path, run->rootfs);
        return 0;
}

static int validate(const NvctLdconfigRun *run, size_t *ret_n_dirs, NvctError *err) {
        size_t n = strv_length(run->dirs);

        if (!run->ldconfig_path || run->ldconfig_path[0] != '/')
                return nvct_error_setx(err, EINVAL, "ldconfig path \"%s\" must be an absolute host path (without '@')",
                                       run->ldconfig_path ? run->ldconfig_path : "");
        if (!run->rootfs || run->rootfs[0] != '/' || streq(run->rootfs, "/"))
                return nvct_error_setx(err, EINVAL, "ldconfig: invalid rootfs \"%s\"", run->rootfs ? run->rootfs : "");
        if (n > LDCONFIG_MAX_DIRS)
                return nvct_error_setx(err, E2BIG, "ldconfig: %zu library directories (limit %u)", n, LDCONFIG_MAX_DIRS);
        for (size_t i = 0; i < n; i++)
                if (run->dirs[i][0] != '/' || strlen(run->dirs[i]) >= 4096 || strchr(run->dirs[i], '\n'))
                        return nvct_error_setx(err, EINVAL, "ldconfig: invalid library directory \"%s\"", run->dirs[i]);
        *ret_n_dirs = n;
        return 0;
}

static char **build_argv(char **dirs, size_t n) {
        static const char *const head[] = { "ldconfig", "-f", "/etc/ld.so.conf", "-C", "/etc/ld.so.cache" };
        char **argv = calloc(ELEMENTSOF(head) + n + 1, sizeof(char *));

        if (!argv)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(head); i++)
                argv[i] = (char *) head[i];
        for (size_t i = 0; i < n; i++)
                argv[ELEMENTSOF(head) + i] = dirs[i];
        return argv;
}

/* Keep fds the child needs away from 0-2, which it overwrites with dup2(). */
static int move_above_stdio(int *fd, NvctError *err) {
        if (*fd >= 3)
                return 0;
        int n = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
        if (n < 0)
                return nvct_error_set(err, errno, "fcntl F_DUPFD_CLOEXEC");
        closep(fd);
        *fd = n;
        return 0;
}

static int dup_above_stdio(int fd, int *ret, NvctError *err) {
        int n = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (n < 0)
                return nvct_error_set(err, errno, "fcntl F_DUPFD_CLOEXEC %d", fd);
        *ret = n;
        return 0;
}

static pid_t sandbox_clone(void) {
        /* fork() semantics plus fresh namespaces; the child is pid 1 of its own pid namespace. */
        return (pid_t) syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWUTS | SIGCHLD, NULL,
                               NULL, NULL, NULL);
}

int nvct_ldconfig_run(const NvctLdconfigRun *run, NvctError *err) {
        _cleanup_close_ int exe = -EBADF, null_fd = -EBADF, log_fd = -EBADF, ns_fd = -EBADF, rd = -EBADF,
                            wr = -EBADF;
        _cleanup_free_ void *filter = NULL;
        _cleanup_free_ char **argv = NULL;
        size_t n_dirs = 0, filter_size = 0;
        int pipefd[2], r;

        r = validate(run, &n_dirs, err);
        if (r < 0)
                return r;
        exe = ldconfig_memfd(run->ldconfig_path, err);
        if (exe < 0)
                return exe;
        r = nvct_ldconfig_seccomp_build(&filter, &filter_size, err);
        if (r < 0)
                return r;
        argv = build_argv(run->dirs, n_dirs);
        if (!argv)
                return nvct_error_set(err, ENOMEM, "ldconfig");

        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0)
                return nvct_error_set(err, errno, "open /dev/null");
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return nvct_error_set(err, errno, "pipe");
        rd = pipefd[0];
        wr = pipefd[1];
        if ((r = move_above_stdio(&exe, err)) < 0 || (r = move_above_stdio(&null_fd, err)) < 0 ||
            (r = move_above_stdio(&wr, err)) < 0 ||
            (r = dup_above_stdio(run->log_fd >= 0 ? run->log_fd : null_fd, &log_fd, err)) < 0 ||
            (run->mntns_fd >= 0 && (r = dup_above_stdio(run->mntns_fd, &ns_fd, err)) < 0))
                return r;

        Child c = {
                .mntns_fd = ns_fd, .exe_fd = exe, .null_fd = null_fd, .log_fd = log_fd, .err_fd = wr,
                .rootfs = run->rootfs, .no_pivot = run->no_pivot, .uid = run->uid, .gid = run->gid,
                .cap_last = read_cap_last(), .argv = argv,
                .seccomp = { .len = (unsigned short) (filter_size / sizeof(struct sock_filter)), .filter = filter },
        };
        pid_t pid = sandbox_clone();
        if (pid < 0)
                return nvct_error_set(err, errno, "ldconfig sandbox for %s: clone", run->rootfs);
        if (pid == 0)
                child_main(&c);
        closep(&wr);
        wr = -EBADF;

        unsigned timeout = run->timeout_ms ? run->timeout_ms : NVCT_LDCONFIG_TIMEOUT_MS_DEFAULT;
        int status = 0;
        r = wait_child(pid, timeout, &status);
        if (r < 0)
                return nvct_error_set(err, r, "wait for ldconfig");
        return report(run, rd, status, r > 0, timeout, err);
}

int nvct_ldconfig_resolve_host(const char *configured, bool allow_from_container, char **ret, NvctError *err) {
        if (!configured || !configured[0])
                return nvct_error_setx(err, EINVAL, "no ldconfig configured");
        if (configured[0] != '@') {
                if (!allow_from_container)
                        return nvct_error_setx(err, EPERM,
                                               "ldconfig \"%s\" is a path inside the container; running it is refused "
                                               "unless features.allow-ldconfig-from-container is set", configured);
                char *p = strdup(configured);
                if (!p)
                        return nvct_error_set(err, ENOMEM, "ldconfig");
                *ret = p;
                return 1;
        }
        const char *host = configured + 1;
        if (host[0] != '/')
                return nvct_error_setx(err, EINVAL, "ldconfig \"%s\": the host path must be absolute", configured);

        /* Distributions that ship ldconfig as a wrapper script keep the binary as ldconfig.real. */
        _cleanup_free_ char *real = NULL;
        struct stat st;
        if (asprintf(&real, "%s.real", host) < 0)
                return nvct_error_set(err, ENOMEM, "ldconfig");
        if (stat(real, &st) == 0 && S_ISREG(st.st_mode)) {
                *ret = TAKE_PTR(real);
                return 0;
        }
        char *p = strdup(host);
        if (!p)
                return nvct_error_set(err, ENOMEM, "ldconfig");
        *ret = p;
        return 0;
}
