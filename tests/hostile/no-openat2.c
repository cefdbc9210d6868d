/* SPDX-License-Identifier: Apache-2.0 */
/*
 * no-openat2 CMD [ARG...]: run CMD with openat2(2) failing with ENOSYS, as on kernels before 5.6 or under a
 * container engine's seccomp profile that does not know it. nvct must then take its fallback resolver.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: no-openat2 CMD [ARG...]\n");
                return 127;
        }
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx) {
                fprintf(stderr, "no-openat2: seccomp_init failed\n");
                return 127;
        }
        int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0);
        if (r == 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        if (r < 0) {
                fprintf(stderr, "no-openat2: installing the filter failed: %s\n", strerror(-r));
                return 127;
        }
        execvp(argv[1], argv + 1);
        fprintf(stderr, "no-openat2: exec %s: %s\n", argv[1], strerror(errno));
        return 127;
}
