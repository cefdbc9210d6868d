/* SPDX-License-Identifier: Apache-2.0 */
/* `nvct info [--json]`: the whole discovery result, as documented in docs/info-json.md. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "discover-devices.h"
#include "driver.h"
#include "frontends.h"
#include "log.h"

#define INFO_SCHEMA_VERSION 1

static const char *file_kind_name(NvctFileKind k) {
        switch (k) {
        case NVCT_FILE_LIB:
                return "lib";
        case NVCT_FILE_LIB32:
                return "lib32";
        case NVCT_FILE_BIN:
                return "bin";
        case NVCT_FILE_FIRMWARE:
                return "firmware";
        case NVCT_FILE_IPC:
                return "ipc";
        case NVCT_FILE_CONFIG:
                return "config";
        case NVCT_FILE_XORG:
                return "xorg";
        }
        return "unknown";
}

static const char *ipc_kind_name(NvctIpcKind k) {
        switch (k) {
        case NVCT_IPC_PERSISTENCED:
                return "persistenced";
        case NVCT_IPC_FABRICMANAGER:
                return "fabricmanager";
        case NVCT_IPC_MPS:
                return "mps";
        case NVCT_IPC_NONE:
                break;
        }
        return NULL;
}

/* json_string(NULL) is NULL, which json_object_set_new rejects; map it to null instead. */
static json_t *jstr(const char *s) {
        return s ? json_string(s) : json_null();
}

static json_t *node_json(const NvctDevNode *n) {
        char mode[8];
        if (!n->path)
                return json_null();
        snprintf(mode, sizeof(mode), "%04o", (unsigned) (n->mode & 07777));
        return json_pack("{s:o, s:o, s:I, s:I, s:s, s:I, s:I, s:b}", "path", jstr(n->path), "host_path",
                         jstr(n->host_path), "major", (json_int_t) n->major, "minor", (json_int_t) n->minor, "mode",
                         mode, "uid", (json_int_t) n->uid, "gid", (json_int_t) n->gid, "present", n->present);
}

static json_t *nodes_json(const NvctDevNode *nodes, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                json_array_append_new(a, node_json(&nodes[i]));
        return a;
}

static json_t *mig_json(const NvctMigDevice *m) {
        return json_pack("{s:I, s:I, s:I, s:s, s:I, s:I, s:o, s:o}", "index", (json_int_t) m->index, "gi",
                         (json_int_t) m->gi, "ci", (json_int_t) m->ci, "uuid", m->uuid, "gi_cap_minor",
                         (json_int_t) m->gi_cap_minor, "ci_cap_minor", (json_int_t) m->ci_cap_minor, "gi_access",
                         jstr(m->gi_access), "ci_access", jstr(m->ci_access));
}

static json_t *gpu_json(const NvctGpu *g) {
        json_t *migs = json_array();
        for (size_t i = 0; migs && i < g->n_migs; i++)
                json_array_append_new(migs, mig_json(&g->migs[i]));
        return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:b, s:o, s:o, s:o, s:o, s:o}", "index",
                         (json_int_t) g->index, "minor", (json_int_t) g->minor, "uuid", g->uuid, "busid", g->busid,
                         "model", g->model, "brand", g->brand, "arch", g->arch, "memory_total",
                         (json_int_t) g->memory_total, "mig_capable", g->mig_capable, "mig_enabled", g->mig_enabled,
                         "proc_dir", jstr(g->proc_dir), "node", node_json(&g->node), "drm_card",
                         node_json(&g->drm_card), "drm_render", node_json(&g->drm_render), "migs", migs);
}

static json_t *file_json(const NvctFile *f) {
        json_t *caps = json_array();
        for (unsigned bit = 1; caps && bit & NVCT_CAP_ALL; bit <<= 1)
                if (f->caps & bit)
                        json_array_append_new(caps, json_string(nvct_cap_name(bit)));
        return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "kind", file_kind_name(f->kind), "caps", caps,
                         "path", jstr(f->path), "host_path", jstr(f->host_path), "container_path",
                         jstr(f->container_path), "soname", jstr(f->soname), "ipc", jstr(ipc_kind_name(f->ipc)));
}

static json_t *driver_json(const NvctDriver *d) {
        json_t *gpus = json_array(), *files = json_array(), *minors = json_array(), *dirs = json_array();

        for (size_t i = 0; gpus && i < d->n_gpus; i++)
                json_array_append_new(gpus, gpu_json(&d->gpus[i]));
        for (size_t i = 0; files && i < d->n_files; i++)
                json_array_append_new(files, file_json(&d->files[i]));
        for (size_t i = 0; minors && i < d->n_mig_minors; i++) {
                const NvctMigMinor *m = &d->mig_minors[i];
                json_array_append_new(minors, json_pack("{s:i, s:i, s:i, s:s, s:I}", "gpu", m->gpu, "gi", m->gi,
                                                        "ci", m->ci, "name", m->name, "minor", (json_int_t) m->minor));
        }
        for (char **p = d->lib_dirs; dirs && p && *p; p++)
                json_array_append_new(dirs, json_string(*p));
        return json_pack("{s:i, s:{s:s, s:s, s:b}, s:{s:I, s:I, s:I, s:I}, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                         "schema_version", INFO_SCHEMA_VERSION, "driver", "version", d->version, "cuda_version",
                         d->cuda_version, "nvml_used", d->nvml_used, "majors", "nvidia", (json_int_t) d->major_nvidia,
                         "nvidia_uvm", (json_int_t) d->major_uvm, "nvidia_caps", (json_int_t) d->major_caps,
                         "nvidia_caps_imex_channels", (json_int_t) d->major_imex, "control_nodes",
                         nodes_json(d->ctl, NVCT_CTL_COUNT), "gpus", gpus, "cap_nodes",
                         nodes_json(d->cap_nodes, d->n_cap_nodes), "imex_channels",
                         nodes_json(d->imex_channels, d->n_imex_channels), "mig_minors", minors, "files", files,
                         "lib_dirs", dirs);
}

