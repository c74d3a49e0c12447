#!/usr/bin/env bash
# Builds the Rust peer offline with Debian's cargo and rustc and the crates
# Debian's librust-*-dev packages install (see .cargo/config.toml). Install
# them first with:
#   apt-get install -y rustc cargo librust-tokio-dev librust-hyper-dev librust-tokio-postgres-dev
# The binary is target/release/crudbench-peer.
set -euo pipefail
cd "$(dirname "$0")"
exec /usr/bin/cargo build --release --offline "$@"
