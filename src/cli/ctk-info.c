/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `nvidia-ctk info`: NVIDIA's command has no subcommands and prints nothing useful; ours names the toolkit, the
 * config file in use, and what discovery finds (the same report and flags as `nvct info`, --json included).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctk.h"
#include "frontends.h"
#include "nvct-config.h"

int ctk_info_main(int argc, char **argv) {
        _cleanup_free_ char *path = NULL;
        bool json = false;

        for (int i = 1; i < argc; i++)
                json |= streq(argv[i], "--json") || streq(argv[i], "-j");
        if (!json) {
                printf("NVIDIA Container Toolkit CLI version %s (nvct)\n", NVCT_VERSION);
                if (nvct_config_default_path(NULL, getenv("NVIDIA_CTK_CONFIG_FILE_PATH"), getenv("XDG_CONFIG_HOME"),
                                             &path) >= 0)
                        printf("Config file:   %s\n", path);
        }
        (void) fflush(stdout);
        return nvct_info_main(argc, argv);
}
