/* SPDX-License-Identifier: Apache-2.0 */
/* nvidia-container-cli configure: inject the driver into a running container. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "caps.h"
#include "cli.h"
#include "configure.h"
#include "ldconfig.h"
#include "log.h"
#include "strv.h"

#define MAX_REQUIRES 32
#define MAX_LIST_LEN (64U * 1024U)

enum {
        OPT_COMPAT32 = 0x100,
        OPT_MIG_CONFIG,
        OPT_MIG_MONITOR,
        OPT_IMEX,
        OPT_NO_CGROUPS,
        OPT_NO_DEVBIND,
        OPT_NO_PERSISTENCED,
        OPT_NO_FABRICMANAGER,
        OPT_NO_GSP,
        OPT_CUDA_COMPAT,
        OPT_HELP,
};

static const struct option configure_options[] = {
        { "pid", required_argument, NULL, 'p' },
        { "device", required_argument, NULL, 'd' },
        { "require", required_argument, NULL, 'r' },
        { "ldconfig", required_argument, NULL, 'l' },
        { "compute", no_argument, NULL, 'c' },
        { "utility", no_argument, NULL, 'u' },
        { "video", no_argument, NULL, 'v' },
        { "graphics", no_argument, NULL, 'g' },
        { "display", no_argument, NULL, 'D' },
        { "ngx", no_argument, NULL, 'n' },
        { "compat32", no_argument, NULL, OPT_COMPAT32 },
        { "mig-config", required_argument, NULL, OPT_MIG_CONFIG },
        { "mig-monitor", required_argument, NULL, OPT_MIG_MONITOR },
        { "imex-channel", required_argument, NULL, OPT_IMEX },
        { "no-cgroups", no_argument, NULL, OPT_NO_CGROUPS },
        { "no-devbind", no_argument, NULL, OPT_NO_DEVBIND },
        { "no-persistenced", no_argument, NULL, OPT_NO_PERSISTENCED },
        { "no-fabricmanager", no_argument, NULL, OPT_NO_FABRICMANAGER },
        { "no-gsp-firmware", no_argument, NULL, OPT_NO_GSP },
        { "cuda-compat-mode", required_argument, NULL, OPT_CUDA_COMPAT },
        { "help", no_argument, NULL, OPT_HELP },
        {},
};

static void configure_usage(FILE *f) {
        fprintf(f, "Usage: %s configure [OPTION...] ROOTFS\n"
                   "Configure a container with GPU support by exposing device drivers to it.\n\n"
                   "  -p, --pid=PID              Container PID\n"
                   "  -d, --device=ID            Device UUID(s) or index(es) to isolate\n"
                   "  -r, --require=EXPR         Check container requirements\n"
                   "  -l, --ldconfig=PATH        Path to the ldconfig binary ('@' prefix for a host binary)\n"
                   "  -c, --compute              Enable compute capability\n"
                   "  -u, --utility              Enable utility capability\n"
                   "  -v, --video                Enable video capability\n"
                   "  -g, --graphics             Enable graphics capability\n"
                   "  -D, --display              Enable display capability\n"
                   "  -n, --ngx                  Enable ngx capability\n"
                   "      --compat32             Enable 32bits compatibility\n"
                   "      --mig-config=ID        Enable configuration of MIG devices\n"
                   "      --mig-monitor=ID       Enable monitoring of MIG devices\n"
                   "      --imex-channel=CH      IMEX channel ID(s) to inject\n"
                   "      --no-cgroups           Don't use cgroup enforcement\n"
                   "      --no-devbind           Don't bind mount devices\n"
                   "      --no-persistenced      Don't include the NVIDIA persistence daemon socket\n"
                   "      --no-fabricmanager     Don't include the NVIDIA fabricmanager socket\n"
                   "      --no-gsp-firmware      Don't include GSP firmware\n"
                   "      --cuda-compat-mode=MODE  disabled, mount or ldconfig (default)\n",
                CLI_PROG);
}

/* Repeated list options are joined with commas, as libnvidia-container does. */
static int append_list(Buf *b, const char *value, const char *opt) {
        if (b->len + strlen(value) + 1 > MAX_LIST_LEN) {
                fprintf(stderr, "%s: configure: --%s: value too long\n", CLI_PROG, opt);
                return -1;
        }
        if (b->len)
                buf_puts(b, ",");
        buf_puts(b, value);
        return b->oom ? -1 : 0;
}

static int parse_pid(const char *s, pid_t *ret) {
        char *end = NULL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || !end || *end || end == s || v <= 0 || v > 0x3fffffff)
                return -EINVAL;
        *ret = (pid_t) v;
        return 0;
}

typedef struct ConfigureOpts {
        NvctConfigureArgs a;
        Buf devices, mig_config, mig_monitor, imex;
        char **requires;
        const char *ldconfig_arg;
        bool pid_given;
} ConfigureOpts;

