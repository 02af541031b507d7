#!/bin/sh
# Installs every build, test and demo dependency of pitlane on Debian 12, as root.
# Idempotent: packages already present are left alone; apt-get runs only when one is missing.
set -eu

PKGS="build-essential cmake pkg-config git ca-certificates
libssl-dev openssl
libp11-kit-dev p11-kit softhsm2 opensc gnutls-bin
libsqlite3-dev sqlite3
libsocketcan-dev
libcriterion-dev
libevent-dev
libcurl4-openssl-dev curl
libfyaml-dev
clang llvm clang-format-14
qemu-system-x86 busybox-static cpio xz-utils can-utils kmod
man-db groff-base
dpkg-dev debhelper fakeroot
python3 python3-cryptography tzdata shellcheck
libseccomp-dev systemd libengine-pkcs11-openssl iproute2 util-linux"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (or: sudo $0) to install them" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# --no-install-recommends keeps qemu from pulling in a GUI stack.
apt-get install -y -qq --no-install-recommends $missing
