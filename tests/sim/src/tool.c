/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The driver's other programs (nvidia-debugdump, nvidia-persistenced, nv-fabricmanager, nvidia-cuda-mps-*):
 * real executables that only say who they are, so tests can run what was injected.
 */

#include <libgen.h>
#include <stdio.h>

int main(int argc, char **argv) {
        printf("%s: simulated NVIDIA driver tool\n", argc > 0 ? basename(argv[0]) : "nvidia-tool");
        return 0;
}