static int parse_configure(ConfigureOpts *o, int argc, char **argv) {
        int c;
        optind = 0;
        while ((c = getopt_long(argc, argv, "+p:d:r:l:cuvgDn", configure_options, NULL)) >= 0) {
                switch (c) {
                case 'p':
                        if (parse_pid(optarg, &o->a.pid) < 0) {
                                fprintf(stderr, "%s: configure: invalid pid \"%.64s\"\n", CLI_PROG, optarg);
                                return -1;
                        }
                        o->pid_given = true;
                        break;
                case 'd':
                        if (append_list(&o->devices, optarg, "device") < 0)
                                return -1;
                        break;
                case 'r':
                        if (strv_length(o->requires) >= MAX_REQUIRES) {
                                fprintf(stderr, "%s: configure: too many --require (at most %d)\n", CLI_PROG,
                                        MAX_REQUIRES);
                                return -1;
                        }
                        if (strv_extend(&o->requires, optarg) < 0)
                                return -1;
                        break;
                case 'l':
                        o->ldconfig_arg = optarg;
                        break;
                case 'c': o->a.caps |= NVCT_CAP_COMPUTE; break;
                case 'u': o->a.caps |= NVCT_CAP_UTILITY; break;
                case 'v': o->a.caps |= NVCT_CAP_VIDEO; break;
                case 'g': o->a.caps |= NVCT_CAP_GRAPHICS; break;
                case 'D': o->a.caps |= NVCT_CAP_DISPLAY; break;
                case 'n': o->a.caps |= NVCT_CAP_NGX; break;
                case OPT_COMPAT32: o->a.caps |= NVCT_CAP_COMPAT32; break;
                case OPT_MIG_CONFIG:
                        if (append_list(&o->mig_config, optarg, "mig-config") < 0)
                                return -1;
                        break;
                case OPT_MIG_MONITOR:
                        if (append_list(&o->mig_monitor, optarg, "mig-monitor") < 0)
                                return -1;
                        break;
                case OPT_IMEX:
                        if (append_list(&o->imex, optarg, "imex-channel") < 0)
                                return -1;
                        break;
                case OPT_NO_CGROUPS: o->a.no_cgroups = true; break;
                case OPT_NO_DEVBIND: o->a.no_devbind = true; break;
                case OPT_NO_PERSISTENCED: o->a.no_persistenced = true; break;
                case OPT_NO_FABRICMANAGER: o->a.no_fabricmanager = true; break;
                case OPT_NO_GSP: o->a.no_gsp_firmware = true; break;
                case OPT_CUDA_COMPAT:
                        if (streq(optarg, "disabled"))
                                o->a.cuda_compat = false;
                        else if (streq(optarg, "mount") || streq(optarg, "ldconfig"))
                                /* both become the safe form: the image's compat dir first in ld.so.conf.d */
                                o->a.cuda_compat = true;
                        else {
                                fprintf(stderr, "%s: configure: invalid --cuda-compat-mode \"%.64s\"\n", CLI_PROG,
                                        optarg);
                                return -1;
                        }
                        break;
                case OPT_HELP:
                        configure_usage(stdout);
                        exit(EXIT_SUCCESS);
                default:
                        configure_usage(stderr);
                        return -1;
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "%s: configure: %s\n", CLI_PROG,
                        optind >= argc ? "missing ROOTFS argument" : "too many arguments");
                configure_usage(stderr);
                return -1;
        }
        o->a.rootfs = argv[optind];
        return 0;
}

int cli_configure_main(const CliGlobals *g, int argc, char **argv) {
        ConfigureOpts o = { .a = { .cuda_compat = true } };
        _cleanup_free_ char *ldconfig = NULL;
        NvctError err = NVCT_ERROR_INIT;
        int ret = EXIT_FAILURE;

        if (parse_configure(&o, argc, argv) < 0)
                goto out;
        if (!o.pid_given)
                o.a.pid = getppid(); /* standalone mode, as libnvidia-container */
        /* Only a host binary ('@' prefix) is ever run: nothing from the image is executed by a privileged process. */
        if (nvct_ldconfig_resolve_host(o.ldconfig_arg ? o.ldconfig_arg : "@/sbin/ldconfig", false, &ldconfig,
                                       &err) < 0) {
                ret = cli_fail("configure", &err);
                goto out;
        }
        o.a.roots = g->roots;
        o.a.devices = o.devices.data;
        o.a.requires = o.requires;
        o.a.mig_config = o.mig_config.data;
        o.a.mig_monitor = o.mig_monitor.data;
        o.a.imex_channels = o.imex.data;
        o.a.no_pivot = g->no_pivot;
        o.a.load_kmods = g->load_kmods;
        o.a.no_create_imex_channels = g->no_create_imex_channels;
        o.a.ldconfig = ldconfig;
        o.a.nvml_uid = g->uid;
        o.a.nvml_gid = g->gid;
        o.a.nvml_timeout_ms = g->nvml_timeout_ms;
        o.a.cuda_cache_dir = "/run/nvct";
        o.a.log = log_enabled() ? log_sink : NULL;

        NvctConfigureStats st = { 0 };
        if (nvct_configure(&o.a, &st, &err) < 0) {
                ret = cli_fail(NULL, &err);
                goto out;
        }
        log_debug("configure: discovery+selection %.3f ms, plan %.3f ms, enter %.3f ms, mounts %.3f ms (%u), "
                  "nodes %.3f ms (%u), symlinks %.3f ms (%u), cgroups %.3f ms, ldconfig %.3f ms",
                  st.discover_us / 1000.0, st.plan_us / 1000.0, st.inject.enter_us / 1000.0,
                  st.inject.mounts_us / 1000.0, st.inject.n_mounts, st.inject.nodes_us / 1000.0, st.inject.n_nodes,
                  st.inject.symlinks_us / 1000.0, st.inject.n_symlinks, st.inject.cgroups_us / 1000.0,
                  st.inject.ldconfig_us / 1000.0);
        ret = EXIT_SUCCESS;
out:
        buf_free(&o.devices);
        buf_free(&o.mig_config);
        buf_free(&o.mig_monitor);
        buf_free(&o.imex);
        strv_free(o.requires);
        return ret;
}
