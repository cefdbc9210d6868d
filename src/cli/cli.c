/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "passwd.h"
#include "fileio.h"
#include "discover-devices.h"
#include "discover-procfs.h"
#include "frontends.h"
#include "kmods.h"
#include "log.h"
#include "nvml.h"
#include "nvct-config.h"
#include "select.h"

/* The nvidia-container-cli release whose interface this front end reproduces. */
#define CLI_COMPAT_VERSION "1.17.0"

enum {
        OPT_NO_CREATE_IMEX = 0x100,
        OPT_USAGE,
        OPT_PROC_ROOT,
        OPT_DEV_ROOT,
        OPT_SYS_ROOT,
        OPT_NVML_TIMEOUT,
};

static const char help_text[] =
        "Usage: " CLI_PROG " [OPTION...] COMMAND [ARG...]\n"
        "Command line utility for manipulating NVIDIA GPU containers.\n"
        "\n"
        "  -d, --debug=FILE           Log debug information\n"
        "  -k, --load-kmods           Load kernel modules\n"
        "  -l, --ldcache=FILE         Path to the system's DSO cache\n"
        "  -n, --no-pivot             Do not use pivot_root\n"
        "      --no-create-imex-channels   Don't automatically create IMEX channel device\n"
        "                             nodes\n"
        "  -r, --root=PATH            Path to the driver root directory\n"
        "  -u, --user[=UID[:GID]]     User and group to use for privilege separation\n"
        "  -?, --help                 Give this help list\n"
        "      --usage                Give a short usage message\n"
        "  -V, --version              Print program version\n"
        "\n"
        "Mandatory or optional arguments to long options are also mandatory or optional\n"
        "for any corresponding short options.\n"
        "\n"
        "Commands:\n"
        "  info        Report information about the driver and devices\n"
        "  list        List driver components\n"
        "  configure   Configure a container with GPU support\n";

static const char usage_text[] =
        "Usage: " CLI_PROG " [-knV?] [-d FILE] [-l FILE] [-r PATH] [-u[UID[:GID]]] [--debug=FILE]\n"
        "            [--load-kmods] [--ldcache=FILE] [--no-pivot] [--no-create-imex-channels]\n"
        "            [--root=PATH] [--user[=UID[:GID]]] [--help] [--usage] [--version]\n"
        "            COMMAND [ARG...]\n";

int cli_fail(const char *what, const NvctError *err) {
        NvctError e = NVCT_ERROR_INIT;
        if (err)
                e = *err;
        if (!e.msg[0])
                snprintf(e.msg, sizeof(e.msg), "unknown error");
        if (what)
                nvct_error_prefix(&e, EIO, "%s", what);
        log_report(CLI_PROG, &e);
        return EXIT_FAILURE;
}

static int usage_error(const char *fmt, ...) _printf_(1, 2);
static int usage_error(const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "%s: ", CLI_PROG);
        va_start(ap, fmt);
        (void) vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry `%s --help' or `%s --usage' for more information.\n", CLI_PROG, CLI_PROG);
        return EX_USAGE;
}
#define usage_error(...) NVCT_NONZERO((usage_error)(__VA_ARGS__))

/* One of UID or GID: a number or a name. */
static int parse_id(const char *s, bool group, unsigned long *ret, gid_t *ret_primary) {
        unsigned long v;

        if (nvct_parse_decimal(s, strlen(s), 0xffffffffUL, &v) >= 0) {
                *ret = v;
                if (!group && ret_primary) {
                        gid_t g;
                        *ret_primary = passwd_by_uid((uid_t) v, &g) >= 0 ? g : (gid_t) v;
                }
                return 0;
        }
        if (group) {
                gid_t g;
                if (group_by_name(s, &g) < 0)
                        return -ENOENT;
                *ret = g;
                return 0;
        }
        uid_t u;
        gid_t g;
        if (passwd_by_name(s, &u, &g) < 0)
                return -ENOENT;
        *ret = u;
        if (ret_primary)
                *ret_primary = g;
        return 0;
}

