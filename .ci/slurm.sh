#!/usr/bin/env bash
# SLURM end-to-end check of "gridcells sweep" (issue 6): on Debian 12 as root, install
# slurm-wlm and munge, start a single-node cluster on localhost (munged, slurmctld, slurmd;
# no cgroups, no systemd, no accounting database), expand a 3-run sweep, submit it with
# "gridcells sweep submit --slurm", wait for the job array, and check with
# "gridcells sweep collect --require-finished" that every run finished and was collected.
# Everything it starts is stopped on exit. Called by .ci/run; runs alone too:
#   sudo bash .ci/slurm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

timeout_s=${SLURM_CI_TIMEOUT:-600} # wait for the array at most this long
work=$(mktemp -d /tmp/gridcells-slurm-ci.XXXXXX)
conf=/etc/slurm/slurm.conf
started=() # pid files of the daemons this script started

log() { echo "slurm.sh: $*"; }
die() {
	log "FAIL: $*"
	for f in "$work"/state/slurmctld.log "$work"/spool/slurmd.log; do
		[ -f "$f" ] && { echo "---- $f (tail)"; tail -n 40 "$f"; }
	done
	for f in "$work"/sweep/logs/*.out "$work"/sweep/runs/*/train.log; do
		[ -f "$f" ] && { echo "---- $f"; tail -n 20 "$f"; }
	done
	exit 1
}

cleanup() {
	local pf pid
	for pf in "${started[@]}"; do
		[ -f "$pf" ] || continue
		pid=$(cat "$pf" 2>/dev/null || true)
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	# Give them a moment to exit before the work directory (their state) goes.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		local alive=0
		for pf in "${started[@]}"; do
			pid=$(cat "$pf" 2>/dev/null || true)
			[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" = 0 ] && break
		sleep 0.5
	done
	[ -n "${keep_conf:-}" ] || rm -f "$conf"
	rm -rf "$work"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || die "must run as root (it installs packages and starts daemons)"

# ---- install (quietly; only what is missing)
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
	log "installing slurm-wlm and munge"
	t0=$SECONDS
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || die "apt-get update failed"
	apt-get install -y -qq slurm-wlm munge >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; die "apt-get install failed"; }
	log "installed in $((SECONDS - t0)) s"
fi
log "$(slurmctld -V)"

# ---- munge: a key, then munged (as the munge user, which it requires)
if ! (munge -n | unmunge) >/dev/null 2>&1; then
	if [ ! -s /etc/munge/munge.key ]; then
		log "creating the munge key"
		install -d -o munge -g munge -m 0700 /etc/munge
		if command -v mungekey >/dev/null; then
			mungekey --create --keyfile=/etc/munge/munge.key --force
		else
			dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
		fi
		chown munge:munge /etc/munge/munge.key
		chmod 0400 /etc/munge/munge.key
	fi
	install -d -o munge -g munge -m 0755 /run/munge
	install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
	runuser -u munge -- /usr/sbin/munged
	started+=(/run/munge/munged.pid)
	for _ in $(seq 50); do (munge -n | unmunge) >/dev/null 2>&1 && break; sleep 0.1; done
	(munge -n | unmunge) >/dev/null 2>&1 || die "munged does not answer"
	log "munged started"
else
	log "munged already running"
fi

# ---- slurm.conf: one node, localhost, no cgroups (proctrack/linuxproc, task/none), no
# accounting; state, spool, logs and pid files under the work directory.
if [ -e "$conf" ] && ! grep -q '^# gridcells CI' "$conf"; then
	die "$conf exists and is not ours; refusing to overwrite a real cluster's configuration"
fi
mkdir -p "$work/state" "$work/spool"
# Cores and memory as slurmd sees them ("slurmd -C"), under the name localhost.
hw=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //')
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$hw")
hw=$(sed -e 's/RealMemory=[0-9]*//' <<<"$hw")
cat >"$conf" <<EOF
# gridcells CI: single-node cluster written by .ci/slurm.sh (removed when it exits)
ClusterName=gridcells-ci
SlurmctldHost=localhost
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CryptoType=crypto/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MaxArraySize=1001
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/state/slurmctld.pid
SlurmdPidFile=$work/spool/slurmd.pid
SlurmctldLogFile=$work/state/slurmctld.log
SlurmdLogFile=$work/spool/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=10
NodeName=localhost NodeAddr=127.0.0.1 $hw RealMemory=$((mem * 9 / 10)) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
log "wrote $conf: $(grep '^NodeName' "$conf")"

# ---- daemons
slurmctld -c -f "$conf"
started+=("$work/state/slurmctld.pid")
slurmd -N localhost -f "$conf"
started+=("$work/spool/slurmd.pid")
state=""
for _ in $(seq 120); do
	state=$(sinfo -h -N -n localhost -o '%T' 2>/dev/null || true)
	case "$state" in
	idle*) break ;;
	down* | drain*) scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true ;;
	esac
	sleep 0.5
