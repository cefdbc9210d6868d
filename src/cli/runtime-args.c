/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "macros.h"
#include "runtime-args.h"

/* Options of runc/crun that take a separate value; their value is never mistaken for a subcommand. */
static bool takes_value(const char *a) {
        static const char *const with_value[] = {
                "--root", "--log", "--log-format", "--criu", "--rootless", "-b", "--bundle", "-bundle",
                "--pid-file", "--console-socket", "--preserve-fds", "--cgroup-manager",
        };
        for (size_t i = 0; i < ELEMENTSOF(with_value); i++)
                if (streq(a, with_value[i]))
                        return true;
        return false;
}

void runtime_args_parse(int argc, char **argv, RuntimeArgs *ret) {
        RuntimeArgs r = { 0 };
        bool seen_command = false;

        for (int i = 1; i < argc && argv[i]; i++) {
                const char *a = argv[i];
                const char *next = i + 1 < argc ? argv[i + 1] : NULL;
                if (streq(a, "--bundle") || streq(a, "-b") || streq(a, "-bundle")) {
                        r.bundle = next;
                        i++;
                        continue;
                }
                if (strneq(a, "--bundle=", 9) || strneq(a, "-bundle=", 8)) {
                        r.bundle = strchr(a, '=') + 1;
                        continue;
                }
                if (!seen_command && streq(a, "--log") && next) {
                        r.log_file = next;
                        i++;
                        continue;
                }
                if (!seen_command && strneq(a, "--log=", 6)) {
                        r.log_file = a + 6;
                        continue;
                }
                if (!seen_command && streq(a, "--log-format") && next) {
                        r.log_json = streq(next, "json");
                        i++;
                        continue;
                }
                if (!seen_command && strneq(a, "--log-format=", 13)) {
                        r.log_json = streq(a + 13, "json");
                        continue;
                }
                if (!seen_command && (streq(a, "--version") || streq(a, "-v")))
                        r.version = true;
                if (!seen_command && streq(a, "--debug"))
                        r.debug = true;
                if (a[0] == '-') {
                        if (takes_value(a))
                                i++;
                        continue;
                }
                if (!seen_command) {
                        seen_command = true;
                        r.create = streq(a, "create");
                }
        }
        *ret = r;
}
