/* SPDX-License-Identifier: Apache-2.0 */
/* Weak fallbacks so the binary links while front ends are being written; a real definition overrides. */
#include <stdio.h>

#include "ctk.h"
#include "frontends.h"
#include "runtime.h"
#include "macros.h"

static int pending(const char *name) {
        fprintf(stderr, "nvct: %s is not part of this build\n", name);
        return 2;
}

__attribute__((weak)) int cli_main(int argc _unused_, char **argv _unused_) { return pending("nvidia-container-cli"); }
__attribute__((weak)) int hook_main(int argc _unused_, char **argv _unused_) { return pending("the hook"); }
__attribute__((weak)) int runtime_main(int argc _unused_, char **argv _unused_) { return pending("the runtime"); }
__attribute__((weak)) int ctk_main(int argc _unused_, char **argv _unused_) { return pending("nvidia-ctk"); }
__attribute__((weak)) int cdi_hook_main(int argc _unused_, char **argv _unused_) { return pending("the CDI hooks"); }
__attribute__((weak)) int nvct_info_main(int argc _unused_, char **argv _unused_) { return pending("nvct info"); }
__attribute__((weak)) int ctk_cdi_main(int argc _unused_, char **argv _unused_) { return pending("nvidia-ctk cdi"); }
__attribute__((weak)) int ctk_runtime_main(int argc _unused_, char **argv _unused_) { return pending("nvidia-ctk runtime"); }
__attribute__((weak)) int ctk_system_main(int argc _unused_, char **argv _unused_) { return pending("nvidia-ctk system"); }
__attribute__((weak)) int ctk_config_main(int argc _unused_, char **argv _unused_) { return pending("nvidia-ctk config"); }
__attribute__((weak)) int ctk_info_main(int argc _unused_, char **argv _unused_) { return pending("nvidia-ctk info"); }
__attribute__((weak)) int runtime_mode_cdi(const Settings *s _unused_, NvctOciSpec *spec _unused_, bool jit _unused_,
                                           NvctError *err) {
        return nvct_error_setx(err, ENOTSUP, "the cdi and jit-cdi modes are not part of this build");
}
