/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"
#include "require.h"
#include "strv.h"

#define LINES_MAX 256

/*
 * The first byte picks the policy; the rest is lines: "m:<destination> <source>" is a mount, "a:<key>=<value>"
 * an annotation, anything else an environment entry. Whatever the input, a request that is built must hold only
 * tokens of the grammar, qualified names in the CDI modes, and requirements that validate.
 */
static void check_request(const NvctRequest *req, NvctRequestMode mode) {
        for (char **d = req->devices; *d; d++) {
                const char *eq = strchr(*d, '=');
                if (strstr(*d, ".."))
                        abort();
                /* A CDI name may outgrow the token bound once the kind is prepended; its device part may not. */
                if (mode == NVCT_REQUEST_LEGACY ? !nvct_request_device_valid(*d, mode)
                                                : !eq || !nvct_request_device_valid(eq + 1, mode))
                        abort();
        }
        if (!req->gpu_container && (req->devices[0] || req->all_devices))
                abort();
        for (char **e = req->requires; *e; e++)
                if (nvct_require_validate(*e, NULL) < 0)
                        abort();
        for (char **c = req->imex_channels; *c; c++)
                if (strspn(*c, "0123456789") != strlen(*c))
                        abort();
        char *line = nvct_request_describe(req);
        if (!line || strchr(line, '\n'))
                abort();
        free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1 || size > 256 * 1024)
                return 0;
        uint8_t flags = data[0];
        char *buf = malloc(size);
        if (!buf)
                return 0;
        memcpy(buf, data + 1, size - 1);
        buf[size - 1] = '\0';

        const char *env[LINES_MAX];
        NvctImageMount mounts[LINES_MAX];
        NvctImageAnnotation annotations[LINES_MAX];
        NvctImage img = { .env = env, .mounts = mounts, .annotations = annotations, .privileged = flags & 4 };
        for (char *p = buf, *nl; p && img.n_env + img.n_mounts + img.n_annotations < LINES_MAX; p = nl) {
                nl = strchr(p, '\n');
                if (nl)
                        *nl++ = '\0';
                char *sep;
                if (strncmp(p, "m:", 2) == 0 && (sep = strchr(p, ' '))) {
                        *sep = '\0';
                        mounts[img.n_mounts++] = (NvctImageMount) { p + 2, sep + 1 };
                } else if (strncmp(p, "a:", 2) == 0 && (sep = strchr(p, '='))) {
                        *sep = '\0';
                        annotations[img.n_annotations++] = (NvctImageAnnotation) { p + 2, sep + 1 };
                } else
                        env[img.n_env++] = p;
        }

        char *swarm[] = { (char *) "DOCKER_RESOURCE_GPU", NULL };
        NvctRequestPolicy policy = {
                .supported_caps = (flags & 128) ? NVCT_CAP_COMPUTE | NVCT_CAP_UTILITY : NVCT_CAP_ALL,
                .accept_envvar_unprivileged = !(flags & 8),
                .accept_volume_mounts = flags & 16,
                .swarm_resource_envvars = (flags & 32) ? swarm : NULL,
                .disable_require = flags & 64,
                .mode = (NvctRequestMode) (flags % 3),
        };
        NvctRequest *req = NULL;
        NvctError err = NVCT_ERROR_INIT;
        int r = nvct_request_build(&img, &policy, &req, &err);
        if (r >= 0)
                check_request(req, policy.mode);
        else if (req || err.msg[0] == '\0' || err.code != -r)
                abort();
        nvct_request_free(req);
        free(buf);
        return 0;
}