done
[[ "$state" == idle* ]] || die "node localhost is '${state:-unknown}', not idle, after 60 s"
log "node localhost idle; MaxArraySize $(scontrol show config | sed -n 's/^MaxArraySize *= *//p')"

# ---- the sweep: build, expand 3 tiny runs, submit, wait, collect
bin="$work/gridcells"
go build -o "$bin" ./cmd/gridcells
sweep_dir="$work/my sweep" # a space, as in many home directories: sbatch splits #SBATCH lines at spaces
n=$("$bin" sweep expand sweep/testdata/tiny.yaml --out "$sweep_dir")
[ "$n" = 3 ] || die "expand printed '$n' runs, want 3"
t0=$SECONDS
# --max-array-size 2 splits the 3 rows into two arrays, exercising the index offset.
ids=$("$bin" sweep submit "$sweep_dir" --slurm --cpus 1 --time 10 --max-array-size 2 --job-name gridcells-ci)
ids=$(echo $ids)
[ "$(wc -w <<<"$ids")" = 2 ] || die "submit printed job ids '$ids', want 2 (3 rows split by MaxArraySize 2)"
log "submitted job arrays $ids"
jobs=${ids// /,}
while [ -n "$(squeue -h -j "$jobs" -o '%i %T' 2>/dev/null)" ]; do
	[ $((SECONDS - t0)) -lt "$timeout_s" ] || { squeue -j "$jobs"; die "arrays $ids still queued or running after $timeout_s s"; }
	sleep 1
done
log "arrays $ids left the queue after $((SECONDS - t0)) s"
# Every task completed with exit code 0 (job records stay for MinJobAge = 300 s).
tasks=$(for id in $ids; do scontrol -o show job "$id"; done | grep -o 'JobId=[0-9]* .*' |
	sed -E 's/^JobId=([0-9]+).* ArrayJobId=([0-9]+) ArrayTaskId=([0-9]+).* JobState=([A-Z_]+).* ExitCode=([0-9:]+).*/\2_\3 \4 \5/')
echo "$tasks" | sed 's/^/  task /'
[ "$(grep -c ' COMPLETED 0:0$' <<<"$tasks")" = 3 ] || die "want 3 tasks COMPLETED with exit code 0:0"
"$bin" sweep collect "$sweep_dir" --require-finished || die "not every run finished"
rows=$(($(wc -l <"$sweep_dir/runs.csv") - 1))
[ "$rows" = 3 ] || die "runs.csv has $rows rows, want 3"
[ "$(ls "$sweep_dir"/logs/slurm-*.out | wc -l)" = 3 ] || die "want one SLURM log per task"
log "OK: 3 runs submitted as 2 SLURM arrays, finished and collected in $((SECONDS - t0)) s"

# The Go test of the same path (skipped by "go test ./..." where no cluster answers).
t0=$SECONDS
go test -count=1 -run '^TestSweepSLURM$' ./cmd/gridcells/ || die "TestSweepSLURM failed"
log "OK: TestSweepSLURM in $((SECONDS - t0)) s"
