# A throwaway one-node Slurm cluster (munged, slurmctld, slurmd) in a folder, for test/scale/run.sh.
# Source it, then: cluster_start DIR; ...; cluster_stop. Everything it starts carries
# MEDNER_SCALE_CLUSTER=DIR in its environment, and so do the jobs (sbatch exports the environment),
# so cluster_stop can find and end exactly those processes, even a job step that outlived slurmd.

cluster_log() { echo "test:scale: $*" >&2; }

# Two ports that nothing listens on now, for slurmctld and slurmd: a fixed port would clash with a
# Slurm already on this machine or with a second run of this test.
cluster_free_ports() {
  node -e '
    const net = require("net");
    const a = net.createServer().listen(0, "127.0.0.1", () => {
      const b = net.createServer().listen(0, "127.0.0.1", () => {
        console.log(a.address().port, b.address().port);
        a.close(); b.close();
      });
    });'
}

cluster_start() {
  CLUSTER_DIR=$1
  export MEDNER_SCALE_CLUSTER=$CLUSTER_DIR
  local d=$CLUSTER_DIR host ctld_port slurmd_port cpus
  mkdir -p "$d/munge" "$d/ctld" "$d/spool" "$d/log"
  host=$(hostname -s)
  read -r ctld_port slurmd_port < <(cluster_free_ports)
  # Never more CPUs than the machine has: slurmd would drain a node that claims more.
  cpus=$(nproc); ((cpus > 2)) && cpus=2

  mungekey --create --keyfile="$d/munge/munge.key"
  # --force: munged refuses to run as root without it.
  munged --foreground --force --key-file="$d/munge/munge.key" --socket="$d/munge/socket" \
    --pid-file="$d/munge/munged.pid" --seed-file="$d/munge/seed" --log-file="$d/log/munged.log" \
    >"$d/log/munged.out" 2>&1 &
  MUNGED_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do [ -S "$d/munge/socket" ] && break; sleep 0.1; done
  [ -S "$d/munge/socket" ] || { cluster_log "munged did not start"; return 1; }

  cat >"$d/slurm.conf" <<EOF
ClusterName=medner-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/socket
StateSaveLocation=$d/ctld
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
MailProg=/bin/true
# No cgroups (containers rarely delegate them) and no accounting database.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
# Without accounting, scontrol is the only record of how a job ended: keep finished jobs 10 minutes.
MinJobAge=600
NodeName=medner NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=medner Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF=$d/slurm.conf
  slurmctld -D -f "$SLURM_CONF" >"$d/log/slurmctld.out" 2>&1 &
  SLURMCTLD_PID=$!
  slurmd -D -N medner -f "$SLURM_CONF" >"$d/log/slurmd.out" 2>&1 &
  SLURMD_PID=$!

  local state="" deadline=$((SECONDS + 60))
  until [ "$state" = idle ]; do
    ((SECONDS < deadline)) || { cluster_log "the node is not idle after 60 s (state: ${state:-none})"; return 1; }
    local daemon
    for daemon in SLURMCTLD SLURMD; do
      local pid_var=${daemon}_PID
      kill -0 "${!pid_var}" 2>/dev/null || { cluster_log "${daemon,,} exited: $(tail -n 3 "$d/log/${daemon,,}.out")"; return 1; }
    done
    sleep 0.2
    # A client retries an absent controller for a while: bound each call.
    state=$(timeout 10 sinfo -h -n medner -o %T 2>/dev/null || true)
  done
}

# Ends jobs, daemons and any process left with this cluster's mark, each by its id.
cluster_stop() {
  [ -n "${CLUSTER_DIR:-}" ] || return 0
  if [ -n "${SLURMCTLD_PID:-}" ] && kill -0 "$SLURMCTLD_PID" 2>/dev/null; then
    timeout 10 scancel --quiet --full --user=root 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while ((SECONDS < deadline)) && [ -n "$(timeout 5 squeue -h -t RUNNING,COMPLETING,CONFIGURING -o %i 2>/dev/null)" ]; do
      sleep 0.2
    done
  fi
  local pid
  for pid in ${SLURMD_PID:-} ${SLURMCTLD_PID:-} ${MUNGED_PID:-}; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  for pid in $(cluster_marked_pids); do kill -KILL "$pid" 2>/dev/null; done
  SLURMD_PID="" SLURMCTLD_PID="" MUNGED_PID=""
}

cluster_marked_pids() {
  local env pid mark="MEDNER_SCALE_CLUSTER=$CLUSTER_DIR"
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    [ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
    tr '\0' '\n' 2>/dev/null <"$env" | grep -qxF -- "$mark" && echo "$pid"
  done
}
