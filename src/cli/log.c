/* SPDX-License-Identifier: Apache-2.0 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int log_fd = -1;

int log_open(const char *path, NvctError *err) {
        log_close();
        if (!path || !*path)
                return 0;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
        if (fd < 0)
                return nvct_error_set(err, errno, "open log file %s", path);
        log_fd = fd;
        return 0;
}

void log_close(void) {
        if (log_fd >= 0)
                close(log_fd);
        log_fd = -1;
}

bool log_enabled(void) {
        return log_fd >= 0;
}

_printf_(4, 0) static void log_vwrite(char level, const char *file, int line, const char *fmt, va_list ap) {
        char buf[4096];
        struct timeval tv;
        struct tm tm;

        if (log_fd < 0)
                return;
        gettimeofday(&tv, NULL);
        localtime_r(&tv.tv_sec, &tm);
        const char *base = strrchr(file, '/');
        int n = snprintf(buf, sizeof(buf), "%c%02d%02d %02d:%02d:%02d.%06ld %ld %s:%d] ", level, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long) tv.tv_usec, (long) syscall(SYS_gettid),
                         base ? base + 1 : file, line);
        if (n < 0 || (size_t) n >= sizeof(buf))
                return;
        int m = vsnprintf(buf + n, sizeof(buf) - (size_t) n - 1, fmt, ap);
        if (m < 0)
                return;
        size_t len = MIN((size_t) n + (size_t) m, sizeof(buf) - 2);
        buf[len++] = '\n';
        (void) !write(log_fd, buf, len);
}

void log_debug_at(const char *file, int line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_vwrite('I', file, line, fmt, ap);
        va_end(ap);
}

void log_warn_at(const char *file, int line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_vwrite('W', file, line, fmt, ap);
        va_end(ap);
}

void log_sink(void *userdata _unused_, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        log_vwrite('I', "nvct", 0, fmt, ap);
        va_end(ap);
}

void log_report(const char *prog, const NvctError *err) {
        const char *msg = err && err->msg[0] ? err->msg : "unknown error";
        fprintf(stderr, "%s: %s\n", prog, msg);
        if (log_fd >= 0)
                log_warn("%s", msg);
}
