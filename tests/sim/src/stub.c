/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The body of every simulated driver library that has no behaviour of its own. mksim.sh links this one object
 * many times, each with the real file name and DT_SONAME of a driver library.
 */

__attribute__((visibility("default"))) int nvct_sim_stub(void);

int nvct_sim_stub(void) {
        return 0;
}
