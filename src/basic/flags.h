/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "error.h"

/*
 * Command-line flags in the syntax of Go's flag package, which NVIDIA's tools use through urfave/cli:
 * -name and --name alike, a value as -name=value or as the next argument, booleans only as -name or
 * -name=value (strconv.ParseBool's spellings), "--" ending the flags. Positional arguments may come between
 * flags, as urfave/cli allows.
 */

typedef enum FlagKind {
        FLAG_STRING, /* const char **: the last one given wins */
        FLAG_STRV,   /* char ***: each occurrence appended as given */
        FLAG_LIST,   /* char ***: each occurrence split on ',' and appended, empty parts dropped */
        FLAG_BOOL,   /* bool * */
} FlagKind;

typedef struct Flag {
        const char *names; /* aliases, "output,o" */
        void *dst;
        FlagKind kind;
} Flag;

/* Go's strconv.ParseBool: 1 t T TRUE true True, 0 f F FALSE false False. 0 or -EINVAL. */
int flag_parse_bool(const char *s, bool *ret);

/* Parse argv[0..argc) against flags (terminated by { NULL }). Positional arguments are appended to *ret_args, or,
 * with ret_args NULL, refused. Returns 0, -EINVAL with the offending argument named in err, or -ENOMEM. */
int flags_parse(int argc, char *const *argv, const Flag *flags, char ***ret_args, NvctError *err);

/* -h, -help, --h or --help: for a command that looks at its first argument before it knows its flags. */
bool flag_is_help(const char *arg);
