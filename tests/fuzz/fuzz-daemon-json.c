/* SPDX-License-Identifier: Apache-2.0 */
/*
 * daemon.json as `nvidia-ctk runtime configure --runtime=docker` edits it: whatever the input, a configure that
 * succeeds gives JSON that parses, a second configure changes nothing, and the revert succeeds.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine-docker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        NvctEngineOptions o = {
                .runtime_name = "nvidia",
                .runtime_path = "/usr/bin/nvidia-container-runtime",
                .set_as_default = size > 0 && (data[0] & 1),
                .enable_cdi = size > 0 && (data[0] & 2),
        };
        NvctError err = NVCT_ERROR_INIT;
        json_t *undo = nvct_undo_new("docker");
        char *out = NULL, *again = NULL, *back = NULL;
        if (!undo)
                return 0;
        if (nvct_docker_configure((const char *) data, size, "daemon.json", &o, undo, &out, &err) >= 0 && out) {
                json_error_t je;
                json_t *j = json_loads(out, 0, &je);
                if (!j)
                        abort(); /* we never write what we cannot read back */
                json_decref(j);
                json_t *undo2 = nvct_undo_new("docker");
                if (nvct_docker_configure(out, strlen(out), "daemon.json", &o, undo2, &again, &err) < 0 ||
                    !again || strcmp(out, again) != 0)
                        abort(); /* configure twice changes nothing the second time */
                json_decref(undo2);
                unsigned kept = 0;
                if (nvct_docker_revert(out, strlen(out), "daemon.json", undo, &back, &kept, &err) < 0)
                        abort();
        } else if (!err.msg[0])
                abort(); /* a refusal always says why */
        free(out);
        free(again);
        free(back);
        json_decref(undo);
        return 0;
}
