# Two commands on a fresh machine: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Debian packages Qt needs: fonts (without them Qt draws boxes), xcb libs for a real window,
# Xvfb for a window on a machine without a display, dbus + gnome-keyring for the real keyring test.
DEB_PACKAGES := fonts-dejavu-core libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 \
	libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xinerama0 libxcb-xkb1 \
	libxcb-randr0 libxcb-shape0 libxcb-cursor0 libdbus-1-3 xvfb xauth dbus-daemon gnome-keyring

.PHONY: run test reliability lint bench sandbox system-deps clean package lock screenshots

# Installs come from the lock (exact versions, hash-checked), then the project itself without deps:
# a fresh machine gets the versions the tests passed with. `make lock` updates it (docs/contributing.md).
LOCK := requirements/lock.txt
PACKAGE_LOCK := requirements/package.txt
PIP_COMPILE := $(PY) -m piptools compile --quiet --strip-extras --generate-hashes --allow-unsafe \
	--no-emit-index-url --no-emit-find-links

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

# Re-resolve the lock from pyproject.toml (newest versions it allows); commit the result after `make test`.
# Upgrade one package only: make lock LOCK_ARGS='--upgrade-package httpx'.
lock: $(STAMP)
	$(PIP_COMPILE) $(LOCK_ARGS) --extra sandbox --extra test --extra dev -o $(LOCK) pyproject.toml
	$(PIP_COMPILE) $(LOCK_ARGS) -c $(LOCK) --extra package -o $(PACKAGE_LOCK) pyproject.toml

system-deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Debian packages:" $$missing; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Please install these Debian packages (needs root): $$missing"; exit 1; \
		fi; \
	fi

run: system-deps $(STAMP)
	@if [ -z "$$DISPLAY" ] && [ -z "$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
		echo "No display found: starting on a virtual X display (xvfb-run)."; \
		xvfb-run -a -s '-screen 0 1400x900x24' $(VENV)/bin/hyperota-desktop --sandbox; \
	else \
		$(VENV)/bin/hyperota-desktop --sandbox; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

test: system-deps $(STAMP) lint
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# The rest of the reliability matrix (docs/reliability.md): `make test` runs a sample of it.
reliability: system-deps $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m matrix tests/reliability

# The publish benchmark compares against `aws s3 sync`: the AWS CLI goes in its own venv (it pins botocore).
AWSCLI_VENV := .venv-awscli
bench: system-deps $(STAMP)
	@command -v aws >/dev/null || test -x $(AWSCLI_VENV)/bin/aws || \
		{ python3 -m venv $(AWSCLI_VENV) && $(AWSCLI_VENV)/bin/pip install --quiet awscli; }
	PATH="$$PATH:$(CURDIR)/$(AWSCLI_VENV)/bin" QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

# The pictures in docs/screenshots/ (README): every page, light and dark, taken offscreen by the tests.
screenshots: system-deps $(STAMP)
	HYPEROTA_SCREENSHOTS=$(CURDIR)/docs/screenshots QT_QPA_PLATFORM=offscreen \
		$(PY) -m pytest -q tests/ui/test_screenshots.py
	@du -ch docs/screenshots/*.png | tail -1

sandbox: $(STAMP)
	$(VENV)/bin/hyperota sandbox up

clean:
	rm -rf $(VENV) build dist artifacts .pytest_cache .mypy_cache .ruff_cache *.egg-info

package: system-deps $(STAMP)
	$(PY) -m pip install --quiet --require-hashes -r $(PACKAGE_LOCK)
	cd packaging && ../$(VENV)/bin/pyinstaller --noconfirm --distpath ../dist --workpath ../build hyperota-desktop.spec
	packaging/smoke.sh dist/hyperota-desktop $(PY)
	packaging/smoke-sandbox.sh dist/hyperota-desktop $(PY)
	@du -sh dist/hyperota-desktop
