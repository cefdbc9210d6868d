/* SPDX-License-Identifier: Apache-2.0 */
/*
 * benchtool: the timing helper of bench/run.sh. Built by bench/run.sh with plain gcc; no part of nvct.
 *
 *   benchtool cycle [-u] ID BUNDLE RUNTIME [RUNTIME-ARGS...]
 *       One container life: RUNTIME create --bundle BUNDLE --pid-file BUNDLE/bench.pid ID, RUNTIME start ID,
 *       wait for the container's init to exit, RUNTIME delete ID. We are a child subreaper (as
 *       containerd-shim is), so the init is reparented to us and waitpid() sees it exit without polling.
 *       -u: first enter a private mount namespace without /sys/fs/cgroup/unified (crun on this hybrid host).
 *       Prints "create_us start_us wait_us delete_us total_us" on stdout; exit 0 only if every step succeeded.
 *
 *   benchtool time [-o FILE] [-s] CMD [ARGS...]
 *       Run CMD (stdio inherited); append "wall_us maxrss_kib" to FILE (default: stderr) and exit with CMD's
 *       status. A wrapper around the hook, to see its own wall time and peak RSS.
 *       -s: CMD is a prestart hook that wants the container pid as an argument, the way NVIDIA's hook execs
 *       `nvidia-container-cli configure --pid=PID`: read the OCI state from stdin and replace "{pid}" in ARGS.
 *
 * Timestamps come from CLOCK_MONOTONIC around each fork/exec/wait, so the shell's own overhead never counts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Run argv and wait for exactly that child; other (reparented) children are reaped only when they are ours. */
static int run_argv(char **argv, int quiet, struct rusage *ru) {
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                if (quiet) {
                        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                        if (fd >= 0) {
                                dup2(fd, STDIN_FILENO);
                                dup2(fd, STDOUT_FILENO);
                        }
                }
                execvp(argv[0], argv);
                fprintf(stderr, "benchtool: exec %s: %s\n", argv[0], strerror(errno));
                _exit(127);
        }
        int status;
        for (;;) {
                struct rusage r;
                pid_t w = wait4(pid, &status, 0, &r);
                if (w == pid) {
                        if (ru)
                                *ru = r;
                        break;
                }
                if (w < 0 && errno != EINTR)
                        return -errno;
        }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + WTERMSIG(status);
}

static char **build_argv(char **prefix, int n_prefix, const char *const *tail) {
        int n_tail = 0;
        while (tail[n_tail])
                n_tail++;
        char **v = calloc((size_t) (n_prefix + n_tail + 1), sizeof(char *));
        if (!v) {
                perror("benchtool");
                exit(2);
        }
        for (int i = 0; i < n_prefix; i++)
                v[i] = prefix[i];
        for (int i = 0; i < n_tail; i++)
                v[n_prefix + i] = (char *) tail[i];
        return v;
}

static int read_pid(const char *path) {
        FILE *f = fopen(path, "re");
        int pid = -1;
        if (!f)
                return -1;
        if (fscanf(f, "%d", &pid) != 1)
                pid = -1;
        fclose(f);
        return pid;
}

static int private_cgroup_v1(void) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
                perror("benchtool: private mount namespace");
                return -1;
        }
        if (umount2("/sys/fs/cgroup/unified", MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
                perror("benchtool: umount /sys/fs/cgroup/unified");
                return -1;
        }
        return 0;
}

static int step_failed(const char *what, int rc) {
        fprintf(stderr, "benchtool: %s failed (status %d)\n", what, rc);
        return 1;
}

