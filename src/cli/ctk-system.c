/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `nvidia-ctk system create-dev-char-symlinks` and `create-device-nodes`.
 *
 * The /dev/char/MAJ:MIN links are what runc needs to express device rules for nodes it did not create itself:
 * without them a systemd daemon-reload drops the NVIDIA rules of running containers ("Failed to initialize NVML:
 * Unknown Error"). Numbers always come from discovery (/proc/devices, procfs GPU information), never constants.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "ctk.h"
#include "discover-devices.h"
#include "flags.h"
#include "driver.h"
#include "kmods.h"
#include "strv.h"

#define PROG "nvidia-ctk system"

typedef struct SystemArgs {
        const char *driver_root, *dev_root, *proc_root, *sys_root, *dev_char_path;
        bool create_all, load_kmods, create_nodes, dry_run, control_devices;
        char **imex_channels;
} SystemArgs;

#define fail(...) ctk_fail(PROG, __VA_ARGS__)

static void usage(FILE *f) {
        (void) fputs("Usage: nvidia-ctk system COMMAND [OPTIONS]\n"
              "\n"
              "  create-dev-char-symlinks   create /dev/char/MAJ:MIN links to the NVIDIA device nodes\n"
              "      --dev-char-path DIR      where to create them (default /dev/char) [$DEV_CHAR_PATH]\n"
              "      --driver-root DIR        the driver's root; its dev/ holds the nodes (default /)\n"
              "      --create-all             also link nodes that do not exist (yet)\n"
              "      --create-device-nodes    create missing device nodes first\n"
              "      --load-kernel-modules    load the NVIDIA kernel modules first\n"
              "      --dry-run                only say what would be done\n"
              "  create-device-nodes        create the missing NVIDIA device nodes: control nodes, one per GPU,\n"
              "                             MIG capabilities, and the IMEX channels asked for\n"
              "      --driver-root, --root DIR  the driver's root (default /)\n"
              "      --dev-root DIR           the directory holding dev/ (default: the driver root)\n"
              "      --control-devices        create the control nodes (always done: they come with the GPU nodes)\n"
              "      --imex-channel N         also create IMEX channel N (repeatable)\n"
              "      --load-kernel-modules    load the NVIDIA kernel modules first\n"
              "      --dry-run                only say what would be done\n",
              f);
}

static int parse_args(int argc, char **argv, SystemArgs *a) {
        bool help = false;
        const Flag flags[] = {
                { "driver-root,root", &a->driver_root, FLAG_STRING },
                { "dev-root", &a->dev_root, FLAG_STRING },
                { "proc-root", &a->proc_root, FLAG_STRING },
                { "sys-root", &a->sys_root, FLAG_STRING },
                { "dev-char-path", &a->dev_char_path, FLAG_STRING },
                { "imex-channel", &a->imex_channels, FLAG_LIST },
                { "create-all", &a->create_all, FLAG_BOOL },
                { "load-kernel-modules", &a->load_kmods, FLAG_BOOL },
                { "create-device-nodes", &a->create_nodes, FLAG_BOOL },
                { "control-devices", &a->control_devices, FLAG_BOOL },
                { "dry-run", &a->dry_run, FLAG_BOOL },
                { "help,h", &help, FLAG_BOOL },
                { NULL, NULL, FLAG_BOOL },
        };
        return ctk_parse_flags(PROG, argc, argv, flags, NULL, &help, usage);
}

_printf_(2, 3) static void log_stderr(void *userdata _unused_, const char *fmt, ...) {
        va_list ap;
        (void) fputs(PROG ": ", stderr);
        va_start(ap, fmt);
        (void) vfprintf(stderr, fmt, ap);
        va_end(ap);
        (void) fputc('\n', stderr);
}

/* The path of target relative to directory dir; both absolute. */
static char *relative_to(const char *dir, const char *target) {
        _cleanup_strv_free_ char **d = NULL, **t = NULL;
        size_t i = 0;
        char *s = NULL;

        if (strv_split(dir, "/", true, &d) < 0 || strv_split(target, "/", true, &t) < 0)
                return NULL;
        while (d && t && d[i] && t[i] && streq(d[i], t[i]))
                i++;
        _cleanup_buf_ Buf b = BUF_INIT;
        for (size_t k = i; d && d[k]; k++)
                buf_puts(&b, "../");
        for (size_t k = i; t && t[k]; k++)
                buf_printf(&b, "%s%s", k > i ? "/" : "", t[k]);
        s = buf_steal(&b);
        return s;
}

static int link_node(const SystemArgs *a, const NvctDevNode *n, unsigned *created) {
        _cleanup_free_ char *link = NULL, *target = relative_to(a->dev_char_path, n->host_path);
        char cur[4096];

        if (!target || asprintf(&link, "%s/%u:%u", a->dev_char_path, n->major, n->minor) < 0)
                return fail("%s", strerror(ENOMEM));
        ssize_t k = readlink(link, cur, sizeof(cur) - 1);
        if (k >= 0) {
                cur[k] = '\0';
                if (!streq(cur, target))
                        fprintf(stderr, PROG ": leaving %s alone: it points to %s, not %s\n", link, cur, target);
                return 0;
        }
        if (errno != ENOENT) {
                if (errno == EINVAL)
                        fprintf(stderr, PROG ": leaving %s alone: it is not a symlink\n", link);
                else
                        fprintf(stderr, PROG ": cannot read %s: %s\n", link, strerror(errno));
                return 0;
        }
        if (a->dry_run) {
                printf("would create %s -> %s\n", link, target);
                return 0;
        }
        if (symlink(target, link) < 0)
                return fail("create %s -> %s: %s", link, target, strerror(errno));
        printf("created %s -> %s\n", link, target);
        (*created)++;
        return 0;
}

static NvctRoots make_roots(const SystemArgs *a) {
        NvctRoots r = NVCT_ROOTS_DEFAULT;
        r.driver_root = r.ipc_root = a->driver_root ?: "/";
        r.dev_root = a->dev_root ?: r.driver_root;
        r.proc_root = a->proc_root ?: "/proc";
        r.sys_root = a->sys_root ?: "/sys";
        return r;
}

static int parse_channels(char **l, unsigned **ret, size_t *ret_n) {
        size_t n = strv_length(l);
        unsigned *c = calloc(n + 1, sizeof(unsigned));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char *end;
                errno = 0;
                unsigned long v = strtoul(l[i], &end, 10);
                if (errno || end == l[i] || *end || v >= NVCT_IMEX_CHANNEL_LIMIT || l[i][0] == '-') {
                        free(c);
                        return -EINVAL;
                }
                c[i] = (unsigned) v;
        }
        *ret = c;
        *ret_n = n;
        return 0;
}

