/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include "inject.h"

typedef enum UndoKind { UNDO_MOUNT, UNDO_FILE, UNDO_DIR } UndoKind;

typedef struct UndoEntry {
        UndoKind kind;
        char *path; /* container path */
} UndoEntry;

typedef struct Injector {
        const NvctPlan *plan;
        const NvctInjectTarget *target;
        int pin_fd;       /* pidfd (or /proc/PID) of the container process */
        int mntns_fd;     /* its mount namespace */
        int host_ns_fd;   /* ours, to return to */
        int cwd_fd;
        int root_fd;      /* O_PATH of the rootfs, opened inside the container's namespace */
        bool entered;
        bool undone;
        bool proc_view_mounted;
        bool need_ldconfig;   /* the in-process cache update could not be faithful: run the real ldconfig */
        UndoEntry *undo;
        size_t n_undo;
        NvctInjectStats stats;
} Injector;

long long inject_now_us(void);
void inject_log(const Injector *in, const char *fmt, ...) _printf_(2, 3);
int undo_push_mount(Injector *in, const char *path, NvctError *err);
int undo_push_file(Injector *in, const char *path, NvctError *err);
int inject_ensure_parents(Injector *in, const char *path, NvctError *err);
int inject_proc_view(Injector *in, NvctError *err);
int inject_proc_view_mount(Injector *in, const NvctPlanMount *m, NvctError *err);
int inject_compat_conf(Injector *in, NvctError *err);
int inject_cgroups(Injector *in, NvctError *err);
int inject_ldcache(Injector *in, NvctError *err);
int inject_ldconfig(Injector *in, NvctError *err);
