#!/usr/bin/env bash
# The frozen CLI against the real sandbox (started from the development venv): sign-in through Keycloak's
# device flow, a package listing from S3 and Superposition, a KMS encryption. What it proves: the build
# holds every module and data file those paths load (botocore's service models are pruned to the
# services the app uses; see hyperota-desktop.spec). Its keyring is a real Secret Service (gnome-keyring
# on a private D-Bus session), as on a headless Linux desktop.
# Usage: packaging/smoke-sandbox.sh DIST PYTHON   (PYTHON: the venv's, with the sandbox)
set -euo pipefail
dist=$(realpath "$1")
python="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"  # not realpath: a venv python is a link
for tool in dbus-run-session gnome-keyring-daemon; do
	command -v "$tool" >/dev/null || { echo "smoke-sandbox: $tool missing (make system-deps)"; exit 1; }
done
work=$(mktemp -d)
sandbox_pid=""
cleanup() {
	if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -m 700 "$work/run"
HYPEROTA_HOME=$work/sandbox-home PYTHON_KEYRING_BACKEND=keyring.backends.null.Keyring \
	"$python" -c 'import sys; from hyperota_desktop.app.cli_entry import main; sys.exit(main())' \
	sandbox up --endpoints-file "$work/endpoints.json" --auto-approve alice --demo 2>"$work/sandbox.log" &
sandbox_pid=$!
for _ in $(seq 1 600); do
	grep -q "Demo ready" "$work/sandbox.log" 2>/dev/null && break
	kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.log"; echo "the sandbox did not start"; exit 1; }
	sleep 0.2
done
grep -q "Demo ready" "$work/sandbox.log" || { cat "$work/sandbox.log"; echo "no demo content"; exit 1; }
printf 'API_TOKEN=not-a-real-token\nPORT=8080\n' >"$work/server.env"
env -u DBUS_SESSION_BUS_ADDRESS -u PYTHON_KEYRING_BACKEND HOME="$work" XDG_RUNTIME_DIR="$work/run" \
	XDG_DATA_HOME="$work/data" XDG_CONFIG_HOME="$work/config" HYPEROTA_HOME="$work/home" \
	dbus-run-session -- bash -euo pipefail -c '
		printf smoke | gnome-keyring-daemon --unlock --components=secrets >/dev/null
		cli="$0/hyperota"
		"$cli" profile import "$1/endpoints.json" --name sb
		"$cli" --profile sb login >/dev/null  # the code and QR: approved by the sandbox
		"$cli" --profile sb --json package list --org demo --app shop >"$1/packages.json"
		grep -q "\"version\": 3" "$1/packages.json"
		"$cli" --profile sb secrets encrypt "$1/server.env" --keys API_TOKEN -o "$1/server.env.encrypted"
		grep -q "^API_TOKEN=" "$1/server.env.encrypted"
		! grep -q "not-a-real-token" "$1/server.env.encrypted"
	' "$dist" "$work"
echo "frozen CLI against the sandbox (Keycloak, S3, Superposition, KMS): ok"
