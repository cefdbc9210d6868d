/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>

#include "oci.h"
#include "settings.h"

/* A log line to the shim's debug file and to the runtime log the engine passed (--log, in its format). */
void runtime_log(const char *level, const char *fmt, ...) _printf_(2, 3);

/* Mode modifiers: edit the spec in memory for one create. */
int runtime_mode_legacy(const Settings *s, NvctOciSpec *spec, NvctError *err);
/* cdi and jit-cdi (src/cli/runtime-cdi.c). */
int runtime_mode_cdi(const Settings *s, NvctOciSpec *spec, bool jit, NvctError *err);

/* Find an executable: a name with '/' is taken as is, otherwise PATH and the standard dirs. Caller frees. */
char *runtime_find_executable(const char *name);
