#!/usr/bin/env bash
# Runs the ExecStart of a systemd unit under the unit's restrictions, without systemd:
#   GMT=build/gomemtrace tests/e2e/unit_sandbox.sh UNIT WORKDIR PID [--skip KEY]... [--check]
#       [--instead ARGS...]
# No systemd runs on the test machines, so what the unit asks systemd for is done here
# explicitly, for the settings the unit uses:
#   ExecStart              its words; the binary becomes $GMT, the targets (--exe, --comm,
#                          -p) become "-p PID"
#   ProtectSystem=strict   a mount namespace of its own (unshare -m) where every mount
#                          but /proc, /sys and /dev is remounted read-only
#   StateDirectory=X       WORKDIR/state bind-mounted, writable, on /var/lib/X
#   RuntimeDirectory=X     WORKDIR/runtime bind-mounted, writable, on /run/X
#   ReadWritePaths=P...    WORKDIR/rw-N bind-mounted, writable, on each P (a stand-in, so
#                          that nothing of this machine is written); a P that does not
#                          exist here is made to, in an overlay of its nearest existing
#                          parent, inside the namespace only
#   PrivateTmp=yes         fresh tmpfs on /tmp and /var/tmp
#   UMask, User, CapabilityBoundingSet, AmbientCapabilities, NoNewPrivileges
#                          setpriv (--bounding-set, --inh-caps, --ambient-caps,
#                          --no-new-privs), umask
#   the environment        a clean one, with RUNTIME_DIRECTORY and STATE_DIRECTORY
# and not: ProtectHome (already read-only under strict), Nice, IOSchedulingClass,
# MemoryMax, Restart.  --skip KEY leaves a setting out (to show what it is for).
# --check runs, in the same sandbox and instead of ExecStart, a few writes that must
# and must not succeed, and prints CapEff.  --instead runs "$GMT ARGS..." there instead
# (e.g. restore, as an administrator would after the daemon was killed).  It prints the settings it read as "unit:"
# lines on stderr, then execs the command: its PID is this script's.
set -euo pipefail
gmt=${GMT:?} unit=${1:?} w=${2:?} pid=${3:?}
shift 3
skip=" " check=0 instead=()
while [ $# -gt 0 ]; do
	case $1 in
	--skip) skip+="$2 "; shift 2 ;;
	--check) check=1; shift ;;
	--instead) shift; instead=("$gmt" "$@"); break ;;
	*) echo "unit_sandbox: unknown option $1" >&2; exit 2 ;;
	esac
done

# The [Service] section, continuation lines joined, comments dropped.
declare -A set
while IFS= read -r line; do
	[[ $line =~ ^([A-Za-z]+)=(.*)$ ]] || continue
	key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
	[[ $skip == *" $key "* ]] && { echo "unit: $key skipped" >&2; continue; }
	set[$key]="${set[$key]:+${set[$key]} }$val"
done < <(sed -n '/^\[Service\]/,/^\[/p' "$unit" | grep -v '^[[:space:]]*#' |
	sed -e ':a' -e '/\\$/N; s/\\\n[[:space:]]*/ /; ta')
for k in ExecStart User ProtectSystem CapabilityBoundingSet AmbientCapabilities \
	NoNewPrivileges StateDirectory StateDirectoryMode RuntimeDirectory \
	RuntimeDirectoryMode ReadWritePaths PrivateTmp UMask; do
	echo "unit: $k=${set[$k]:-}" >&2
done
[ "${set[ProtectSystem]:-}" = strict ] || { echo "unit_sandbox: emulates ProtectSystem=strict only" >&2; exit 2; }

