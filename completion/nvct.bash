# SPDX-License-Identifier: Apache-2.0
# bash completion for nvct and the NVIDIA Container Toolkit names it is installed under.

_nvct_words() {
        local cur=$1; shift
        COMPREPLY=($(compgen -W "$*" -- "$cur"))
}

_nvct_ctk() { # $1: index of the word after "nvidia-ctk"
        local i=$1 cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        while [ "$i" -lt "$COMP_CWORD" ] && [[ ${COMP_WORDS[i]} == -* ]]; do i=$((i + 1)); done
        if [ "$i" -ge "$COMP_CWORD" ]; then
                _nvct_words "$cur" cdi runtime system config info hook --debug --quiet --config --help --version
                return
        fi
        local cmd=${COMP_WORDS[i]} sub=${COMP_WORDS[i + 1]:-}
        case "$prev" in
        --runtime) _nvct_words "$cur" docker containerd crio; return ;;
        --config-mode) _nvct_words "$cur" config-file oci-hook; return ;;
        --config | --drop-in-config | --output | --config-file | --oci-hook-path | --nvidia-runtime-path | \
                --dev-char-path | --driver-root | --dev-root | --root)
                COMPREPLY=($(compgen -f -- "$cur")); return ;;
        esac
        if [ $((i + 1)) -eq "$COMP_CWORD" ]; then
                case "$cmd" in
                cdi) _nvct_words "$cur" generate refresh list validate transform ;;
                runtime) _nvct_words "$cur" configure ;;
                system) _nvct_words "$cur" create-dev-char-symlinks create-device-nodes ;;
                config) _nvct_words "$cur" default --config-file --set --in-place --output ;;
                info) _nvct_words "$cur" --json ;;
                hook) _nvct_words "$cur" create-symlinks update-ldcache enable-cuda-compat \
                        disable-device-node-modification update-application-profile chmod ;;
                esac
                return
        fi
        case "$cmd $sub" in
        "runtime configure")
                _nvct_words "$cur" --runtime --config --drop-in-config --nvidia-runtime-name --nvidia-runtime-path \
                        --set-as-default --cdi.enabled --config-mode --oci-hook-path --nvidia-runtime-hook-path \
                        --dry-run --revert ;;
        "system create-dev-char-symlinks")
                _nvct_words "$cur" --dev-char-path --driver-root --create-all --create-device-nodes \
                        --load-kernel-modules --dry-run ;;
        "system create-device-nodes")
                _nvct_words "$cur" --driver-root --dev-root --control-devices --imex-channel --load-kernel-modules \
                        --dry-run ;;
        "cdi generate")
                _nvct_words "$cur" --output --format --mode --dev-root --driver-root --device-name-strategy \
                        --nvidia-cdi-hook-path --ldconfig-path --vendor --class --disable-hook --enable-hook \
                        --no-all-device --device-id ;;
        "cdi list") _nvct_words "$cur" --spec-dir ;;
        esac
}

_nvct_cli() {
        local i=$1 cur=${COMP_WORDS[COMP_CWORD]}
        while [ "$i" -lt "$COMP_CWORD" ] && [[ ${COMP_WORDS[i]} == -* ]]; do i=$((i + 1)); done
        if [ "$i" -ge "$COMP_CWORD" ]; then
                _nvct_words "$cur" info list configure --debug --load-kmods --ldcache --no-pivot --root --user \
                        --no-create-imex-channels --help --version
                return
        fi
        case "${COMP_WORDS[i]}" in
        configure)
                if [[ $cur == -* ]]; then
                        _nvct_words "$cur" --pid --device --require --ldconfig --compute --utility --video \
                                --graphics --display --ngx --compat32 --mig-config --mig-monitor --imex-channel \
                                --no-cgroups --no-devbind --no-persistenced --no-fabricmanager --no-gsp-firmware \
                                --cuda-compat-mode
                else
                        COMPREPLY=($(compgen -d -- "$cur"))
                fi ;;
        list) _nvct_words "$cur" --device --libraries --binaries --ipcs --firmwares ;;
        info) _nvct_words "$cur" --csv ;;
        esac
}

_nvct() {
        local cur=${COMP_WORDS[COMP_CWORD]} name=${COMP_WORDS[0]##*/}
        case "$name" in
        nvidia-ctk) _nvct_ctk 1; return ;;
        nvidia-container-cli) _nvct_cli 1; return ;;
        nvidia-container-runtime-hook | nvidia-container-toolkit)
                _nvct_words "$cur" prestart poststart poststop -config -debug -version; return ;;
        nvidia-cdi-hook)
                [ "$COMP_CWORD" -eq 1 ] && _nvct_words "$cur" create-symlinks update-ldcache enable-cuda-compat \
                        disable-device-node-modification update-application-profile chmod
                return ;;
        nvidia-container-runtime*) return ;;
        esac
        if [ "$COMP_CWORD" -eq 1 ]; then
                _nvct_words "$cur" info cli hook runtime ctk cdi-hook --help
                return
        fi
        case "${COMP_WORDS[1]}" in
        ctk) _nvct_ctk 2 ;;
        cli) _nvct_cli 2 ;;
        info) _nvct_words "$cur" --json --root --proc-root --dev-root --sys-root --ldcache --no-nvml --no-files ;;
        esac
}

complete -F _nvct nvct nvidia-ctk nvidia-container-cli nvidia-container-runtime-hook nvidia-container-toolkit \
        nvidia-cdi-hook nvidia-container-runtime nvidia-container-runtime.cdi nvidia-container-runtime.legacy
