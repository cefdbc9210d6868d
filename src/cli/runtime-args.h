/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

/* What the shim needs from a runtime command line; everything else passes through untouched. */
typedef struct RuntimeArgs {
        bool create;            /* a "create" subcommand is present */
        bool version;           /* --version / -v as a global flag */
        const char *bundle;     /* --bundle/-b/-bundle value; NULL = cwd */
        const char *log_file;   /* --log */
        bool log_json;          /* --log-format json */
        bool debug;             /* --debug */
} RuntimeArgs;

void runtime_args_parse(int argc, char **argv, RuntimeArgs *ret);