# ExecStart: plain words (no quotes, no special prefixes: not emulated).
exec_start=${set[ExecStart]:?no ExecStart}
case $exec_start in *[\"\'\$]* | [-@+!:]*) echo "unit_sandbox: ExecStart too fancy" >&2; exit 2 ;; esac
read -ra words <<< "$exec_start"
[ "${words[0]##*/}" = gomemtrace ] || { echo "unit_sandbox: not gomemtrace: ${words[0]}" >&2; exit 2; }
cmd=("$gmt")
for ((i = 1; i < ${#words[@]}; i++)); do
	case ${words[i]} in
	--exe | --comm | -p | --pid) i=$((i + 1)) ;;
	--exe=* | --comm=* | --pid=*) ;;
	*) cmd+=("${words[i]}") ;;
	esac
done
cmd+=(-p "$pid")
echo "unit: command: ${cmd[*]}" >&2

# Capabilities: "CAP_SYS_ADMIN CAP_X" -> "-all,+sys_admin,+x".
caps() {
	local c=-all w
	for w in $1; do
		w=${w,,}
		c+=",+${w#cap_}"
	done
	echo "$c"
}
user=${set[User]:-root}
priv=(--no-new-privs)
[ "${set[NoNewPrivileges]:-no}" = yes ] || priv=()
[ "$user" = root ] || priv+=(--reuid="$user" --regid="$user" --init-groups)
[ -z "${set[CapabilityBoundingSet]:-}" ] || priv+=(--bounding-set="$(caps "${set[CapabilityBoundingSet]}")")
if [ -n "${set[AmbientCapabilities]:-}" ]; then
	priv+=(--inh-caps="$(caps "${set[AmbientCapabilities]}")")
	priv+=(--ambient-caps="$(caps "${set[AmbientCapabilities]}")")
fi

if ! setpriv "${priv[@]}" true 2>/dev/null; then
	echo "unit_sandbox: cannot take the unit's capabilities here (one missing from this" \
		"shell's bounding set? $(grep CapBnd /proc/self/status))" >&2
	exit 2
fi

# The writable places: "source target" lines for the namespace script.
mkdir -p "$w"
binds=()
if [ -n "${set[StateDirectory]:-}" ]; then
	mkdir -p "$w/state" && chmod "${set[StateDirectoryMode]:-0755}" "$w/state"
	binds+=("$w/state /var/lib/${set[StateDirectory]}")
fi
if [ -n "${set[RuntimeDirectory]:-}" ]; then
	mkdir -p "$w/runtime" && chmod "${set[RuntimeDirectoryMode]:-0755}" "$w/runtime"
	binds+=("$w/runtime /run/${set[RuntimeDirectory]}")
fi
n=0
for p in ${set[ReadWritePaths]:-}; do
	n=$((n + 1))
	mkdir -p "$w/rw-$n"
	binds+=("$w/rw-$n ${p#-}")
done
env=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)
[ -z "${set[RuntimeDirectory]:-}" ] || env+=(RUNTIME_DIRECTORY="/run/${set[RuntimeDirectory]}")
[ -z "${set[StateDirectory]:-}" ] || env+=(STATE_DIRECTORY="/var/lib/${set[StateDirectory]}")

if [ $check = 1 ]; then
	final=(sh -c 'grep -E "^(CapEff|NoNewPrivs)" /proc/self/status; umask
		for f in /var/lib/gmt-probe /run/gmt-probe /usr/gmt-probe /tmp/gmt-probe "$@"; do
			if touch "$f" 2>/dev/null; then echo "writable $f"; rm -f "$f"; else echo "read-only $f"; fi
		done' sh)
	for b in "${binds[@]}"; do final+=("${b#* }/gmt-probe"); done
elif [ ${#instead[@]} -gt 0 ]; then
	final=("${instead[@]}")
else
	final=("${cmd[@]}")
fi

# Inside the namespace: mount points, read-only remounts, binds, tmpfs; then the command.
export W=$w UMASK=${set[UMask]:-0022} PRIVATE_TMP=${set[PrivateTmp]:-no}
export BINDS
BINDS=$(printf '%s\n' "${binds[@]}")
exec unshare -m --propagation private bash -c '
set -euo pipefail
k=0
# Mount points that do not exist here: an overlay on the nearest existing parent, so
# that its contents stay as they are and only the new directory appears.
while read -r src dst; do
	[ -n "$dst" ] && [ ! -e "$dst" ] || continue
	a=$dst
	while [ ! -e "$a" ]; do a=$(dirname "$a"); done
	[ "$a" != / ] || { echo "unit_sandbox: no parent for $dst" >&2; exit 2; }
	k=$((k + 1))
	mkdir -p "$W/ov-$k/upper" "$W/ov-$k/work"
	mount -t overlay "overlay-$k" -o "lowerdir=$a,upperdir=$W/ov-$k/upper,workdir=$W/ov-$k/work" "$a"
	mkdir -p "$dst"
done <<< "$BINDS"
# ProtectSystem=strict: everything read-only but the API file systems (the mounts that
# are read-only already are left as they are).
awk "\$6 !~ /^ro/ {print \$5}" /proc/self/mountinfo | sort -u | while read -r mp; do
	case $mp in /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) continue ;; esac
	mount -o remount,bind,ro "$mp" 2>/dev/null || true
done
# The writable directories, each its own mount, made writable again.
while read -r src dst; do
	[ -n "$dst" ] || continue
	mount --bind "$src" "$dst"
	mount -o remount,bind,rw "$dst"
done <<< "$BINDS"
if [ "$PRIVATE_TMP" = yes ]; then
	mount -t tmpfs -o mode=1777 tmpfs /tmp
	mount -t tmpfs -o mode=1777 tmpfs /var/tmp
fi
umask "$UMASK"
exec "$@"
' sandbox setpriv "${priv[@]}" env -i "${env[@]}" "${final[@]}"
