/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The attacker's shared object (LD_PRELOAD, LD_AUDIT, LD_LIBRARY_PATH payload). Built with -DMARK="path": if any
 * process loads it, its constructor appends "loaded by PID EXE" to MARK and to /hostile-poc-loaded of whatever
 * root it runs in. The suite checks both are absent.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void mark(const char *path) {
        char line[512], exe[256] = "?";
        ssize_t k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (k > 0)
                exe[k] = '\0';
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        int n = snprintf(line, sizeof(line), "loaded by %d %s\n", (int) getpid(), exe);
        if (write(fd, line, (size_t) n) < 0) {
                /* nothing to do: the marker is best effort */
        }
        close(fd);
}

__attribute__((constructor)) static void poc_init(void) {
        mark(MARK);
        mark("/hostile-poc-loaded");
}

/* LD_AUDIT entry point: its presence makes the loader accept the object as an audit module. */
unsigned int la_version(unsigned int v) {
        return v;
}
