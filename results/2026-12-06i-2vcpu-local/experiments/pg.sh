#!/bin/bash
# usage: pg.sh start CPUS | stop
set -e
D=/tmp/pin/pgdata; BIN=/usr/lib/postgresql/15/bin
case $1 in
start)
  rm -rf $D; mkdir -p $D; chown postgres $D
  su postgres -c "$BIN/initdb -D $D/data -A trust -U postgres -E UTF8 --no-locale --no-sync >/dev/null"
  T="taskset -c $2"; [ "$2" = - ] && T=""
  su postgres -c "$T $BIN/pg_ctl -D $D/data -l $D/log -w start -o '-p 5499 -k $D -c listen_addresses=127.0.0.1 -c max_connections=200 -c client_connection_check_interval=500ms -c fsync=off -c synchronous_commit=off -c full_page_writes=off'" >/dev/null
  ;;
stop) su postgres -c "$BIN/pg_ctl -D $D/data -m fast stop" >/dev/null; rm -rf $D;;
esac
