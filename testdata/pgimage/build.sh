#!/usr/bin/env bash
# build.sh builds a PostgreSQL image from this machine's own PostgreSQL 15
# install, pulling nothing: for Docker engines that cannot reach a registry.
#
#   testdata/pgimage/build.sh [--force] [TAG]
#
# TAG defaults to crudbench/postgres:15-local. An existing image is kept
# unless --force is given. The image holds /usr/lib/postgresql/15 (without
# the LLVM JIT), /usr/share/postgresql/15, /usr/share/zoneinfo, the shared
# libraries those need (found with ldd), /bin/sh (the host's dash) and a
# static Go entrypoint (./entrypoint) that behaves like the official
# image's for what the testcontainers-go postgres module relies on. Use it
# with CRUDBENCH_POSTGRES_IMAGE=crudbench/postgres:15-local.
#
# Environment: PG_VERSION (default 15), PG_UID/PG_GID of the postgres user in
# the image (default 999).
set -euo pipefail
umask 022

force=0
tag=crudbench/postgres:15-local
for arg in "$@"; do
	case $arg in
	--force) force=1 ;;
	-h | --help)
		sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*)
		echo "build.sh: unknown option $arg" >&2
		exit 2
		;;
	*) tag=$arg ;;
	esac
done

pgver=${PG_VERSION:-15}
pguid=${PG_UID:-999}
pggid=${PG_GID:-999}
pglib=/usr/lib/postgresql/$pgver
pgshare=/usr/share/postgresql/$pgver
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [[ $force == 0 ]] && docker image inspect "$tag" >/dev/null 2>&1; then
	echo "build.sh: image $tag exists; use --force to rebuild"
	exit 0
fi
for p in "$pglib/bin/postgres" "$pglib/bin/initdb" "$pgshare/postgres.bki" /bin/dash; do
	[[ -e $p ]] || {
		echo "build.sh: $p is missing: install PostgreSQL $pgver server binaries (e.g. apt-get install postgresql-$pgver)" >&2
		exit 1
	}
done

start=$(date +%s.%N)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"

# Keep the host's merged-/usr layout (/lib -> usr/lib, ...), so that library
# paths reported by ldd and the ELF interpreter path stay valid.
for d in bin sbin lib lib32 lib64 libx32; do
	if [[ -L /$d ]]; then
		t=$(readlink "/$d")
		mkdir -p "$root/${t#/}"
		ln -s "$t" "$root/$d"
	fi
done

