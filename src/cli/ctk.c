/* SPDX-License-Identifier: Apache-2.0 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctk.h"
#include "frontends.h"
#include "log.h"
#include "macros.h"
#include "nvct-config.h"

static void ctk_usage(FILE *f) {
        fprintf(f, "NAME:\n"
                   "   NVIDIA Container Toolkit CLI (nvct)\n\n"
                   "USAGE:\n"
                   "   nvidia-ctk [global options] command [command options]\n\n"
                   "COMMANDS:\n"
                   "   hook     A collection of hooks that may be injected into an OCI spec\n"
                   "   runtime  A collection of runtime-related utilities for the NVIDIA Container Toolkit\n"
                   "   info     Provide information about the system\n"
                   "   cdi      Provide tools for interacting with Container Device Interface specifications\n"
                   "   system   A collection of system-related utilities for the NVIDIA Container Toolkit\n"
                   "   config   Interact with the NVIDIA Container Toolkit configuration\n\n"
                   "GLOBAL OPTIONS:\n"
                   "   --debug, -d    Enable debug-level logging (default: false) [$NVIDIA_CTK_DEBUG]\n"
                   "   --quiet        Suppress all output except for errors (default: false) [$NVIDIA_CTK_QUIET]\n"
                   "   --config FILE  Use the specified config file [$NVIDIA_CTK_CONFIG]\n"
                   "   --help, -h     show help\n"
                   "   --version, -v  print the version\n");
}

static const struct {
        const char *name;
        int (*main)(int, char **);
} ctk_commands[] = {
        { "cdi", ctk_cdi_main },       { "runtime", ctk_runtime_main }, { "system", ctk_system_main },
        { "config", ctk_config_main }, { "info", ctk_info_main },        { "hook", cdi_hook_main },
};

int ctk_main(int argc, char **argv) {
        int i = 1;
        /* global options come before the command, as urfave/cli parses them */
        for (; i < argc && argv[i][0] == '-'; i++) {
                const char *a = argv[i];
                if (streq(a, "--version") || streq(a, "-v")) {
                        printf("NVIDIA Container Toolkit CLI version %s (nvct)\n", NVCT_VERSION);
                        return 0;
                }
                if (streq(a, "--help") || streq(a, "-h")) {
                        ctk_usage(stdout);
                        return 0;
                }
                if (streq(a, "--debug") || streq(a, "-d") || streq(a, "--quiet"))
                        continue;
                if (streq(a, "--config") && i + 1 < argc) {
                        setenv("NVIDIA_CTK_CONFIG_FILE_PATH", argv[++i], 1);
                        continue;
                }
                if (strneq(a, "--config=", 9)) {
                        setenv("NVIDIA_CTK_CONFIG_FILE_PATH", a + 9, 1);
                        continue;
                }
                fprintf(stderr, "nvidia-ctk: unknown global option %s\n", a);
                ctk_usage(stderr);
                return 1;
        }
        if (i >= argc) {
                ctk_usage(stderr);
                return 1;
        }
        for (size_t k = 0; k < ELEMENTSOF(ctk_commands); k++)
                if (streq(argv[i], ctk_commands[k].name))
                        return ctk_commands[k].main(argc - i, argv + i);
        fprintf(stderr, "nvidia-ctk: unknown command \"%s\"\n", argv[i]);
        ctk_usage(stderr);
        return 1;
}