static int prepare(const SystemArgs *a, const NvctRoots *roots, bool create_nodes) {
        _cleanup_free_ unsigned *channels = NULL;
        NvctKmodOptions ko = { .create_imex_channels = true, .log = log_stderr };
        NvctError err = NVCT_ERROR_INIT;

        if (parse_channels(a->imex_channels, &channels, &ko.n_imex_channels) < 0)
                return fail("invalid --imex-channel value");
        ko.imex_channels = channels;
        if (a->load_kmods && !a->dry_run)
                nvct_kmods_load(roots, &ko);
        if (create_nodes && !a->dry_run) {
                int n = nvct_create_device_nodes(roots, &ko, &err);
                if (n < 0)
                        return fail("create device nodes: %s", err.msg);
                fprintf(stderr, PROG ": created %d device node%s\n", n, n == 1 ? "" : "s");
        }
        return 0;
}

static bool wanted(const NvctDevNode *n, bool all) {
        return n->path && n->major != 0 && (n->present || all);
}

static int dev_char_symlinks(SystemArgs *a) {
        NvctRoots roots = make_roots(a);
        NvctDiscoverOptions o = { .nvml_uid = (uid_t) -1, .nvml_gid = (gid_t) -1 };
        _cleanup_driver_ NvctDriver *drv = NULL;
        NvctError err = NVCT_ERROR_INIT;
        unsigned created = 0;
        int r;

        if (!a->dev_char_path && getenv("DEV_CHAR_PATH"))
                a->dev_char_path = getenv("DEV_CHAR_PATH");
        if (!a->dev_char_path)
                a->dev_char_path = "/dev/char";
        if (a->dev_char_path[0] != '/')
                return fail("--dev-char-path must be absolute: %s", a->dev_char_path);
        if ((r = prepare(a, &roots, a->create_nodes)) != 0)
                return r;
        if (nvct_driver_discover(&roots, &o, &drv, &err) < 0)
                return fail("%s", err.msg);
        if (!a->dry_run && mkdir(a->dev_char_path, 0755) < 0 && errno != EEXIST)
                return fail("create %s: %s", a->dev_char_path, strerror(errno));
        for (unsigned i = 0; i < NVCT_CTL_COUNT; i++)
                if (wanted(&drv->ctl[i], a->create_all) && (r = link_node(a, &drv->ctl[i], &created)) != 0)
                        return r;
        for (size_t i = 0; i < drv->n_gpus; i++)
                if (wanted(&drv->gpus[i].node, a->create_all) &&
                    (r = link_node(a, &drv->gpus[i].node, &created)) != 0)
                        return r;
        for (size_t i = 0; i < drv->n_cap_nodes; i++)
                if (wanted(&drv->cap_nodes[i], false) && (r = link_node(a, &drv->cap_nodes[i], &created)) != 0)
                        return r;
        for (size_t i = 0; i < drv->n_imex_channels; i++)
                if (wanted(&drv->imex_channels[i], false) &&
                    (r = link_node(a, &drv->imex_channels[i], &created)) != 0)
                        return r;
        if (!a->dry_run)
                fprintf(stderr, PROG ": created %u link%s in %s\n", created, created == 1 ? "" : "s",
                        a->dev_char_path);
        return 0;
}

