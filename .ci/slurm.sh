#!/usr/bin/env bash
# Install and start a one-node SLURM cluster on this machine, for tests/test_slurm.py.
#
#   sudo .ci/slurm.sh            # Debian 12 / Ubuntu, as root; idempotent (safe to run again)
#
# What it does, each step skipped when already done:
#   1. apt-get install slurm-wlm slurmdbd munge mariadb-server (Debian's packages);
#   2. a munge key, and munged;
#   3. MariaDB and slurmdbd (job accounting, so that `sacct` works: Slurm 22.05 has no
#      file-based accounting storage, and the Snakemake SLURM plugin asks `sacct` for job states);
#   4. /etc/slurm/slurm.conf from tests/slurm/slurm.conf.in: one node (this host, its CPUs and
#      90% of its memory), partition `debug` (default), select/cons_tres, proctrack/linuxproc,
#      task/none (no systemd and no cgroups needed: works in containers);
#   5. slurmctld and slurmd; then it waits until `sinfo` shows the node idle, `srun hostname`
#      runs, and a batch job shows up in `sacct` as COMPLETED.
# The daemons are started directly (no systemd), log to /var/log/slurm/ and keep running after
# the script exits. On failure it says which step failed and why, shows the relevant log, and
# exits non-zero.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEMPLATES="$ROOT/tests/slurm"
CLUSTER=marlbc
ACCOUNT=marlbc
WAIT_S=${SLURM_SH_WAIT_S:-90}

