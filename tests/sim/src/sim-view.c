/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which simulated devices the calling process can use. A real driver decides this in the kernel: a device
 * exists for a process when its node can be opened. The simulator asks the same question of the nodes.
 *
 * The nodes are looked up below one root, chosen once: "/" when /dev/nvidiactl exists (a container the driver
 * was injected into, or a host with its own nodes), otherwise the driver root baked in at build time (the
 * simulated host). Mixing the two per node would let a container that happens to see the driver root find
 * devices nobody injected.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim.h"

static const char *sim_dev_prefix(void) {
        struct stat st;

        if (lstat("/dev/nvidiactl", &st) == 0)
                return "";
        return sim_config.root;
}

/*
 * A simulated node has no kernel driver behind it, so open() reaches the device lookup and fails with ENXIO
 * (or ENODEV) after every permission check has passed: the device cgroup, the nodev mount flag and the file
 * mode all fail earlier with EPERM or EACCES. ENXIO therefore means "this process may use the device".
 */
static bool sim_node_usable(const char *prefix, const char *node) {
        char path[4096];
        int fd;

        if (snprintf(path, sizeof path, "%s%s", prefix, node) >= (int) sizeof path)
                return false;
        fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        return errno == ENXIO || errno == ENODEV;
}

static bool sim_cap_usable(const char *prefix, unsigned minor) {
        char node[64];

        snprintf(node, sizeof node, "/dev/nvidia-caps/nvidia-cap%u", minor);
        return sim_node_usable(prefix, node);
}

void sim_view_probe(SimView *v) {
        const char *prefix = sim_dev_prefix();

        memset(v, 0, sizeof *v);
        v->ctl = sim_node_usable(prefix, "/dev/nvidiactl");
        if (!v->ctl)
                return;

        for (unsigned i = 0; i < sim_config.n_gpus && i < SIM_MAX_GPUS; i++) {
                const SimGpu *g = &sim_config.gpus[i];
                char node[64];
                unsigned k = v->n_gpus;

                snprintf(node, sizeof node, "/dev/nvidia%u", g->minor);
                if (!sim_node_usable(prefix, node))
                        continue;
                v->gpu[k] = i;
                if (g->mig_enabled)
                        /* A MIG device exists for a process that may open both of its access capabilities. */
                        for (unsigned m = 0; m < g->n_migs && m < SIM_MAX_MIGS; m++)
                                if (sim_cap_usable(prefix, g->migs[m].gi_cap) &&
                                    sim_cap_usable(prefix, g->migs[m].ci_cap))
                                        v->mig[k][v->n_migs[k]++] = m;
                v->n_gpus++;
        }
}
