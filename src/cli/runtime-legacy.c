/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Legacy mode: the prestart hook does the injection. Beyond NVIDIA, the shim also writes the selected device nodes
 * into linux.devices and their allow rules into linux.resources.devices, so runc owns the cgroup rules and a
 * systemd daemon-reload can no longer strip GPU access from running containers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "configure.h"
#include "driver.h"
#include "log.h"
#include "plan.h"
#include "runtime.h"
#include "select.h"
#include "strv.h"

static const char *const hook_names[] = { "nvidia-container-runtime-hook", "nvidia-container-toolkit", NULL };

static int add_hook(const Settings *s, NvctOciSpec *spec, NvctError *err) {
        if (nvct_oci_has_hook(spec, "prestart", hook_names)) {
                runtime_log("info", "prestart hook already present");
                return 0;
        }
        const char *name = s->cfg->hook.path && *s->cfg->hook.path ? s->cfg->hook.path :
                                                                      "nvidia-container-runtime-hook";
        _cleanup_free_ char *path = runtime_find_executable(name);
        if (!path)
                return nvct_error_setx(err, ENOENT, "could not find the prestart hook %s", name);
        /* The hook must read the config the shim read: runtimes give hooks their own environment, which may not
         * carry NVIDIA_CTK_CONFIG_FILE_PATH, so a non-default config travels as the hook's -config flag. */
        bool custom = s->path && !streq(s->path, "/etc/nvidia-container-runtime/config.toml");
        char *args[] = { (char *) "nvidia-container-runtime-hook", (char *) (custom ? "-config" : "prestart"),
                         custom ? s->path : NULL, (char *) "prestart", NULL };
        if (!custom)
                args[2] = NULL;
        return nvct_oci_add_hook(spec, "prestart", path, args, NULL, 0, err);
}

static int plan_devices(const Settings *s, const NvctRequest *req, NvctPlan **ret, NvctError *err) {
        _cleanup_driver_ NvctDriver *drv = NULL;
        _cleanup_selection_ NvctSelection *sel = NULL;
        _cleanup_free_ bool *gpus = NULL;
        _cleanup_free_ char *devices = NULL;
        /* procfs and /dev only: no NVML, no library scan on this path */
        NvctDiscoverOptions opts = {
                .flags = req->mig_config || req->mig_monitor ? NVCT_DISCOVER_MIG_MINORS : 0,
                .log = log_enabled() ? log_sink : NULL,
        };
        int r = nvct_driver_discover(&s->roots, &opts, &drv, err);
        if (r < 0)
                return r;
        devices = req->all_devices ? strdup("all") : strv_join(req->devices, ",");
        if (!devices)
                return nvct_error_set(err, ENOMEM, "devices");
        r = nvct_select_devices(drv, devices, &sel, err);
        if (r < 0)
                return nvct_error_prefix(err, r, "device error");
        gpus = calloc(drv->n_gpus + 1, sizeof(bool));
        bool **migs = calloc(drv->n_gpus + 1, sizeof(bool *));
        if (!gpus || !migs) {
                free(migs);
                return nvct_error_set(err, ENOMEM, "devices");
        }
        for (size_t i = 0; i < drv->n_gpus; i++) {
                gpus[i] = nvct_selection_has_gpu(sel, i);
                if (drv->gpus[i].n_migs && (migs[i] = calloc(drv->gpus[i].n_migs, sizeof(bool))))
                        for (size_t j = 0; j < drv->gpus[i].n_migs; j++)
                                migs[i][j] = nvct_selection_has_mig(sel, i, j);
        }
        NvctPlanInput in = {
                .driver = drv,
                .roots = &s->roots,
                .gpus = gpus,
                .migs = (const bool *const *) migs,
                .caps = req->caps,
                .layout = NVCT_LAYOUT_IMAGE_DIRS,
                .mig_config_all = req->mig_config != NULL,
                .mig_monitor_all = req->mig_monitor != NULL,
        };
        r = nvct_plan_compute(&in, ret, err);
        for (size_t i = 0; i < drv->n_gpus; i++)
                free(migs[i]);
        free(migs);
        return r;
}

int runtime_mode_legacy(const Settings *s, NvctOciSpec *spec, NvctError *err) {
        _cleanup_request_ NvctRequest *req = NULL;
        _cleanup_plan_ NvctPlan *plan = NULL;
        NvctRequestPolicy policy;
        NvctImage image;
        int r;

        nvct_oci_spec_image(spec, &image);
        settings_policy(s, NVCT_REQUEST_LEGACY, &policy);
        r = nvct_request_build(&image, &policy, &req, err);
        if (r < 0)
                return r;
        if (!req->gpu_container) {
                runtime_log("info", "not a GPU container: leaving the spec unchanged");
                return 0;
        }
        _cleanup_free_ char *desc = nvct_request_describe(req);
        runtime_log("info", "request: %s", desc ? desc : "?");
        r = add_hook(s, spec, err);
        if (r < 0 || !s->cfg->nvct.legacy_write_devices)
                return r;
        r = plan_devices(s, req, &plan, err);
        if (r < 0)
                return r;
        r = nvct_oci_add_devices(spec, plan->devices, plan->n_devices, err);
        if (r >= 0)
                runtime_log("info", "wrote %zu device nodes into linux.devices", plan->n_devices);
        return r;
}
