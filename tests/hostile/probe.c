/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A static program with two roles, chosen at build time.
 *  -DPLANTED: the image's own binary (/sbin/ldconfig, /usr/bin/nvidia-smi, ...). If a privileged nvct ever runs
 *   it, it writes MARK (a host path) and /hostile-planted-ran. The suite checks both are absent.
 *  -DBLOCK: a host "ldconfig" that blocks reading the FIFO /nvct-block.fifo of the root it sees: a helper that
 *   hangs, so the suite can kill the container or nvct while it runs.
 *  otherwise: a stand-in for the host's ldconfig (configured as "@PATH"). It records what the sandbox gave it
 *   into /nvct-ldconfig-probe of the root it sees: uid, gid, pid, the open fds, the environment size, and
 *   whether /proc is empty; and whether the host path MARK is reachable (an escape).
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

static void append(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        if (write(fd, text, strlen(text)) < 0) {
                /* best effort */
        }
        close(fd);
}

int main(int argc, char **argv) {
        char buf[4096];
        (void) argc;
#ifdef BLOCK
        char c;
        int fd = open("/nvct-block.fifo", O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && read(fd, &c, 1) < 0)
                return 1;
        return 0;
#elif defined(PLANTED)
        snprintf(buf, sizeof(buf), "planted %s ran as uid %d\n", argv[0], (int) getuid());
        append(MARK, buf);
        append("/hostile-planted-ran", buf);
        return 0;
#else
        size_t n = 0, envc = 0;
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "uid=%d gid=%d pid=%d fds=", (int) getuid(), (int) getgid(),
                               (int) getpid());
        for (int fd = 0; fd < 1024 && n < sizeof(buf) - 64; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                        n += (size_t) snprintf(buf + n, sizeof(buf) - n, "%d,", fd);
        for (char **e = environ; e && *e; e++)
                envc++;
        int proc_entries = 0;
        DIR *d = opendir("/proc");
        for (struct dirent *de; d && (de = readdir(d));)
                if (de->d_name[0] != '.')
                        proc_entries++;
        if (d)
                closedir(d);
        struct stat st;
        n += (size_t) snprintf(buf + n, sizeof(buf) - n, " env=%zu proc=%d hostmark=%s argv1=%s\n", envc,
                               proc_entries, stat(MARK, &st) == 0 ? "reachable" : "absent", argv[1] ? argv[1] : "");
        append("/nvct-ldconfig-probe", buf);
        return 0;
#endif
}