# copy_file PATH copies PATH into the root at the same path, recreating each
# symlink on the way to the real file.
copy_file() {
	local p=$1 t
	while [[ -L $p ]]; do
		[[ -e $root$p || -L $root$p ]] || cp -P --parents "$p" "$root/"
		t=$(readlink "$p")
		case $t in
		/*) p=$t ;;
		*) p=$(dirname "$p")/$t ;;
		esac
	done
	[[ -e $root$p ]] || cp -p --parents "$p" "$root/"
}

# copy_tree DIR copies directory DIR into the root, as hard links when the
# temporary directory is on the same file system (nothing is modified).
copy_tree() {
	mkdir -p "$root$(dirname "$1")"
	cp -al "$1" "$root$(dirname "$1")/" 2>/dev/null || cp -a "$1" "$root$(dirname "$1")/"
}

# PostgreSQL itself, without the LLVM JIT (libLLVM alone is ~100 MB; the
# server runs without JIT when llvmjit.so is absent) and man pages.
copy_tree "$pglib"
rm -rf "$root$pglib/lib/llvmjit.so" "$root$pglib/lib/llvmjit_types.bc" "$root$pglib/lib/bitcode"
copy_tree "$pgshare"
rm -rf "$root$pgshare/man"
# Debian builds PostgreSQL --with-system-tzdata.
[[ ! -d /usr/share/zoneinfo ]] || copy_tree /usr/share/zoneinfo

# /bin/sh: initdb runs the bootstrap backend through popen(3).
mkdir -p "$root/usr/bin"
cp -p "$(readlink -f /bin/dash)" "$root/bin/sh"

# Shared libraries of every ELF file copied so far, and the loader.
mapfile -t elves < <(find "$root$pglib/bin" "$root$pglib/lib" -type f \( -perm -u+x -o -name '*.so' \) | sort)
elves+=(/bin/dash)
declare -A seen=()
missing=0
for f in "${elves[@]}"; do
	out=$(ldd "$f" 2>/dev/null) || continue # not dynamic
	while read -r line; do
		lib=
		case $line in
		*"=> not found"*)
			echo "build.sh: $f: ${line%% *} not found" >&2
			missing=1
			;;
		*"=> /"*) lib=${line#*=> } && lib=${lib%% (*} ;;
		/*) lib=${line%% (*} ;;
		*) continue ;;
		esac
		[[ -n $lib && -z ${seen[$lib]:-} ]] || continue
		seen[$lib]=1
		copy_file "$lib"
	done <<<"$out"
done
[[ $missing == 0 ]] || {
	echo "build.sh: unresolved libraries" >&2
	exit 1
}

# Users, groups, name service, directories.
mkdir -p "$root/etc" "$root/tmp" "$root/var/lib/postgresql/data" "$root/var/run/postgresql" \
	"$root/usr/local/bin" "$root/docker-entrypoint-initdb.d" "$root/dev" "$root/proc" "$root/sys"
chmod 1777 "$root/tmp"
chmod 700 "$root/var/lib/postgresql/data"
chmod 2775 "$root/var/run/postgresql"
cat >"$root/etc/passwd" <<EOF
root:x:0:0:root:/root:/bin/sh
postgres:x:$pguid:$pggid:PostgreSQL administrator:/var/lib/postgresql:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$root/etc/group" <<EOF
root:x:0:
postgres:x:$pggid:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n' >"$root/etc/nsswitch.conf"
: >"$root/etc/hosts"
: >"$root/etc/resolv.conf"

# The entrypoint: static, no libc needed.
(cd "$here/entrypoint" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$root/usr/local/bin/docker-entrypoint" .)

# One tar stream, root-owned except the postgres user's directories, fed to
# docker import: a single layer, nothing pulled, no build context to send.
# import cannot set STOPSIGNAL, and postgres wants SIGINT (a fast shutdown;
# SIGTERM is a smart one that waits for clients to leave), so a one-line
# build on top sets it: each classic-builder step costs a container commit,
# hence not a FROM scratch Dockerfile with one step per setting.
old=$(docker image inspect -f '{{.Id}}' "$tag" 2>/dev/null || true)
tmptag=crudbench-pgimage-tmp:$$
tar -C "$root" --numeric-owner --owner=0 --group=0 \
	--exclude=./var/lib/postgresql --exclude=./var/run/postgresql -cf "$work/rootfs.tar" .
tar -C "$root" --numeric-owner --owner="$pguid" --group="$pggid" \
	-rf "$work/rootfs.tar" ./var/lib/postgresql ./var/run/postgresql
mkdir "$work/empty"
docker import \
	--change "ENV PATH=$pglib/bin:/usr/local/bin:/usr/bin:/bin PGDATA=/var/lib/postgresql/data LANG=C.UTF-8" \
	--change "LABEL org.opencontainers.image.description=\"PostgreSQL $pgver from the build host's install, built by crudbench testdata/pgimage/build.sh\"" \
	--change "USER postgres" \
	--change "WORKDIR /var/lib/postgresql" \
	--change "VOLUME /var/lib/postgresql/data" \
	--change "EXPOSE 5432" \
	--change 'ENTRYPOINT ["/usr/local/bin/docker-entrypoint"]' \
	--change 'CMD ["postgres"]' \
	"$work/rootfs.tar" "$tmptag" >/dev/null
printf 'FROM %s\nSTOPSIGNAL SIGINT\n' "$tmptag" >"$work/Dockerfile"
# The classic builder takes FROM from the local store; BuildKit (when the
# classic builder is gone) does too with the default docker driver.
if ! DOCKER_BUILDKIT=0 docker build -q -t "$tag" -f "$work/Dockerfile" "$work/empty" >"$work/build.log" 2>&1 &&
	! docker build -q -t "$tag" -f "$work/Dockerfile" "$work/empty" >>"$work/build.log" 2>&1; then
	cat "$work/build.log" >&2
	docker rmi "$tmptag" >/dev/null 2>&1 || true
	echo "build.sh: docker build failed" >&2
	exit 1
fi
docker rmi "$tmptag" >/dev/null
new=$(docker image inspect -f '{{.Id}}' "$tag")
if [[ -n $old && $old != "$new" ]]; then
	docker rmi "$old" >/dev/null 2>&1 || echo "build.sh: previous image ${old:7:12} kept (in use?)" >&2
fi

end=$(date +%s.%N)
size=$(docker image inspect -f '{{.Size}}' "$tag")
awk -v tag="$tag" -v s="$start" -v e="$end" -v size="$size" \
	'BEGIN { printf "build.sh: built %s in %.1fs; image size %d bytes (%.1f MB)\n", tag, e - s, size, size / 1e6 }'
