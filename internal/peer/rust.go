package peer

// RustInstall installs what the Rust peer builds with, from Debian's
// packages (its crates are read offline from Debian's registry directory).
const RustInstall = "apt-get install -y rustc cargo librust-tokio-dev librust-hyper-dev librust-tokio-postgres-dev librust-serde-json-dev librust-serde-dev librust-serde-derive-dev"

// The Rust peer: hyper 0.14 and tokio-postgres with rawsql's statements,
// built once per process with Debian's cargo, offline.
func init() {
	Register(Spec{
		Name:    "rust",
		Dir:     "peers/rust",
		Argv:    []string{"target/release/crudbench-peer", "--addr", "127.0.0.1:{port}"},
		Check:   []string{"sh", "-c", "test -x /usr/bin/cargo && ls -d /usr/share/cargo/registry/hyper-0.14* /usr/share/cargo/registry/tokio-postgres-0.7* >/dev/null"},
		Install: RustInstall,
		Build:   []string{"/usr/bin/cargo", "build", "--release", "--offline", "--quiet"},
	})
}