static int parse_user(const char *arg, CliGlobals *g) {
        _cleanup_free_ char *copy = NULL;
        unsigned long uid, gid;
        gid_t primary = 0;

        g->user_given = true;
        if (!arg) {
                g->uid = geteuid();
                g->gid = getegid();
                return 0;
        }
        copy = strdup(arg);
        if (!copy)
                return -ENOMEM;
        char *colon = strchr(copy, ':');
        if (colon)
                *colon++ = '\0';
        if (!*copy || parse_id(copy, false, &uid, &primary) < 0)
                return -EINVAL;
        if (colon) {
                if (!*colon || parse_id(colon, true, &gid, NULL) < 0)
                        return -EINVAL;
        } else
                gid = primary;
        g->uid = (uid_t) uid;
        g->gid = (gid_t) gid;
        return 0;
}

/* What libnvidia-container does for root without --user: the kernel's overflow ids (normally 65534). */
static unsigned long overflow_id(const char *file) {
        _cleanup_free_ char *text = NULL;
        unsigned long v;
        size_t len;

        if (read_file_at(AT_FDCWD, file, 64, &text, &len, NULL) < 0)
                return 65534;
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
                len--;
        return nvct_parse_decimal(text, len, 0xffffffffUL, &v) < 0 ? 65534 : v;
}

static void resolve_globals(CliGlobals *g) {
        if (!g->root)
                g->root = "/";
        if (!g->proc_root)
                g->proc_root = "/proc";
        if (!g->dev_root)
                g->dev_root = g->root;
        if (!g->sys_root)
                g->sys_root = "/sys";
        if (!g->user_given) {
                if (geteuid() == 0) {
                        g->uid = (uid_t) overflow_id("/proc/sys/kernel/overflowuid");
                        g->gid = (gid_t) overflow_id("/proc/sys/kernel/overflowgid");
                } else {
                        g->uid = (uid_t) -1;
                        g->gid = (gid_t) -1;
                }
        }
        g->roots = (NvctRoots) {
                .driver_root = g->root,
                .dev_root = g->dev_root,
                .proc_root = g->proc_root,
                .sys_root = g->sys_root,
                .ldcache = g->ldcache ? g->ldcache : "/etc/ld.so.cache",
                .ipc_root = g->root,
        };
}

static void print_version(void) {
        printf("cli-version: %s\n"
               "lib-version: %s\n"
               "build revision: nvct %s\n"
               "build compiler: %s\n"
               "build platform: %s\n",
               CLI_COMPAT_VERSION, CLI_COMPAT_VERSION, NVCT_VERSION,
#ifdef __VERSION__
               __VERSION__,
#else
               "unknown",
#endif
#if defined(__x86_64__)
               "x86_64"
#elif defined(__aarch64__)
               "aarch64"
#elif defined(__powerpc64__)
               "ppc64le"
#else
               "unknown"
#endif
        );
}

static int parse_timeout_ms(const char *s, unsigned *ret) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (!isdigit((unsigned char) s[0]) || *end || errno != 0 || v < 1 || v > NVCT_NVML_MAX_TIMEOUT_MS)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

