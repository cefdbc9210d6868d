# SPDX-License-Identifier: Apache-2.0
# The race of tests/hostile/run.sh (sourced). While nvct configures, a sibling process keeps exchanging
# (renameat2 RENAME_EXCHANGE) the real library dir, /dev and /etc/ld.so.conf.d with symlinks that lead out of
# the root: relative ones (../ chains) and absolute ones to the host canary. Any file, node or mount that shows
# up outside the rootfs is an escape. Bounded by NVCT_HOSTILE_RACE_SECONDS, split between the two modes.

race_mode() { # MODE SECONDS
        local mode=$1 secs=$2 iters=0 ok=0 refused=0 problems=() pids=() swaps
        rm -rf "$W/race" && mkdir -p "$W/race" "$H/race"
        R=$W/race/rootfs
        cp -a "$W/template" "$R"
        mkdir -p "$R/$COMPAT" && cp "$SIM$SIM_LIBDIR/libcuda.so.$VER" "$R/$COMPAT/libcuda.so.999.1.1"
        ln -s "../../../../../../../../$H/race" "$R/usr/lib/evil-rel"
        ln -s "$H/race" "$R/evil-abs"
        ln -s "../../../../../../$H/race" "$R/etc/evil-conf"
        snap >"$W/snap.before"
        "$B/swapper" "$R/$LIB" "$R/usr/lib/evil-rel" "$secs" >"$W/race/s1" & pids+=($!)
        "$B/swapper" "$R/dev" "$R/evil-abs" "$secs" >"$W/race/s2" & pids+=($!)
        "$B/swapper" "$R/etc/ld.so.conf.d" "$R/etc/evil-conf" "$secs" >"$W/race/s3" & pids+=($!)
        local end=$((SECONDS + ${secs%.*})) wrap=()
        [ "$mode" = no-openat2 ] && wrap=("$B/no-openat2")
        while [ $SECONDS -lt $end ]; do
                # Every 8th try the swappers are frozen for one configure: the layout is then whatever the last
                # exchanges left (each pair back in place half the time), so the success path is exercised too
                # and "0 escapes" is not merely "every configure was refused".
                local calm=$(( iters % 8 == 7 ))
                [ $calm = 1 ] && kill -STOP "${pids[@]}" 2>/dev/null
                start_container "$R" noproc
                OUT=$("$B/hostile-run" --timeout 20000 -- "${wrap[@]}" "$NVCT" cli --root="$SIM" --proc-root="$SIM/proc" \
                        --dev-root="$SIM" --sys-root="$SIM/sys" configure --pid="$CPID" --no-cgroups --device=0 \
                        --compute --utility --ldconfig="@$B/ldprobe" "$R" 2>&1)
                RC=$?
                [ $calm = 1 ] && kill -CONT "${pids[@]}" 2>/dev/null
                stop_container
                iters=$((iters + 1))
                case $RC in
                0) ok=$((ok + 1)) ;;
                124 | 125) problems+=("iteration $iters: exit $RC: $OUT") ;;
                *) refused=$((refused + 1)) ;;
                esac
        done
        wait "${pids[@]}"
        swaps=$(( $(cut -d' ' -f1 "$W/race/s1") + $(cut -d' ' -f1 "$W/race/s2") + $(cut -d' ' -f1 "$W/race/s3") ))
        snap >"$W/snap.after"
        cmp -s "$W/snap.before" "$W/snap.after" || problems+=("host changed:" "$(diff "$W/snap.before" "$W/snap.after" | head -8)")
        [ -z "$(ls -A "$H/race")" ] || problems+=("escape: $(ls -A "$H/race" | head -5)")
        [ -z "$(ls -A "$W/marks")" ] || problems+=("image code ran: $(ls "$W/marks")")
        [ "$ok" -gt 0 ] || problems+=("no configure succeeded in $iters tries: the race test proves nothing")
        local name="race[$mode]: $iters configures ($ok done, $refused refused) against $swaps rename-exchanges, 0 escapes"
        if [ ${#problems[@]} -eq 0 ]; then t_ok "$name"; else t_fail "$name" "${problems[@]}"; fi
}

half=$(awk -v s="$RACE_SECONDS" 'BEGIN { printf "%d", (s + 1) / 2 }')
race_mode openat2 "$half"
race_mode no-openat2 "$half"
