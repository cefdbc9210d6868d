/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "driver.h"
#include "error.h"
#include "inject.h"
#include "plan.h"

/*
 * One GPU set-up of a live container, shared by `nvidia-container-cli configure` and the prestart hook (which
 * does this in-process instead of exec'ing a second binary): discover, select, check requirements, inspect the
 * image, plan, inject.
 */
typedef struct NvctConfigureArgs {
        NvctRoots roots;
        pid_t pid;
        const char *rootfs;            /* absolute; as the container's mount namespace sees it */
        const char *devices;           /* comma list of device tokens ("0,GPU-…", "all"); NULL or "" = none */
        unsigned caps;                 /* NvctCaps */
        char *const *requires;         /* --require expressions, each must hold */
        const char *mig_config;        /* "all" or NULL */
        const char *mig_monitor;
        const char *imex_channels;     /* comma list, or NULL */
        bool no_cgroups;
        bool no_devbind;
        bool no_persistenced;
        bool no_fabricmanager;
        bool no_gsp_firmware;
        bool no_pivot;
        bool load_kmods;
        bool no_create_imex_channels;
        bool cuda_compat;              /* prefer the image's newer forward-compat libcuda (safe ld.so.conf form) */
        const char *ldconfig;          /* host ldconfig path (already resolved from "@…"), NULL = none */
        uid_t nvml_uid;                /* (uid_t)-1 = ours */
        gid_t nvml_gid;
        unsigned nvml_timeout_ms;
        const char *cuda_cache_dir;    /* NULL = no cache */
        void (*log)(void *userdata, const char *fmt, ...) _printf_(2, 3);
        void *log_userdata;
} NvctConfigureArgs;

typedef struct NvctConfigureStats {
        long long discover_us;
        long long plan_us;
        NvctInjectStats inject;
} NvctConfigureStats;

int nvct_configure(const NvctConfigureArgs *args, NvctConfigureStats *stats, NvctError *err);

/* Evaluate requirements once per selected GPU (the parent of a selected MIG device counts as selected). */
int nvct_configure_check_requires(const NvctDriver *drv, const bool *gpus, char *const *requires, NvctError *err);
