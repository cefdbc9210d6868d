/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hostile-run [--timeout MS] [--kill PID --after US] [--kill-self-after US] -- CMD [ARG...]
 *
 * Runs CMD as a child subreaper, so every process CMD leaves behind is re-parented here and can be seen. Exit
 * status: CMD's (128+N when killed by signal N, unless we killed it ourselves: then 0 if it had exited before),
 * 124 when CMD ran past the timeout, 125 when a descendant outlived CMD (named on stderr, then killed).
 * --kill PID --after US sends SIGKILL to PID (the container) US microseconds after CMD starts: the container
 * dying in the middle of configure. --kill-self-after US does the same to CMD: the hook SIGKILLed mid-way.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Our remaining children (re-parented orphans included), from /proc/self/task/TID/children. */
static int leftover(int report) {
        char path[64], comm[64], buf[4096];
        int found = 0;
        snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int) getpid());
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        size_t k = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[k] = '\0';
        for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) {
                int pid = atoi(tok);
                found++;
                if (!report)
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/comm", pid);
                comm[0] = '\0';
                FILE *c = fopen(path, "re");
                if (c) {
                        if (!fgets(comm, sizeof(comm), c))
                                comm[0] = '\0';
                        fclose(c);
                }
                comm[strcspn(comm, "\n")] = '\0';
                fprintf(stderr, "hostile-run: leftover process %d (%s)\n", pid, comm);
                kill(pid, SIGKILL);
        }
        return found;
}

int main(int argc, char **argv) {
        long long timeout_us = 60LL * 1000000, kill_after = -1, kill_self_after = -1;
        pid_t kill_pid = 0;
        int i = 1;

        for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (i + 1 >= argc)
                        break;
                if (!strcmp(argv[i], "--timeout"))
                        timeout_us = atoll(argv[++i]) * 1000;
                else if (!strcmp(argv[i], "--kill"))
                        kill_pid = atoi(argv[++i]);
                else if (!strcmp(argv[i], "--after"))
                        kill_after = atoll(argv[++i]);
                else if (!strcmp(argv[i], "--kill-self-after"))
                        kill_self_after = atoll(argv[++i]);
                else
                        break;
        }
        if (i >= argc || strcmp(argv[i], "--") != 0 || i + 1 >= argc) {
                fprintf(stderr, "usage: hostile-run [--timeout MS] [--kill PID --after US] [--kill-self-after US] "
                                "-- CMD [ARG...]\n");
                return 2;
        }
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
                perror("hostile-run: PR_SET_CHILD_SUBREAPER");
                return 2;
        }
        long long t0 = now_us();
        pid_t child = fork();
        if (child < 0) {
                perror("hostile-run: fork");
                return 2;
        }
        if (child == 0) {
                execvp(argv[i + 1], argv + i + 1);
                fprintf(stderr, "hostile-run: exec %s: %s\n", argv[i + 1], strerror(errno));
                _exit(127);
        }
        int status = 0, rc = -1;
        int self_killed = 0;
        for (;;) {
                pid_t w = waitpid(child, &status, WNOHANG);
                if (w == child)
                        break;
                long long el = now_us() - t0;
                if (kill_pid > 0 && kill_after >= 0 && el >= kill_after) {
                        kill(kill_pid, SIGKILL);
                        kill_pid = 0;
                }
                if (kill_self_after >= 0 && el >= kill_self_after) {
                        kill(child, SIGKILL);
                        kill_self_after = -1;
                        self_killed = 1;
                }
                if (el >= timeout_us) {
                        fprintf(stderr, "hostile-run: %s still running after %lld ms: killed\n", argv[i + 1],
                                timeout_us / 1000);
                        kill(child, SIGKILL);
                        waitpid(child, &status, 0);
                        rc = 124;
                        break;
                }
                usleep(el < 20000 ? 50 : 1000);
        }
        if (rc < 0)
                rc = WIFEXITED(status) ? WEXITSTATUS(status) : (self_killed ? 0 : 128 + WTERMSIG(status));
        /* children of CMD get a moment to notice it is gone (PR_SET_PDEATHSIG, pipe EOF) */
        for (int k = 0; k < 200 && leftover(0) > 0; k++) {
                while (waitpid(-1, NULL, WNOHANG) > 0)
                        ;
                usleep(10000);
        }
        if (leftover(1) > 0) {
                while (waitpid(-1, NULL, 0) > 0)
                        ;
                return 125;
        }
        return rc;
}