/* Returns -1 to go on with the command, or an exit status. */
static int parse_globals(int argc, char **argv, CliGlobals *g) {
        static const struct option opts[] = {
                { "debug", required_argument, NULL, 'd' },
                { "load-kmods", no_argument, NULL, 'k' },
                { "no-pivot", no_argument, NULL, 'n' },
                { "user", optional_argument, NULL, 'u' },
                { "root", required_argument, NULL, 'r' },
                { "ldcache", required_argument, NULL, 'l' },
                { "no-create-imex-channels", no_argument, NULL, OPT_NO_CREATE_IMEX },
                { "version", no_argument, NULL, 'V' },
                { "help", no_argument, NULL, 'h' },
                { "usage", no_argument, NULL, OPT_USAGE },
                { "proc-root", required_argument, NULL, OPT_PROC_ROOT },
                { "dev-root", required_argument, NULL, OPT_DEV_ROOT },
                { "sys-root", required_argument, NULL, OPT_SYS_ROOT },
                { "nvml-timeout", required_argument, NULL, OPT_NVML_TIMEOUT },
                {},
        };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+d:knu::r:l:V", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        g->debug_file = optarg;
                        break;
                case 'k':
                        g->load_kmods = true;
                        break;
                case 'n':
                        g->no_pivot = true;
                        break;
                case 'u':
                        if (parse_user(optarg, g) < 0)
                                return usage_error("invalid user: %s", optarg ? optarg : "");
                        break;
                case 'r':
                        if (optarg[0] != '/')
                                return usage_error("invalid root directory: %s", optarg);
                        g->root = optarg;
                        break;
                case 'l':
                        g->ldcache = optarg;
                        break;
                case OPT_NO_CREATE_IMEX:
                        g->no_create_imex_channels = true;
                        break;
                case 'V':
                        print_version();
                        return EXIT_SUCCESS;
                case 'h':
                        (void) fputs(help_text, stdout);
                        return EXIT_SUCCESS;
                case OPT_USAGE:
                        (void) fputs(usage_text, stdout);
                        return EXIT_SUCCESS;
                case OPT_PROC_ROOT:
                        g->proc_root = optarg;
                        break;
                case OPT_DEV_ROOT:
                        g->dev_root = optarg;
                        break;
                case OPT_SYS_ROOT:
                        g->sys_root = optarg;
                        break;
                case OPT_NVML_TIMEOUT:
                        if (parse_timeout_ms(optarg, &g->nvml_timeout_ms) < 0)
                                return usage_error("invalid NVML timeout: %s (milliseconds, 1 to %u)", optarg,
                                                   NVCT_NVML_MAX_TIMEOUT_MS);
                        break;
                case ':':
                        return usage_error("option requires an argument -- '%s'", argv[optind - 1]);
                default:
                        if (optopt == '?') {
                                (void) fputs(help_text, stdout);
                                return EXIT_SUCCESS;
                        }
                        return usage_error("unrecognized option '%s'", argv[optind - 1]);
                }
        }
        return -1;
}

void cli_load_kmods(const CliGlobals *g, const unsigned *imex_channels, size_t n_imex_channels) {
        NvctKmodOptions ko = {
                .create_imex_channels = !g->no_create_imex_channels,
                .imex_channels = imex_channels,
                .n_imex_channels = n_imex_channels,
                .log = log_enabled() ? log_sink : NULL,
        };
        if (g->load_kmods)
                nvct_kmods_load(&g->roots, &ko);
}

int cli_discover(const CliGlobals *g, unsigned flags, NvctDriver **ret, NvctError *err) {
        NvctDiscoverOptions opts = {
                .flags = flags,
                .nvml_uid = g->uid,
                .nvml_gid = g->gid,
                .nvml_timeout_ms = g->nvml_timeout_ms,
                .log = log_enabled() ? log_sink : NULL,
        };
        return nvct_driver_discover(&g->roots, &opts, ret, err);
}


/* ---- info ---- */

static int info_command(const CliGlobals *g, int argc, char **argv) {
        static const struct option opts[] = { { "csv", no_argument, NULL, 'c' }, {} };
        _cleanup_driver_ NvctDriver *drv = NULL;
        NvctError err = NVCT_ERROR_INIT;
        bool csv = false;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                if (c != 'c')
                        return usage_error("info: unrecognized option '%s'", argv[optind - 1]);
                csv = true;
        }
        if (optind < argc)
                return usage_error("info: unexpected argument '%s'", argv[optind]);

        cli_load_kmods(g, NULL, 0);
        if (cli_discover(g, NVCT_DISCOVER_NVML | NVCT_DISCOVER_NO_NVML_FALLBACK, &drv, &err) < 0)
                return cli_fail("initialization error", &err);

        if (csv) {
                printf("NVRM version,CUDA version\n%s,%s\n", drv->version, drv->cuda_version);
                printf("\nDevice Index,Device Minor,Model,Brand,GPU UUID,Bus Location,Architecture\n");
                for (size_t i = 0; i < drv->n_gpus; i++) {
                        const NvctGpu *gp = &drv->gpus[i];
                        printf("%zu,%u,%s,%s,%s,%s,%s\n", i, gp->minor, gp->model, gp->brand, gp->uuid, gp->busid,
                               gp->arch);
                }
        } else {
                printf("%-15s %s\n%-15s %s\n", "NVRM version:", drv->version, "CUDA version:", drv->cuda_version);
                for (size_t i = 0; i < drv->n_gpus; i++) {
                        const NvctGpu *gp = &drv->gpus[i];
                        printf("\n%-15s %zu\n%-15s %u\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n%-15s %s\n",
                               "Device Index:", i, "Device Minor:", gp->minor, "Model:", gp->model, "Brand:",
                               gp->brand, "GPU UUID:", gp->uuid, "Bus Location:", gp->busid, "Architecture:",
                               gp->arch);
                }
        }
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* ---- list ---- */