say() { echo "slurm.sh: $*"; }
die() {
    echo "slurm.sh: ERROR: $1" >&2
    shift
    for log in "$@"; do
        if [ -f "$log" ]; then
            echo "----- last lines of $log -----" >&2
            tail -n 25 "$log" >&2
        fi
    done
    exit 1
}
# retry CMD until it succeeds or WAIT_S seconds have passed
wait_for() {
    local i
    for ((i = 0; i < WAIT_S; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    return 1
}
# /run/slurm/<daemon>.pid names a live process of that daemon. A pid file left by a machine that
# was stopped without stopping the daemons can name a pid that now belongs to another process
# (pids repeat after a boot): the process's name must be the daemon's too.
pid_alive() {
    local pid
    [ -f "$1" ] && pid=$(cat "$1") && kill -0 "$pid" 2>/dev/null \
        && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$(basename "$1" .pid)" ]
}
stop_pidfile() {   # stop a daemon that this script started (known by its pid file)
    local pidfile=$1 pid i
    pid_alive "$pidfile" || return 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 1; done
    die "could not stop pid $pid ($pidfile)"
}

if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo -E bash "$0" "$@"
    fi
    die "must run as root (it installs packages with apt-get and starts system daemons); sudo is not available"
fi
command -v apt-get >/dev/null || die "needs apt-get (Debian/Ubuntu); install SLURM with your system's packages instead"

# --- 1. packages ---------------------------------------------------------------------------
need=()
for bin in slurmctld slurmd slurmdbd sbatch sacct sacctmgr munged mariadbd mysqladmin; do
    command -v "$bin" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$bin" >/dev/null 2>&1 \
        || need+=("$bin")
done
export PATH="$PATH:/usr/sbin:/sbin"
if [ ${#need[@]} -gt 0 ]; then
    say "installing slurm-wlm slurmdbd munge mariadb-server (missing: ${need[*]})"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed (no network or no package mirror?)"
    apt-get install -y -qq --no-install-recommends slurm-wlm slurmdbd munge mariadb-server >/tmp/slurm-sh-apt.log 2>&1 \
        || die "apt-get install failed" /tmp/slurm-sh-apt.log
fi
say "$(sinfo --version 2>/dev/null || echo 'slurm (version unknown)'), $(munged --version 2>&1 | head -1)"
mkdir -p /run/slurm /var/log/slurm /var/lib/slurm/slurmd /var/lib/slurm/slurmctld

# --- 2. munge ------------------------------------------------------------------------------
if [ ! -s /etc/munge/munge.key ]; then
    say "creating a munge key"
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then mungekey --create --force
    else dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none; fi
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 700 /etc/munge
chmod 400 /etc/munge/munge.key
munge_ok() { munge -n | unmunge >/dev/null; }
if ! munge_ok 2>/dev/null; then
    say "starting munged"
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- munged || die "munged did not start" /var/log/munge/munged.log
    wait_for munge_ok || die "munge does not answer (munge -n | unmunge fails)" /var/log/munge/munged.log
fi
say "munge: ok"

# --- 3. MariaDB and slurmdbd ----------------------------------------------------------------
if ! mysqladmin ping >/dev/null 2>&1; then
    say "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    if [ ! -d /var/lib/mysql/mysql ]; then
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/tmp/slurm-sh-mariadb-install.log 2>&1 \
            || die "mariadb-install-db failed" /tmp/slurm-sh-mariadb-install.log
    fi
    (cd / && setsid nohup mysqld_safe --user=mysql </dev/null >/var/log/slurm/mysqld_safe.log 2>&1 &)
    wait_for mysqladmin ping || die "MariaDB did not start within ${WAIT_S}s" /var/log/slurm/mysqld_safe.log /var/log/mysql/error.log
fi
say "MariaDB: ok"

DBPASS=""
[ -f /etc/slurm/slurmdbd.conf ] && DBPASS=$(sed -n 's/^StoragePass=//p' /etc/slurm/slurmdbd.conf)
[ -n "$DBPASS" ] || DBPASS=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
mysql -u root <<SQL || die "could not create the database user for slurmdbd (mysql as root over the local socket)"
CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
ALTER USER 'slurm'@'localhost' IDENTIFIED BY '$DBPASS';
CREATE DATABASE IF NOT EXISTS slurm_acct_db;
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';
SQL

# Render a template to DEST; returns 0 when DEST changed (the daemon must be (re)started).
render() {
    local tmpl=$1 dest=$2 mode=$3 tmp
    shift 3
    tmp=$(mktemp)
    sed "$@" "$tmpl" >"$tmp"
    if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then rm -f "$tmp"; return 1; fi
    install -m "$mode" -o root -g root "$tmp" "$dest"
    rm -f "$tmp"
    return 0
}
mkdir -p /etc/slurm
dbd_changed=0
render "$TEMPLATES/slurmdbd.conf.in" /etc/slurm/slurmdbd.conf 600 -e "s|@DBPASS@|$DBPASS|g" && dbd_changed=1
if [ "$dbd_changed" = 1 ] && pid_alive /run/slurm/slurmdbd.pid; then
    say "slurmdbd.conf changed: restarting slurmdbd"
    stop_pidfile /run/slurm/slurmdbd.pid
fi
dbd_ok() { sacctmgr -n list cluster format=cluster >/dev/null; }
if ! pid_alive /run/slurm/slurmdbd.pid; then
    say "starting slurmdbd"
    slurmdbd || die "slurmdbd did not start" /var/log/slurm/slurmdbd.log
fi
# slurm.conf must exist for sacctmgr to find slurmdbd: render it first (below) if missing.

# --- 4. slurm.conf ----------------------------------------------------------------------------
HOST=$(hostname -s)
CPUS=$(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p' | head -1)
MEM=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -1)
[ -n "$CPUS" ] && [ -n "$MEM" ] || die "slurmd -C did not report CPUs and RealMemory"
MEM=$((MEM * 9 / 10))   # leave room: a node that reports less than RealMemory is drained
conf_changed=0
render "$TEMPLATES/slurm.conf.in" /etc/slurm/slurm.conf 644 \
    -e "s|@HOST@|$HOST|g" -e "s|@CPUS@|$CPUS|g" -e "s|@MEM@|$MEM|g" && conf_changed=1
say "slurm.conf: node $HOST, CPUs=$CPUS, RealMemory=${MEM} MB, partition debug"

wait_for dbd_ok || die "slurmdbd does not answer (sacctmgr list cluster fails)" /var/log/slurm/slurmdbd.log
if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null || die "sacctmgr add cluster $CLUSTER failed" /var/log/slurm/slurmdbd.log
fi
if ! sacctmgr -n -P list account format=account | grep -qx "$ACCOUNT"; then
    sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="marlbc CI" Organization=marlbc >/dev/null \
        || die "sacctmgr add account $ACCOUNT failed" /var/log/slurm/slurmdbd.log
fi
for user in root ${SUDO_USER:-}; do   # may submit under account $ACCOUNT (slurm_account=$ACCOUNT)
    if ! sacctmgr -n -P list assoc user="$user" account="$ACCOUNT" format=user | grep -qx "$user"; then
        sacctmgr -i add user "$user" Account="$ACCOUNT" DefaultAccount="$ACCOUNT" Cluster="$CLUSTER" >/dev/null \
            || die "sacctmgr add user $user failed" /var/log/slurm/slurmdbd.log
    fi
done
say "slurmdbd: ok (cluster $CLUSTER, account $ACCOUNT)"

# --- 5. slurmctld and slurmd -----------------------------------------------------------------
if [ "$conf_changed" = 1 ] || [ "$dbd_changed" = 1 ]; then
    if pid_alive /run/slurm/slurmctld.pid || pid_alive /run/slurm/slurmd.pid; then
        say "configuration changed: restarting slurmctld and slurmd"
    fi
    stop_pidfile /run/slurm/slurmd.pid
    stop_pidfile /run/slurm/slurmctld.pid
fi
if ! pid_alive /run/slurm/slurmctld.pid; then
    say "starting slurmctld"
    slurmctld || die "slurmctld did not start" /var/log/slurm/slurmctld.log
fi
wait_for scontrol ping || die "slurmctld does not answer (scontrol ping)" /var/log/slurm/slurmctld.log
if ! pid_alive /run/slurm/slurmd.pid; then
    say "starting slurmd"
    slurmd || die "slurmd did not start" /var/log/slurm/slurmd.log
fi

node_state() { sinfo -h -N -n "$HOST" -o %T 2>/dev/null | head -1; }
node_ready() { case "$(node_state)" in idle | mixed | allocated | completing) return 0 ;; *) return 1 ;; esac; }
if ! wait_for node_ready; then
    # a node left drained or down by an earlier run: put it back in service once
    scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
    wait_for node_ready || die "node $HOST is '$(node_state)', not idle, after ${WAIT_S}s ($(sinfo -h -R -o '%E' | head -1))" \
        /var/log/slurm/slurmd.log /var/log/slurm/slurmctld.log
fi
say "sinfo: node $HOST $(node_state)"

out=$(timeout "$WAIT_S" srun -t 1 -n 1 hostname 2>&1) || die "srun hostname failed: $out" /var/log/slurm/slurmd.log /var/log/slurm/slurmctld.log
say "srun hostname: $out"

jobid=$(sbatch --parsable -t 1 -J slurm-sh-check -o /dev/null --wait --wrap true 2>&1) \
    || die "sbatch --wait failed: $jobid" /var/log/slurm/slurmd.log /var/log/slurm/slurmctld.log
jobid=${jobid%%;*}
sacct_done() { [ "$(sacct -n -X -P -j "$jobid" -o State 2>/dev/null | head -1)" = COMPLETED ]; }
wait_for sacct_done || die "batch job $jobid is not COMPLETED in sacct after ${WAIT_S}s: '$(sacct -n -X -P -j "$jobid" -o State 2>&1)'" \
    /var/log/slurm/slurmdbd.log /var/log/slurm/slurmctld.log
say "sbatch + sacct: job $jobid COMPLETED"
say "ready: one-node cluster '$CLUSTER' on $HOST (partition debug, $CPUS CPUs, account $ACCOUNT)"
