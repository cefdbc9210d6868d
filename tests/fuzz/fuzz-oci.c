/* SPDX-License-Identifier: Apache-2.0 */
/*
 * OCI state (hook stdin) and config.json as the hook and the shim read them: the first byte picks which. A spec
 * that loads must give a consistent image view, survive every edit the shim makes, and re-load after saving.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci.h"
#include "request.h"

static char path[64];

static void fuzz_spec(const uint8_t *data, size_t size) {
        NvctError err = NVCT_ERROR_INIT;
        if (!path[0])
                snprintf(path, sizeof(path), "/tmp/nvct-fuzz-oci-%d.json", (int) getpid());
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        if (write(fd, data, size) != (ssize_t) size) {
                close(fd);
                return;
        }
        close(fd);

        NvctOciSpec *spec = NULL;
        if (nvct_oci_spec_load(path, &spec, &err) < 0) {
                if (!err.msg[0])
                        abort(); /* every refusal says why */
                return;
        }
        NvctImage image;
        nvct_oci_spec_image(spec, &image);
        for (size_t i = 0; i < image.n_env; i++)
                if (!image.env[i])
                        abort();
        if (!nvct_oci_spec_root_path(spec))
                abort();
        NvctRequestPolicy policy = NVCT_REQUEST_POLICY_DEFAULT;
        NvctRequest *req = NULL;
        if (nvct_request_build(&image, &policy, &req, &err) >= 0)
                nvct_request_free(req);

        static const char *const names[] = { "nvidia-container-runtime-hook", NULL };
        char *args[] = { (char *) "nvidia-container-runtime-hook", (char *) "prestart", NULL };
        NvctPlanDevice dev = { .host_path = (char *) "/dev/null", .container_path = (char *) "/dev/nvidia0",
                               .type = 'c', .major = 195, .minor = 0, .mode = 0666, .access = "rw" };
        (void) nvct_oci_has_hook(spec, "prestart", names);
        if (nvct_oci_add_hook(spec, "prestart", "/usr/bin/nvidia-container-runtime-hook", args, NULL, 0, &err) < 0 ||
            nvct_oci_add_devices(spec, &dev, 1, &err) < 0)
                abort();
        if (!nvct_oci_has_hook(spec, "prestart", names) || nvct_oci_remove_hooks(spec, "prestart", names) < 1)
                abort();
        if (nvct_oci_spec_save(spec, &err) < 0)
                abort();
        nvct_oci_spec_free(spec);
        spec = NULL;
        if (nvct_oci_spec_load(path, &spec, &err) < 0)
                abort(); /* what we write must read back */
        nvct_oci_spec_free(spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        if (data[0] & 1) {
                NvctOciState st = { 0 };
                NvctError err = NVCT_ERROR_INIT;
                if (nvct_oci_state_parse((const char *) data + 1, size - 1, &st, &err) >= 0) {
                        if (st.pid < 0)
                                abort();
                        nvct_oci_state_done(&st);
                }
                return 0;
        }
        fuzz_spec(data + 1, size - 1);
        return 0;
}