typedef struct ListArgs {
        char *devices;      /* joined --device values, NULL when none */
        char *mig_config;
        char *mig_monitor;
        char *imex;
        bool libs, bins, ipcs, firmware, compat32;
        bool no_persistenced, no_fabricmanager, no_gsp_firmware;
} ListArgs;

static void list_args_done(ListArgs *a) {
        free(a->devices);
        free(a->mig_config);
        free(a->mig_monitor);
        free(a->imex);
}

/* Repeated options accumulate, comma-separated, as NVIDIA's str_join does. */
static int join_value(char **dst, const char *v) {
        char *n = NULL;
        if (asprintf(&n, "%s%s%s", *dst ? *dst : "", *dst ? "," : "", v) < 0)
                return -ENOMEM;
        free(*dst);
        *dst = n;
        return 0;
}

static int parse_list_args(int argc, char **argv, ListArgs *a) {
        enum { L_COMPAT32 = 0x100, L_MIG_CONFIG, L_MIG_MONITOR, L_IMEX, L_NO_PERSISTENCED, L_NO_FM, L_NO_GSP };
        static const struct option opts[] = {
                { "device", required_argument, NULL, 'd' },
                { "libraries", no_argument, NULL, 'l' },
                { "binaries", no_argument, NULL, 'b' },
                { "ipcs", no_argument, NULL, 'i' },
                { "firmwares", no_argument, NULL, 'f' },
                { "compat32", no_argument, NULL, L_COMPAT32 },
                { "mig-config", required_argument, NULL, L_MIG_CONFIG },
                { "mig-monitor", required_argument, NULL, L_MIG_MONITOR },
                { "imex-channel", required_argument, NULL, L_IMEX },
                { "no-persistenced", no_argument, NULL, L_NO_PERSISTENCED },
                { "no-fabricmanager", no_argument, NULL, L_NO_FM },
                { "no-gsp-firmware", no_argument, NULL, L_NO_GSP },
                {},
        };
        int c, r = 0;

        optind = 0;
        opterr = 0;
        while (r >= 0 && (c = getopt_long(argc, argv, "+d:lbif", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        r = join_value(&a->devices, optarg);
                        break;
                case 'l':
                        a->libs = true;
                        break;
                case 'b':
                        a->bins = true;
                        break;
                case 'i':
                        a->ipcs = true;
                        break;
                case 'f':
                        a->firmware = true;
                        break;
                case L_COMPAT32:
                        a->compat32 = true;
                        break;
                case L_MIG_CONFIG:
                        r = join_value(&a->mig_config, optarg);
                        break;
                case L_MIG_MONITOR:
                        r = join_value(&a->mig_monitor, optarg);
                        break;
                case L_IMEX:
                        r = join_value(&a->imex, optarg);
                        break;
                case L_NO_PERSISTENCED:
                        a->no_persistenced = true;
                        break;
                case L_NO_FM:
                        a->no_fabricmanager = true;
                        break;
                case L_NO_GSP:
                        a->no_gsp_firmware = true;
                        break;
                case ':':
                        return usage_error("list: option requires an argument -- '%s'", argv[optind - 1]);
                default:
                        return usage_error("list: unrecognized option '%s'", argv[optind - 1]);
                }
        }
        if (r < 0) {
                NvctError e = NVCT_ERROR_INIT;
                nvct_error_set(&e, r, "options");
                return cli_fail("input error", &e);
        }
        if (optind < argc)
                return usage_error("list: unexpected argument '%s'", argv[optind]);
        /* No options (or only one --imex-channel=N) means everything, as in NVIDIA's parser. */
        if (argc == 1 || (argc == 2 && a->imex)) {
                free(a->devices);
                a->devices = strdup("all");
                if (!a->devices)
                        return EXIT_FAILURE;
                a->libs = a->bins = a->ipcs = a->firmware = a->compat32 = true;
        }
        return -1;
}

static void print_cap_node(const NvctDriver *drv, int minor) {
        const NvctDevNode *n = minor >= 0 ? nvct_driver_find_cap_node(drv, (unsigned) minor) : NULL;
        if (n)
                printf("%s\n", n->path);
}

static int global_mig_minor(const NvctDriver *drv, const char *name) {
        for (size_t i = 0; i < drv->n_mig_minors; i++)
                if (drv->mig_minors[i].gpu < 0 && streq(drv->mig_minors[i].name, name))
                        return (int) drv->mig_minors[i].minor;
        return -1;
}

/* --mig-config=all / --mig-monitor=all: the global capability, then each GPU's mig directory and caps. */
static void print_mig_caps(const NvctDriver *drv, const NvctSelection *sel, const char *file) {
        bool dev_style = drv->major_caps != 0;

        if (!sel->all || sel->n_gpus == 0)
                return;
        printf("/proc/driver/nvidia/capabilities/mig/%s\n", file);
        if (dev_style)
                print_cap_node(drv, global_mig_minor(drv, file));
        for (size_t i = 0; i < sel->n_gpus; i++) {
                const NvctGpu *gp = &drv->gpus[sel->gpus[i]];
                printf("/proc/driver/nvidia/capabilities/gpu%u/mig\n", gp->minor);
                if (!dev_style)
                        continue;
                printf("/dev/nvidia-caps\n");
                for (size_t j = 0; j < drv->n_mig_minors; j++)
                        if (drv->mig_minors[j].gpu == (int) gp->minor)
                                print_cap_node(drv, (int) drv->mig_minors[j].minor);
        }
}

static void print_devices(const NvctDriver *drv, const NvctSelection *sel, bool mig_caps_all) {
        for (unsigned i = 0; i < NVCT_CTL_COUNT; i++)
                if (drv->ctl[i].present)
                        printf("%s\n", drv->ctl[i].path);
        for (size_t i = 0; i < sel->n_gpus; i++)
                if (drv->gpus[sel->gpus[i]].node.present)
                        printf("%s\n", drv->gpus[sel->gpus[i]].node.path);
        if (mig_caps_all)
                return;
        for (size_t i = 0; i < sel->n_migs; i++) {
                const NvctMigDevice *m = &drv->gpus[sel->migs[i].gpu].migs[sel->migs[i].mig];
                if (m->gi_access)
                        printf("%s\n", m->gi_access);
                if (m->ci_access)
                        printf("%s\n", m->ci_access);
                if (drv->major_caps != 0) {
                        print_cap_node(drv, m->gi_cap_minor);
                        print_cap_node(drv, m->ci_cap_minor);
                }
        }
}

static void print_files(const NvctDriver *drv, NvctFileKind kind, const ListArgs *a) {
        for (size_t i = 0; i < drv->n_files; i++) {
                const NvctFile *f = &drv->files[i];
                if (f->kind != kind)
                        continue;
                if (kind == NVCT_FILE_IPC && ((a->no_persistenced && f->ipc == NVCT_IPC_PERSISTENCED) ||
                                              (a->no_fabricmanager && f->ipc == NVCT_IPC_FABRICMANAGER)))
                        continue;
                /* Firmware is listed where the container sees it; everything else at its host path. */
                const char *p = kind == NVCT_FILE_FIRMWARE && f->container_path ? f->container_path :
                                f->host_path                                    ? f->host_path :
                                                                                  f->path;
                if (p)
                        printf("%s\n", p);
        }
}

/* A token naming a MIG device by UUID needs NVML: procfs does not know MIG UUIDs. */
static bool wants_mig_uuid(const char *spec) {
        for (const char *p = spec; p && *p; p++)
                if ((p == spec || p[-1] == ',') && strncasecmp(p, "MIG-", 4) == 0)
                        return true;
        return false;
}

static int list_run(const CliGlobals *g, const ListArgs *a) {
        _cleanup_driver_ NvctDriver *drv = NULL;
        _cleanup_selection_ NvctSelection *sel = NULL, *cfg = NULL, *mon = NULL;
        _cleanup_free_ unsigned *imex = NULL;
        NvctError err = NVCT_ERROR_INIT;
        size_t n_imex = 0;
        unsigned flags = 0;

        if (nvct_parse_imex_channels(a->imex, &imex, &n_imex, &err) < 0)
                return cli_fail("error parsing IMEX info", &err);
        if (a->libs || a->bins || a->ipcs || a->firmware)
                flags |= NVCT_DISCOVER_FILES;
        if (a->compat32)
                flags |= NVCT_DISCOVER_COMPAT32;
        if (wants_mig_uuid(a->devices))
                flags |= NVCT_DISCOVER_NVML;
        if (a->mig_config || a->mig_monitor)
                flags |= NVCT_DISCOVER_MIG_MINORS;
        cli_load_kmods(g, imex, n_imex);
        if (cli_discover(g, flags, &drv, &err) < 0)
                return cli_fail("initialization error", &err);
        if (nvct_select_devices(drv, a->devices, &sel, &err) < 0)
                return cli_fail("device error", &err);
        if (nvct_select_mig_caps(drv, sel, a->mig_config, "mig-config", &cfg, &err) < 0)
                return cli_fail("mig-config error", &err);
        if (nvct_select_mig_caps(drv, sel, a->mig_monitor, "mig-monitor", &mon, &err) < 0)
                return cli_fail("mig-monitor error", &err);

        if (a->devices)
                print_devices(drv, sel, cfg->all || mon->all);
        for (size_t i = 0; i < n_imex; i++) {
                const NvctDevNode *n = nvct_driver_find_imex_channel(drv, imex[i]);
                if (n)
                        printf("%s\n", n->path);
        }
        print_mig_caps(drv, cfg, "config");
        print_mig_caps(drv, mon, "monitor");
        if (a->bins)
                print_files(drv, NVCT_FILE_BIN, a);
        if (a->libs) {
                print_files(drv, NVCT_FILE_LIB, a);
                if (a->compat32)
                        print_files(drv, NVCT_FILE_LIB32, a);
        }
        if (a->ipcs)
                print_files(drv, NVCT_FILE_IPC, a);
        if (a->firmware && !a->no_gsp_firmware)
                print_files(drv, NVCT_FILE_FIRMWARE, a);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int list_command(const CliGlobals *g, int argc, char **argv) {
        _cleanup_(list_args_done) ListArgs a = { 0 };
        int r = parse_list_args(argc, argv, &a);
        if (r >= 0)
                return r;
        return list_run(g, &a);
}

int cli_main(int argc, char **argv) {
        CliGlobals g = { 0 };
        NvctError err = NVCT_ERROR_INIT;
        int r;

        r = parse_globals(argc, argv, &g);
        if (r >= 0)
                return r;
        resolve_globals(&g);
        if (g.debug_file && log_open(g.debug_file, &err) < 0)
                return cli_fail("log error", &err);
        if (optind >= argc) {
                r = usage_error("%s", "missing command");
                goto out;
        }
        int cargc = argc - optind;
        char **cargv = argv + optind;
        log_debug("running %s %s", CLI_PROG, cargv[0]);
        if (streq(cargv[0], "info"))
                r = info_command(&g, cargc, cargv);
        else if (streq(cargv[0], "list"))
                r = list_command(&g, cargc, cargv);
        else if (streq(cargv[0], "configure"))
                r = cli_configure_main(&g, cargc, cargv);
        else
                r = usage_error("unknown command: %s", cargv[0]);
out:
        log_close();
        return r;
}
