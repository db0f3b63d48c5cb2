# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CYCLEKIT := $(BIN)/cyclekit
OUT := workbooks
EXAMPLES := examples
AS_OF ?= 2026-11-23
# count sheets as PDF too when LibreOffice is installed
PDF := $(shell command -v soffice >/dev/null 2>&1 && echo --pdf)

.PHONY: demo demo-gsheets test test-313 install dev lint clean bench bench-smoke bench-gsheets golden

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

# the demo's floor and reviewer edit workbooks with openpyxl, as a person in Excel would: an extra, not
# a dependency of cyclekit; the benchmark's naive baseline is written with pandas
.PHONY: install-examples install-bench
install-examples: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[examples,report]'  # report: pandas, for `cyclekit report`

install-bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'

demo: install-examples
bench bench-smoke: install-bench

dev: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'

# the demo has a folder of its own: the README's walk-through writes workbooks/schedule.xlsx and
# workbooks/cycle-2026-11-23, and the demo neither takes nor deletes them
DEMO := $(OUT)/demo
CYCLE := $(DEMO)/cycle-$(AS_OF)
# the floor's filled sheets arrive outside the cycle folder, as from e-mail; ingest keeps copies in it
INBOX := $(DEMO)/inbox-$(AS_OF)
# the counters' messages, written as .eml files (send --dry-run): nothing leaves the machine
OUTBOX := $(DEMO)/outbox-$(AS_OF)

demo: install
	@mkdir -p $(DEMO)
	rm -rf $(CYCLE) $(INBOX) $(OUTBOX) $(DEMO)/schedule.xlsx  # the demo starts over: a schedule written over keeps its Last Counts
	$(CYCLEKIT) schedule $(EXAMPLES)/inventory.csv --locations $(EXAMPLES)/locations.csv \
		--config $(EXAMPLES)/cyclekit.toml --as-of $(AS_OF) -o $(DEMO)/schedule.xlsx
	$(CYCLEKIT) sheets $(DEMO)/schedule.xlsx $(EXAMPLES)/inventory.csv --config $(EXAMPLES)/cyclekit.toml \
		--as-of $(AS_OF) --due-within 7 $(PDF) -o $(CYCLE)
	$(CYCLEKIT) send $(CYCLE) --dry-run $(OUTBOX) --config $(EXAMPLES)/cyclekit.toml
	$(BIN)/python $(EXAMPLES)/simulate_floor.py $(CYCLE) --to $(INBOX)
	$(CYCLEKIT) ingest $(CYCLE) $(INBOX)/*.xlsx --config $(EXAMPLES)/cyclekit.toml $(PDF)
	$(BIN)/python $(EXAMPLES)/simulate_floor.py $(CYCLE) --recounts --to $(INBOX)
	$(CYCLEKIT) ingest $(CYCLE) $(INBOX)/*.xlsx --config $(EXAMPLES)/cyclekit.toml
	$(BIN)/python $(EXAMPLES)/simulate_review.py $(CYCLE)
	$(CYCLEKIT) finalize $(CYCLE) --schedule $(DEMO)/schedule.xlsx --config $(EXAMPLES)/cyclekit.toml \
		--signed-off-by "Sam Okafor"
	$(CYCLEKIT) status $(CYCLE) --config $(EXAMPLES)/cyclekit.toml
	$(CYCLEKIT) verify $(CYCLE)
	$(CYCLEKIT) report $(CYCLE) -o $(DEMO)/report.xlsx --config $(EXAMPLES)/cyclekit.toml
	@echo
	@echo "Demo output in $(DEMO)/:"
	@ls -1 $(DEMO)/schedule.xlsx $(CYCLE)/manifest.json $(CYCLE)/snapshot.csv $(CYCLE)/results.xlsx \
		$(CYCLE)/counted_lines.parquet $(DEMO)/report.xlsx
	@for d in sheets pdf returned recounts adjustments; do \
		[ -d $(CYCLE)/$$d ] && echo "$(CYCLE)/$$d/ ($$(ls $(CYCLE)/$$d | wc -l) files)"; done; true
	@echo "Messages to the counters (open one in a mail client to send it):"
	@ls -1 $(OUTBOX)/*.eml
	@echo
	@echo "To run cyclekit yourself: source $(VENV)/bin/activate (or type $(CYCLEKIT)), then follow the README's walk-through."

# the whole cycle in Google Sheets, offline, against the test suite's Sheets API fake
demo-gsheets: dev
	$(BIN)/python $(EXAMPLES)/demo_gsheets.py $(OUT)/cycle-gsheets-demo

bench: install
	$(BIN)/python benchmarks/run.py --scale 1 --runs 3 --growth 0.1,0.25,0.5 --big-schedule 5

bench-smoke: install
	$(BIN)/python benchmarks/run.py --quick

# Google Sheets requests per stage of a 1,000-location cycle, against the offline fake (needs dev: gspread)
bench-gsheets: dev
	$(BIN)/python benchmarks/gsheets_requests.py --scale 1

# The suite runs on the default Python and on Python 3.13 too when the machine has it (the oldest
# and the newest supported: 3.13 warns of a fork while threads run, and the suite makes that an error).
# PYTHON313 is python3.13 on PATH, else pyenv's; `make test PYTHON313=` runs the default Python only.
ifeq ($(origin PYTHON313), undefined)
PYTHON313 := $(shell for p in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13; do \
	"$$p" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
endif
VENV313 := .venv313

test: dev
	$(BIN)/python -m pytest -q
	@if [ -z "$(PYTHON313)" ]; then echo "No Python 3.13 here: the tests ran on $$($(BIN)/python -V) only"; \
	elif [ "$$($(BIN)/python -c 'import sys; print(sys.version_info[:2])')" = "(3, 13)" ]; then :; \
	else $(MAKE) --no-print-directory test-313; fi

$(VENV313)/bin/python:
	"$(PYTHON313)" -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install --quiet --upgrade pip

test-313: $(VENV313)/bin/python
	@test -n "$(PYTHON313)" || { echo "no Python 3.13 found (set PYTHON313)"; exit 1; }
	$(VENV313)/bin/python -m pip install --quiet -e '.[dev]'
	$(VENV313)/bin/python -m pytest -q -p no:cacheprovider

# rewrite the golden workbooks (tests/golden/workbooks/) after a layout change; review the diff
golden: dev
	$(BIN)/python -m pytest -q tests/test_golden_workbooks.py --update-golden

lint: dev
	$(BIN)/ruff check cyclekit tests examples benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(OUT)/*.xlsx $(OUT)/cycle-* $(OUT)/inbox-* $(OUT)/outbox-* $(DEMO) .pytest_cache
