# ardvc — everything a fresh machine needs goes through these targets.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-lab

.PHONY: demo test lint bench venv clean pg-server chromium ssh-server

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,postgres,web,s3,ssh]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/ardvc demo $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: $(STAMP) pg-server chromium ssh-server lint
	$(BIN)/pytest -q

# The index tests run a real PostgreSQL server (tests/pg.py). Install it when its server
# binaries are missing: as root with apt, apt-get; otherwise say how. Silent when present.
pg-server:
	@for d in "$$(dirname "$$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")" \
	          /usr/lib/postgresql/*/bin; do \
	  if [ -x "$$d/initdb" ] && [ -x "$$d/pg_ctl" ] && [ -x "$$d/postgres" ]; then exit 0; fi; \
	done; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing PostgreSQL for the index tests: apt-get install postgresql"; \
	  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends postgresql >/dev/null; then exit 0; fi; \
	  echo "apt-get install postgresql failed"; \
	else \
	  echo "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; install them:"; \
	  echo "  Debian/Ubuntu: sudo apt-get install postgresql   macOS: brew install postgresql"; \
	  echo "  Fedora: sudo dnf install postgresql-server"; \
	fi; \
	case "$$CI" in 1|true|yes|TRUE|True) echo "CI needs PostgreSQL: stopping"; exit 1;; esac; \
	echo "the PostgreSQL variants of the index tests will be skipped"

# The browser tests (tests/test_web_browser.py) drive Debian's Chromium through Playwright
# (no `playwright install`: it downloads). Install it when missing, as pg-server does.
chromium:
	@if [ -x /usr/bin/chromium ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing Chromium for the browser tests: apt-get install chromium"; \
	  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends chromium >/dev/null; then exit 0; fi; \
	  echo "apt-get install chromium failed"; \
	else \
	  echo "Chromium not found at /usr/bin/chromium; install it (Debian/Ubuntu: apt-get install chromium)"; \
	fi; \
	case "$$CI" in 1|true|yes|TRUE|True) echo "CI needs Chromium: stopping"; exit 1;; esac; \
	echo "the browser tests will be skipped"

# The sync and cache-remote tests run a real OpenSSH server on loopback (benchmarks/git_servers.py,
# tests/sshd.py). Install
# Debian's openssh-server when sshd is missing, as pg-server does for PostgreSQL.
ssh-server:
	@if [ -x /usr/sbin/sshd ] || command -v sshd >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing OpenSSH for the sync tests: apt-get install openssh-server"; \
	  if apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      --no-install-recommends openssh-server openssh-client >/dev/null; then exit 0; fi; \
	  echo "apt-get install openssh-server failed"; \
	else \
	  echo "OpenSSH's sshd not found; install it (Debian/Ubuntu: sudo apt-get install openssh-server)"; \
	fi; \
	case "$$CI" in 1|true|yes|TRUE|True) echo "CI needs sshd: stopping"; exit 1;; esac; \
	echo "the SSH variants of the sync tests will be skipped"

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache $(DEMO_DIR) benchmarks/results
