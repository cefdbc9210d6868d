/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* One function per front end of the multi-call binary; each returns the process exit status. */
int cli_main(int argc, char **argv);     /* nvidia-container-cli */
int hook_main(int argc, char **argv);    /* nvidia-container-runtime-hook, nvidia-container-toolkit */
int runtime_main(int argc, char **argv); /* nvidia-container-runtime[.cdi|.legacy] */
int ctk_main(int argc, char **argv);     /* nvidia-ctk */
int cdi_hook_main(int argc, char **argv); /* nvidia-cdi-hook, nvidia-ctk hook */
int nvct_info_main(int argc, char **argv); /* nvct info [--json] */
