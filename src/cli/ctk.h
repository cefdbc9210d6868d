/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdarg.h>
#include <stdio.h>

#include "error.h"
#include "flags.h"
#include "macros.h"

/* nvidia-ctk subcommands; argv[0] is the subcommand name. Each returns the exit status. */
int ctk_cdi_main(int argc, char **argv);
int ctk_runtime_main(int argc, char **argv);
int ctk_system_main(int argc, char **argv);
/*
 * `nvidia-ctk config` (argv[0] = "config"): print or edit config.toml, preserving its comments and order.
 *   --config-file/-c FILE   the file (default: NVIDIA_CTK_CONFIG_FILE_PATH, else
 *                           ${XDG_CONFIG_HOME:-/etc}/nvidia-container-runtime/config.toml)
 *   --set KEY[=VALUE]       repeatable; dotted keys; booleans may omit the value; lists split on ',' or ':'
 *                           (--set-list-separator changes that); an empty string value removes the key
 *   --in-place/-i           write the file back; --output/-o FILE writes elsewhere; default: stdout
 *   default | create-default | generate-default [--output FILE]   print NVIDIA's default config
 * Returns the exit status.
 */
int ctk_config_main(int argc, char **argv);
int ctk_info_main(int argc, char **argv);

/* Print "<prog>: <message>" on stderr, once, and return the exit status 1. */
_printf_(2, 3) static inline int(ctk_fail)(const char *prog, const char *fmt, ...) {
        va_list ap;
        (void) fprintf(stderr, "%s: ", prog);
        va_start(ap, fmt);
        (void) vfprintf(stderr, fmt, ap);
        va_end(ap);
        (void) fputc('\n', stderr);
        return 1;
}
#define ctk_fail(prog, ...) NVCT_NONZERO((ctk_fail)(prog, __VA_ARGS__))

/* flags_parse for an nvidia-ctk command: 0 to go on, 1 after printing the error, or -1 after printing usage to
 * stdout when *help was set (help NULL: the caller prints its own help). */
static inline int ctk_parse_flags(const char *prog, int argc, char **argv, const Flag *flags, char ***ret_args,
                                  const bool *help, void (*usage)(FILE *)) {
        NvctError err = NVCT_ERROR_INIT;
        if (flags_parse(argc, argv, flags, ret_args, &err) < 0)
                return ctk_fail(prog, "%s", err.msg);
        if (help && *help) {
                usage(stdout);
                return -1;
        }
        return 0;
}