static void say_missing(const NvctDevNode *n) {
        if (n->path && n->major != 0 && !n->present)
                printf("would create %s (%u:%u)\n", n->host_path ? n->host_path : n->path, n->major, n->minor);
}

static int device_nodes(SystemArgs *a) {
        NvctRoots roots = make_roots(a);
        int r = prepare(a, &roots, true);
        if (r != 0 || !a->dry_run)
                return r;
        NvctDiscoverOptions o = { .nvml_uid = (uid_t) -1, .nvml_gid = (gid_t) -1 };
        _cleanup_driver_ NvctDriver *drv = NULL;
        NvctError err = NVCT_ERROR_INIT;
        if (nvct_driver_discover(&roots, &o, &drv, &err) < 0)
                return fail("%s", err.msg);
        /* nvidia-modeset only exists while its module is loaded, which a dry run cannot know here */
        for (unsigned i = 0; i < NVCT_CTL_MODESET; i++)
                say_missing(&drv->ctl[i]);
        for (size_t i = 0; i < drv->n_gpus; i++)
                say_missing(&drv->gpus[i].node);
        return 0;
}

int ctk_system_main(int argc, char **argv) {
        SystemArgs a = {};
        int r;

        if (argc < 2 || flag_is_help(argv[1])) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? 1 : 0;
        }
        r = parse_args(argc - 2, argv + 2, &a);
        if (r == 0) {
                if (streq(argv[1], "create-dev-char-symlinks"))
                        r = dev_char_symlinks(&a);
                else if (streq(argv[1], "create-device-nodes"))
                        r = device_nodes(&a);
                else
                        r = fail("unknown command '%s' (create-dev-char-symlinks, create-device-nodes)", argv[1]);
        }
        strv_free(a.imex_channels);
        return r < 0 ? 0 : r;
}
