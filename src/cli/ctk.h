/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* nvidia-ctk subcommands; argv[0] is the subcommand name. Each returns the exit status. */
int ctk_cdi_main(int argc, char **argv);
int ctk_runtime_main(int argc, char **argv);
int ctk_system_main(int argc, char **argv);
int ctk_config_main(int argc, char **argv);
int ctk_info_main(int argc, char **argv);
