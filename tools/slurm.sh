#!/usr/bin/env bash
# A single-node Slurm cluster on localhost for the tests and benchmarks that
# send work to Slurm through future.batchtools (tests/testthat/test-zz-slurm.R,
# bench/slurm.R): Debian's slurmctld, slurmd and munge, every file (config,
# munge key and socket, state, spool, logs) in DIR, nothing in /etc touched.
#
#   tools/slurm.sh start DIR    # munged + slurmctld + slurmd; writes DIR/env
#   tools/slurm.sh stop DIR     # scancel everything, stop the daemons, rm DIR
#   tools/slurm.sh status DIR
#
# DIR/env sets SLURM_CONF (sbatch, squeue and scancel find the cluster through
# it). Needs root (slurmd starts jobs as their user). Works in a container
# without systemd or writable cgroups: proctrack/linuxproc (processes tracked
# through /proc), task/none, no cgroup, accounting or job-container plugin.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop|status DIR" >&2
  exit 2
fi

for b in slurmctld slurmd munged sbatch; do
  if ! command -v "$b" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$b" ]; then
    echo "slurm.sh: $b not found (install Debian's slurmctld, slurmd, slurm-client and munge)" >&2
    exit 3
  fi
done
export PATH="$PATH:/usr/sbin"

free_port() {
  local p
  for p in $(seq "$1" $(($1 + 200))); do
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# slurmd -C names this node; its CPUs, memory and name go into the config
node_line() {
  local host cpus mem
  host=$(hostname -s)
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.8 }' /proc/meminfo)
  echo "NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN"
}

case "$cmd" in
  start)
    if [ "$(id -u)" != 0 ]; then
      echo "slurm.sh: must run as root (slurmd starts jobs as their owner)" >&2
      exit 4
    fi
    if [ -f "$dir/env" ] && SLURM_CONF="$dir/slurm.conf" sinfo -h >/dev/null 2>&1; then
      cat "$dir/env"
      exit 0
    fi
    mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
    chmod 700 "$dir/munge"
    # munge: a private key and socket
    dd if=/dev/urandom of="$dir/munge/munge.key" bs=1 count=1024 status=none
    chmod 400 "$dir/munge/munge.key"
    # daemons in a clean environment and session, detached from the caller
    # (e.g. an R test process: its environment and pipes must not reach jobs)
    clean() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin setsid "$@" </dev/null >/dev/null 2>&1; }
    clean munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
      --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
      --seed-file="$dir/munge/munged.seed"
    ctld_port=$(free_port 16817)
    d_port=$(free_port $((ctld_port + 1)))
    cat > "$dir/slurm.conf" <<EOF
# written by tools/slurm.sh: a single-node test cluster
ClusterName=glycotrial
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
# containers: no cgroups, processes tracked through /proc
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# quick turn-around for tests
KillWait=2
MinJobAge=2
InactiveLimit=0
MessageTimeout=10
SlurmctldTimeout=30
SlurmdTimeout=30
$(node_line)
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
    cat > "$dir/env" <<EOF
SLURM_CONF=$dir/slurm.conf
EOF
    export SLURM_CONF="$dir/slurm.conf"
    clean slurmctld -f "$SLURM_CONF" -i
    clean slurmd -f "$SLURM_CONF"
    # wait until the node takes jobs
    for _ in $(seq 1 60); do
      state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
      case "$state" in
        idle*|mixed*|allocated*) cat "$dir/env"; exit 0 ;;
      esac
      sleep 0.5
    done
    echo "slurm.sh: the node did not become idle (state: ${state:-none}); logs:" >&2
    tail -20 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
    exit 5
    ;;
  stop)
    if [ -f "$dir/slurm.conf" ]; then
      export SLURM_CONF="$dir/slurm.conf"
      scancel --full --quiet $(squeue -h -o %i 2>/dev/null) 2>/dev/null || true
      for f in slurmd slurmctld munge/munged; do
        if [ -f "$dir/$f.pid" ]; then
          kill "$(cat "$dir/$f.pid")" 2>/dev/null || true
        fi
      done
      sleep 0.5
    fi
    rm -rf "$dir"
    ;;
  status)
    SLURM_CONF="$dir/slurm.conf" sinfo
    SLURM_CONF="$dir/slurm.conf" squeue
    ;;
  *)
    echo "usage: $0 start|stop|status DIR" >&2
    exit 2
    ;;
esac
