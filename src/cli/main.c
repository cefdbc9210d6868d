/* SPDX-License-Identifier: Apache-2.0 */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "frontends.h"
#include "macros.h"
#include "nvct-config.h"
#include "nvml.h"

static const struct {
        const char *name;
        int (*main)(int, char **);
} frontends[] = {
        { "nvidia-container-cli", cli_main },
        { "nvidia-container-runtime-hook", hook_main },
        { "nvidia-container-toolkit", hook_main },
        { "nvidia-container-runtime", runtime_main },
        { "nvidia-container-runtime.cdi", runtime_main },
        { "nvidia-container-runtime.legacy", runtime_main },
        { "nvidia-ctk", ctk_main },
        { "nvidia-cdi-hook", cdi_hook_main },
};

/* `nvct <front end> …` reaches every front end without the links installed. */
static const struct {
        const char *name;
        int (*main)(int, char **);
} subcommands[] = {
        { "cli", cli_main },         { "hook", hook_main },         { "runtime", runtime_main },
        { "ctk", ctk_main },         { "cdi-hook", cdi_hook_main }, { "info", nvct_info_main },
};

static void usage(FILE *f) {
        fprintf(f,
                "Usage: nvct COMMAND [ARGS...]\n"
                "\n"
                "nvct is one binary for every NVIDIA Container Toolkit interface. Installed under these names it\n"
                "behaves as: nvidia-container-cli, nvidia-container-runtime-hook (nvidia-container-toolkit),\n"
                "nvidia-container-runtime, nvidia-ctk and nvidia-cdi-hook.\n"
                "\n"
                "Commands:\n"
                "  info [--json]   describe the host driver (stable JSON with --json)\n"
                "  cli ARGS        run as nvidia-container-cli\n"
                "  hook ARGS       run as nvidia-container-runtime-hook\n"
                "  runtime ARGS    run as nvidia-container-runtime\n"
                "  ctk ARGS        run as nvidia-ctk\n"
                "  cdi-hook ARGS   run as nvidia-cdi-hook\n"
                "  version         print the version\n");
}

#ifdef NVCT_STATIC_BINARY
/* A static nvct loads NVML through nvct-nvml, installed beside it. */
static void setup_nvml_helper(void) {
        static char helper[PATH_MAX];
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0)
                return;
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (!slash)
                return;
        *slash = '\0';
        snprintf(helper, sizeof(helper), "%s/nvct-nvml", self);
        nvct_nvml_use_helper(helper);
}
#endif

int main(int argc, char **argv) {
#ifdef NVCT_STATIC_BINARY
        setup_nvml_helper();
#endif
        const char *base = argc > 0 && argv[0] ? strrchr(argv[0], '/') : NULL;
        base = base ? base + 1 : (argc > 0 && argv[0] ? argv[0] : "nvct");

        for (size_t i = 0; i < ELEMENTSOF(frontends); i++)
                if (streq(base, frontends[i].name))
                        return frontends[i].main(argc, argv);

        if (argc < 2) {
                usage(stderr);
                return 2;
        }
        if (streq(argv[1], "version") || streq(argv[1], "--version")) {
                printf("nvct version %s\n", NVCT_VERSION);
                return 0;
        }
        if (streq(argv[1], "help") || streq(argv[1], "--help") || streq(argv[1], "-h")) {
                usage(stdout);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(subcommands); i++)
                if (streq(argv[1], subcommands[i].name))
                        return subcommands[i].main(argc - 1, argv + 1);
        fprintf(stderr, "nvct: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
}
