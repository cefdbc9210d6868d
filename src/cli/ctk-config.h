/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/*
 * `nvidia-ctk config` (argv[0] = "config"): print or edit config.toml, preserving its comments and order.
 *   --config-file/-c FILE   the file (default: NVIDIA_CTK_CONFIG_FILE_PATH, else
 *                           ${XDG_CONFIG_HOME:-/etc}/nvidia-container-runtime/config.toml)
 *   --set KEY[=VALUE]       repeatable; dotted keys; booleans may omit the value; lists split on ',' or ':'
 *                           (--set-list-separator changes that); an empty string value removes the key
 *   --in-place/-i           write the file back; --output/-o FILE writes elsewhere; default: stdout
 *   default | create-default | generate-default [--output FILE]   print NVIDIA's default config
 * Returns the exit status.
 */
int ctk_config_main(int argc, char **argv);
