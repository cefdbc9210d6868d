/* SPDX-License-Identifier: Apache-2.0 */
/*
 * simfs: the file system work of mksim.sh in one process (the generator runs many times per test suite, and a
 * fork per symlink or node would dominate its run time). Reads one command per line on stdin, fields separated
 * by tabs:
 *   D <path>                  mkdir -p
 *   L <target> <link>         symlink
 *   C <major> <minor> <path>  character device, mode 0666
 *   S <path>                  a unix socket, bound and closed (the socket file stays, as a daemon's would)
 * Stops at the first failure with a message naming the command.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

static int mkdir_p(char *path) {
        for (char *p = path + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(path, 0755) < 0 && errno != EEXIST)
                        return -1;
                *p = '/';
        }
        return mkdir(path, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

static int make_socket(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof sa.sun_path) {
                errno = ENAMETOOLONG;
                return -1;
        }
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -1;
        r = bind(fd, (struct sockaddr *) &sa, sizeof sa);
        close(fd);
        return r;
}

static int run(char *line) {
        char *f[4] = { NULL };
        char *save = NULL;
        int n = 0;

        for (char *t = strtok_r(line, "\t", &save); t && n < 4; t = strtok_r(NULL, "\t", &save))
                f[n++] = t;
        if (n == 2 && strcmp(f[0], "D") == 0)
                return mkdir_p(f[1]);
        if (n == 3 && strcmp(f[0], "L") == 0)
                return symlink(f[1], f[2]);
        if (n == 4 && strcmp(f[0], "C") == 0) {
                dev_t dev = makedev((unsigned) atoi(f[1]), (unsigned) atoi(f[2]));

                if (mknod(f[3], S_IFCHR | 0666, dev) < 0)
                        return -1;
                return chmod(f[3], 0666);
        }
        if (n == 2 && strcmp(f[0], "S") == 0)
                return make_socket(f[1]);
        errno = EINVAL;
        return -1;
}

int main(void) {
        char line[8192];

        umask(022);
        while (fgets(line, sizeof line, stdin)) {
                char copy[8192];

                line[strcspn(line, "\n")] = '\0';
                if (!*line)
                        continue;
                memcpy(copy, line, sizeof copy);
                if (run(line) < 0) {
                        fprintf(stderr, "simfs: %s: %s\n", copy, strerror(errno));
                        return 1;
                }
        }
        return 0;
}
