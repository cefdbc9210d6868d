/* SPDX-License-Identifier: Apache-2.0 */
/* The host-side steps of an injection: device cgroup rules and the sandboxed ldconfig. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "inject-internal.h"
#include "ldcache-write.h"
#include "ldconfig.h"
#include "strv.h"

int inject_cgroups(Injector *in, NvctError *err) {
        const NvctPlan *p = in->plan;
        _cleanup_cgroup_ NvctCgroup *cg = NULL;
        _cleanup_free_ NvctCgroupRule *rules = NULL;
        size_t n = 0;

        if (p->n_devices == 0)
                return 0;
        rules = calloc(p->n_devices, sizeof(*rules));
        if (!rules)
                return nvct_error_set(err, ENOMEM, "cgroup rules");
        for (size_t i = 0; i < p->n_devices; i++) {
                const NvctPlanDevice *d = &p->devices[i];
                rules[n].type = d->type ? d->type : 'c';
                rules[n].major = d->major;
                rules[n].minor = d->minor;
                snprintf(rules[n].access, sizeof(rules[n].access), "%s", d->access[0] ? d->access : "rw");
                n++;
        }
        int r = nvct_cgroup_open_pid(in->target->pid, &cg, err);
        if (r < 0)
                return r;
        /* all rules in one step: one program replacement on cgroup v2, not one per device */
        r = nvct_cgroup_allow_devices(cg, rules, n, err);
        if (r < 0)
                return r;
        if (r == 0)
                inject_log(in, "device cgroup: nothing restricts devices, no rule needed");
        else
                inject_log(in, "device cgroup: allowed %zu devices (%d rules or programs updated)", n, r);
        return 0;
}

/* The directories ldconfig is given, in its command-line order: the compat directory first, so its libcuda wins. */
static int ldconfig_dirs(const NvctPlan *p, char ***ret) {
        _cleanup_strv_free_ char **dirs = NULL;
        int r = 0;
        if (p->compat_dir)
                r = strv_extend(&dirs, p->compat_dir);
        for (char **d = p->ldconfig_dirs; r >= 0 && d && *d; d++)
                r = strv_extend(&dirs, *d);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(dirs);
        return 0;
}

static void ldcache_log(void *userdata, const char *message) {
        inject_log(userdata, "%s", message);
}

/*
 * Called inside the container's mount namespace, with the libraries mounted: update its ld.so.cache in-process,
 * exactly as ldconfig would (src/lib/ldcache-write.c proves the equivalence). Sets in->need_ldconfig when only
 * the real ldconfig can do it faithfully.
 */
int inject_ldcache(Injector *in, NvctError *err) {
        _cleanup_strv_free_ char **dirs = NULL;
        NvctError why = NVCT_ERROR_INIT;
        long long t0 = inject_now_us();
        int r = ldconfig_dirs(in->plan, &dirs);
        if (r < 0)
                return nvct_error_set(err, r, "ld.so.cache");
        NvctLdcacheUpdateOpts opts = {
                .uid = in->target->uid,
                .gid = in->target->gid,
                .log = in->target->log ? ldcache_log : NULL,
                .userdata = in,
        };
        r = nvct_ldcache_update(in->root_fd, dirs, &opts, &why);
        in->stats.ldconfig_us = inject_now_us() - t0;
        if (r == -EOPNOTSUPP) {
                inject_log(in, "ld.so.cache: falling back to the sandboxed ldconfig: %s", why.msg);
                in->need_ldconfig = true;
                return 0;
        }
        if (r < 0) {
                *err = why;
                return r;
        }
        inject_log(in, "ld.so.cache updated in-process for %zu directories", strv_length(dirs));
        return 0;
}

int inject_ldconfig(Injector *in, NvctError *err) {
        const NvctPlan *p = in->plan;
        _cleanup_strv_free_ char **dirs = NULL;
        int r = ldconfig_dirs(p, &dirs);
        if (r < 0)
                return nvct_error_set(err, r, "ldconfig");
        NvctLdconfigRun run = {
                .mntns_fd = in->mntns_fd,
                .rootfs = in->target->rootfs,
                .ldconfig_path = in->target->ldconfig,
                .dirs = dirs,
                .uid = in->target->uid,
                .gid = in->target->gid,
                .no_pivot = in->target->no_pivot,
                .log_fd = -1,
                .timeout_ms = in->target->ldconfig_timeout_ms,
        };
        r = nvct_ldconfig_run(&run, err);
        if (r < 0)
                return r;
        inject_log(in, "ldconfig %s: cache updated for %zu directories", in->target->ldconfig, strv_length(dirs));
        return 0;
}
