/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvct-nvml: the dynamic helper a static nvct execs to load NVML (libnvidia-ml.so.1 is built against the host's
 * glibc, which a static binary cannot dlopen safely). It is started only by nvct's sandboxed NVML child, with an
 * empty environment, already de-privileged, and speaks over the fds it is given.
 */
#include "nvml.h"

int main(int argc, char **argv) {
        return nvct_nvml_helper_main(argc, argv);
}