static int cmd_cycle(int argc, char **argv) {
        int unshare_ns = 0, opt;
        while ((opt = getopt(argc, argv, "+u")) != -1) {
                if (opt == 'u')
                        unshare_ns = 1;
                else
                        return 2;
        }
        if (argc - optind < 3) {
                fprintf(stderr, "usage: benchtool cycle [-u] ID BUNDLE RUNTIME [ARGS...]\n");
                return 2;
        }
        const char *id = argv[optind];
        char *bundle = realpath(argv[optind + 1], NULL);
        char **rt = argv + optind + 2;
        int n_rt = argc - optind - 2;
        if (!bundle) {
                fprintf(stderr, "benchtool: %s: %s\n", argv[optind + 1], strerror(errno));
                return 2;
        }
        char pidfile[4096];
        snprintf(pidfile, sizeof(pidfile), "%s/bench.pid", bundle);
        unlink(pidfile);
        if (unshare_ns && private_cgroup_v1() < 0)
                return 2;
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
                perror("benchtool: PR_SET_CHILD_SUBREAPER");
                return 2;
        }

        const char *create[] = { "create", "--bundle", bundle, "--pid-file", pidfile, id, NULL };
        const char *start[] = { "start", id, NULL };
        const char *del[] = { "delete", id, NULL };
        const char *del_force[] = { "delete", "-f", id, NULL };
        long long t0 = now_us(), t1, t2, t3, t4;
        int rc = run_argv(build_argv(rt, n_rt, create), 1, NULL);
        t1 = now_us();
        if (rc != 0)
                return step_failed("create", rc);
        pid_t init = read_pid(pidfile);
        rc = run_argv(build_argv(rt, n_rt, start), 1, NULL);
        t2 = now_us();
        if (rc != 0 || init <= 0) {
                run_argv(build_argv(rt, n_rt, del_force), 1, NULL);
                return step_failed("start", rc);
        }
        /* The init was reparented to us when `create` exited; reap it (and anything else that ends up here). */
        for (;;) {
                int st;
                pid_t w = waitpid(-1, &st, 0);
                if (w == init || (w < 0 && errno == ECHILD))
                        break;
        }
        t3 = now_us();
        rc = run_argv(build_argv(rt, n_rt, del), 1, NULL);
        t4 = now_us();
        if (rc != 0)
                return step_failed("delete", rc);
        printf("%lld %lld %lld %lld %lld\n", t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0);
        return 0;
}

/* The "pid" member of the OCI state on stdin (a flat object: a textual search is enough for runc and crun). */
static int state_pid(void) {
        static char buf[65536];
        size_t n = 0;
        ssize_t k;
        while (n < sizeof(buf) - 1 && (k = read(STDIN_FILENO, buf + n, sizeof(buf) - 1 - n)) > 0)
                n += (size_t) k;
        buf[n] = 0;
        const char *p = strstr(buf, "\"pid\"");
        if (!p || !(p = strchr(p, ':')))
                return -1;
        return atoi(p + 1);
}

/* Replace every "{pid}" in the arguments. */
static void substitute_pid(char **args, int pid) {
        for (; *args; args++) {
                char *at = strstr(*args, "{pid}");
                if (!at)
                        continue;
                char *s = NULL;
                if (asprintf(&s, "%.*s%d%s", (int) (at - *args), *args, pid, at + 5) < 0) {
                        perror("benchtool");
                        exit(2);
                }
                *args = s;
                args--; /* again, for a second "{pid}" in the same argument */
        }
}

static int cmd_time(int argc, char **argv) {
        const char *out = NULL;
        int opt, from_state = 0;
        while ((opt = getopt(argc, argv, "+o:s")) != -1) {
                if (opt == 'o')
                        out = optarg;
                else if (opt == 's')
                        from_state = 1;
                else
                        return 2;
        }
        if (optind >= argc) {
                fprintf(stderr, "usage: benchtool time [-o FILE] [-s] CMD [ARGS...]\n");
                return 2;
        }
        if (from_state) {
                int pid = state_pid();
                if (pid <= 0) {
                        fprintf(stderr, "benchtool: no pid in the OCI state on stdin\n");
                        return 2;
                }
                substitute_pid(argv + optind, pid);
        }
        struct rusage ru = { 0 };
        long long t0 = now_us();
        int rc = run_argv(argv + optind, 0, &ru);
        long long t1 = now_us();
        FILE *f = out ? fopen(out, "ae") : stderr;
        if (f) {
                fprintf(f, "%lld %ld\n", t1 - t0, ru.ru_maxrss);
                if (out)
                        fclose(f);
        }
        return rc < 0 ? 127 : rc;
}

int main(int argc, char **argv) {
        if (argc >= 2 && strcmp(argv[1], "cycle") == 0)
                return cmd_cycle(argc - 1, argv + 1);
        if (argc >= 2 && strcmp(argv[1], "time") == 0)
                return cmd_time(argc - 1, argv + 1);
        fprintf(stderr, "usage: benchtool cycle|time ... (see the comment at the top of bench/benchtool.c)\n");
        return 2;
}
