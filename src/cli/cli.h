/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "driver.h"
#include "error.h"

#define CLI_PROG "nvidia-container-cli"

/*
 * The global options of nvidia-container-cli, which come before the command (as with NVIDIA's argp
 * ARGP_IN_ORDER parser). --proc-root, --dev-root and --sys-root are hidden options for tests.
 */
typedef struct CliGlobals {
        const char *debug_file;        /* -d, --debug=FILE: append a glog-style log */
        bool load_kmods;               /* -k, --load-kmods */
        bool no_pivot;                 /* -n, --no-pivot: MS_MOVE instead of pivot_root for ldconfig */
        bool user_given;               /* -u, --user[=UID[:GID]] was given */
        uid_t uid;                     /* NVML helper identity; (uid_t)-1 keeps ours */
        gid_t gid;
        const char *root;              /* -r, --root=PATH: driver root, "/" by default */
        const char *ldcache;           /* -l, --ldcache=FILE, inside root; NULL: /etc/ld.so.cache */
        bool no_create_imex_channels;  /* --no-create-imex-channels */
        const char *proc_root;         /* default /proc */
        const char *dev_root;          /* default: the driver root */
        const char *sys_root;          /* default /sys */
        unsigned nvml_timeout_ms;      /* --nvml-timeout=MS (nvct); 0: the default 10 s */
        NvctRoots roots;               /* all of the above resolved */
} CliGlobals;

/* Entry point of `configure` (src/cli/cli-configure.c); argv[0] is "configure". Returns the exit status. */
int cli_configure_main(const CliGlobals *g, int argc, char **argv);

/* Print "nvidia-container-cli: <what>: <message>" once (stderr and the debug log). Returns EXIT_FAILURE. */
int cli_fail(const char *what, const NvctError *err);

/* --load-kmods with the IMEX channels the command asks for (honours --no-create-imex-channels). */
void cli_load_kmods(const CliGlobals *g, const unsigned *imex_channels, size_t n_imex_channels);

/*
 * Discovery with the globals: roots, NVML identity, the debug log as sink. flags are NvctDiscoverFlags.
 * Errors are left in err (the caller reports them as "initialization error").
 */
int cli_discover(const CliGlobals *g, unsigned flags, NvctDriver **ret, NvctError *err);
