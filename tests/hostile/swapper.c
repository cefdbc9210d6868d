/* SPDX-License-Identifier: Apache-2.0 */
/*
 * swapper A B SECONDS: exchange the directory entries A and B (renameat2 RENAME_EXCHANGE) as fast as possible
 * for SECONDS, then print the number of swaps. The race attacker of the hostile suite: while nvct resolves a
 * path in the rootfs, a real directory and a symlink pointing out of the root keep trading places.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv) {
        if (argc != 4) {
                fprintf(stderr, "usage: swapper A B SECONDS\n");
                return 2;
        }
        double secs = atof(argv[3]);
        struct timespec t0, t;
        unsigned long n = 0, failed = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                for (int i = 0; i < 256; i++) {
                        if (syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0)
                                n++;
                        else
                                failed++;
                }
                clock_gettime(CLOCK_MONOTONIC, &t);
                if ((double) (t.tv_sec - t0.tv_sec) + (double) (t.tv_nsec - t0.tv_nsec) / 1e9 >= secs)
                        break;
        }
        /* leave the tree as it was found: an even number of swaps */
        if (n % 2 && syscall(SYS_renameat2, AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0)
                n++;
        printf("%lu %lu\n", n, failed);
        return 0;
}