static void print_text(const NvctDriver *d) {
        printf("Driver:        %s\n", d->version);
        printf("CUDA:          %s\n", d->cuda_version[0] ? d->cuda_version : "unknown (NVML not used)");
        for (unsigned i = 0; i < NVCT_CTL_COUNT; i++)
                printf("%-14s %s\n", i == 0 ? "Control nodes:" : "", d->ctl[i].present ? d->ctl[i].path :
                                                                                       "-");
        for (size_t i = 0; i < d->n_gpus; i++) {
                const NvctGpu *g = &d->gpus[i];
                printf("GPU %u:         %s %s %s (%s, MIG %s, %zu MIG devices)\n", g->index, g->busid, g->uuid,
                       g->model, g->node.present ? g->node.path : "no node",
                       g->mig_enabled ? "enabled" : "disabled", g->n_migs);
        }
        size_t counts[NVCT_FILE_XORG + 1] = { 0 };
        for (size_t i = 0; i < d->n_files; i++)
                if (d->files[i].kind <= NVCT_FILE_XORG)
                        counts[d->files[i].kind]++;
        printf("Files:         %zu libs, %zu lib32, %zu bins, %zu firmware, %zu ipc, %zu config, %zu xorg\n",
               counts[NVCT_FILE_LIB], counts[NVCT_FILE_LIB32], counts[NVCT_FILE_BIN], counts[NVCT_FILE_FIRMWARE],
               counts[NVCT_FILE_IPC], counts[NVCT_FILE_CONFIG], counts[NVCT_FILE_XORG]);
        printf("IMEX channels: %zu, caps nodes: %zu\n", d->n_imex_channels, d->n_cap_nodes);
}

int nvct_info_main(int argc, char **argv) {
        enum { O_ROOT = 0x100, O_PROC, O_DEV, O_SYS, O_LDCACHE, O_NO_NVML, O_NO_FILES };
        static const struct option opts[] = {
                { "json", no_argument, NULL, 'j' },     { "root", required_argument, NULL, O_ROOT },
                { "proc-root", required_argument, NULL, O_PROC }, { "dev-root", required_argument, NULL, O_DEV },
                { "sys-root", required_argument, NULL, O_SYS },   { "ldcache", required_argument, NULL, O_LDCACHE },
                { "no-nvml", no_argument, NULL, O_NO_NVML },      { "no-files", no_argument, NULL, O_NO_FILES },
                { "help", no_argument, NULL, 'h' },     {},
        };
        NvctRoots roots = NVCT_ROOTS_DEFAULT;
        NvctDiscoverOptions dopts = { .flags = NVCT_DISCOVER_NVML | NVCT_DISCOVER_FILES | NVCT_DISCOVER_COMPAT32,
                                      .nvml_uid = (uid_t) -1, .nvml_gid = (gid_t) -1 };
        _cleanup_driver_ NvctDriver *drv = NULL;
        NvctError err = NVCT_ERROR_INIT;
        bool json = false, dev_given = false;
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
                switch (c) {
                case 'j':
                        json = true;
                        break;
                case O_ROOT:
                        roots.driver_root = roots.ipc_root = optarg;
                        break;
                case O_PROC:
                        roots.proc_root = optarg;
                        break;
                case O_DEV:
                        roots.dev_root = optarg;
                        dev_given = true;
                        break;
                case O_SYS:
                        roots.sys_root = optarg;
                        break;
                case O_LDCACHE:
                        roots.ldcache = optarg;
                        break;
                case O_NO_NVML:
                        dopts.flags &= ~(unsigned) NVCT_DISCOVER_NVML;
                        break;
                case O_NO_FILES:
                        dopts.flags &= ~(unsigned) NVCT_DISCOVER_FILES;
                        break;
                case 'h':
                        printf("Usage: nvct info [--json] [--root=DIR] [--proc-root=DIR] [--dev-root=DIR] "
                               "[--sys-root=DIR] [--ldcache=FILE] [--no-nvml] [--no-files]\n");
                        return EXIT_SUCCESS;
                default:
                        fprintf(stderr, "nvct info: unrecognized option '%s'\n", argv[optind - 1]);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "nvct info: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        if (!dev_given)
                roots.dev_root = roots.driver_root;
        if (nvct_driver_discover(&roots, &dopts, &drv, &err) < 0) {
                log_report("nvct info", &err);
                return EXIT_FAILURE;
        }
        if (!json) {
                print_text(drv);
                return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
        }
        json_t *root = driver_json(drv);
        char *text = root ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(root);
        if (!text) {
                fprintf(stderr, "nvct info: cannot encode JSON: %s\n", strerror(ENOMEM));
                return EXIT_FAILURE;
        }
        puts(text);
        free(text);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
