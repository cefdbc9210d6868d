/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "error.h"

/*
 * The CLI's debug log: glog-style lines ("I1124 19:34:21.625437 4242 file.c:12] text"), appended to a file
 * given by the front end (never chosen by an environment variable of the container). Nothing is written when no
 * file is open.
 */
int log_open(const char *path, NvctError *err);
void log_close(void);
bool log_enabled(void);
void log_debug_at(const char *file, int line, const char *fmt, ...) _printf_(3, 4);
void log_warn_at(const char *file, int line, const char *fmt, ...) _printf_(3, 4);
#define log_debug(...) log_debug_at(__FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) log_warn_at(__FILE__, __LINE__, __VA_ARGS__)
/* A callback with the NvctDiscoverOptions.log signature. */
void log_sink(void *userdata, const char *fmt, ...) _printf_(2, 3);
/* Print "<prog>: <message>" to stderr, once, and to the debug log. */
void log_report(const char *prog, const NvctError *err);
