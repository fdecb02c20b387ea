# Two commands on a fresh machine: `make run` (the chat) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install ocr run test browser bench eval screenshot docs clean

install: $(VENV)/.installed ocr

# OCR of scanned pages and images uses Debian's Tesseract with its Korean model. It is optional at
# run time (a scan then gets one line saying what to install), so a machine without apt-get or root
# only hears what to install.
ocr:
	@test -f /usr/share/tesseract-ocr/5/tessdata/kor.traineddata || { \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			echo "installing Debian tesseract-ocr and tesseract-ocr-kor for OCR of scanned documents"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-kor >/dev/null; \
		else echo "OCR of scanned documents needs: apt-get install tesseract-ocr tesseract-ocr-kor (skipped: not root)"; fi; }

# torch is installed first and alone: pinned to the CPU build that lies on these
# machines, so no later requirement can pull a multi-gigabyte CUDA build.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test,qdrant]'
	touch $@

run: install
	$(BIN)/reportqa serve

# The UI tests drive Debian's chromium (no browser download); the ingest tests draw Korean PDFs
# with Debian's NanumGothic. Install both when either is missing.
browser:
	@{ command -v chromium >/dev/null 2>&1 && test -d /usr/share/fonts/truetype/nanum; } || { \
		echo "installing Debian chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-nanum >/dev/null; }

test: install browser
	$(BIN)/python -m pytest -m "not slow"

bench: install
	$(BIN)/reportqa bench

# The README's picture: the browser test's screenshot of the chat, copied by hand on purpose
# (tests never write tracked files, so `git status` stays clean after `make test`).
screenshot: install browser
	$(BIN)/python -m pytest -q tests/app/test_chat.py -k showcase
	cp test-output/app/chat.png docs/screenshot.png

# docs/cli.md is `reportqa … --help` of every command, rewritten by cog (tests/test_docs_cli.py checks it);
# docs/openapi.json is the HTTP API's schema (tests/app/test_http_api.py checks it).
docs: install
	$(BIN)/cog -r docs/cli.md
	$(BIN)/python -c "import json; from reportqa.http_api import api_schema; print(json.dumps(api_schema(), indent=1, ensure_ascii=False))" > docs/openapi.json

eval: install
	$(BIN)/reportqa eval --out eval/out

clean:
	rm -rf $(VENV) data *.egg-info
