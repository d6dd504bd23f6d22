# Fresh machine: `make test` and `make plan` create ./venv from requirements.txt when it is missing
# or older than requirements.txt. Pulumi.yaml names the same venv, so `pulumi up` reuses it.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
# checkov cannot share a venv with pulumi (it pins packaging<24; pulumi needs >=26).
CHECKOV_VENV := venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.requirements-installed
STACK ?= dev
BASE ?= HEAD

.PHONY: help deps test plan plans diff cost check graph docs golden bench clean

## help: this list (the default target)
help:
	@sed -n 's/^## //p' $(MAKEFILE_LIST)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

## deps: ./venv with requirements.txt installed (what CI runs before pulumi)
deps: $(STAMP)

## test: the whole suite (exit 5, "no tests collected", counts as a failure)
test: $(STAMP) $(CHECKOV_STAMP)
	@$(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; \
	exit $$status

## plan: the offline plan of STACK (default dev)
plan: $(STAMP)
	$(BIN)/python -m shipyard plan $(STACK)

## plans: the offline plan of every stack in the repo
plans: $(STAMP)
	@for file in Pulumi.*.yaml; do stack=$${file#Pulumi.}; stack=$${stack%.yaml}; \
		$(BIN)/python -m shipyard plan $$stack || exit $$?; done

## diff: what the working tree changes in STACK's plan since the git ref BASE (default HEAD)
diff: $(STAMP)
	$(BIN)/python -m shipyard diff $(STACK) --base $(BASE)

## cost: STACK's estimated monthly cost, line by line
cost: $(STAMP)
	$(BIN)/python -m shipyard cost $(STACK)

## check: the security controls over STACK's plan (exit 1 when one fails)
check: $(STAMP)
	$(BIN)/python -m shipyard check $(STACK)

## graph: STACK's architecture picture as STACK.png (needs Graphviz's dot)
graph: $(STAMP)
	$(BIN)/python -m shipyard graph $(STACK) --format png -o $(STACK).png

## docs: regenerate the generated tables in docs/ (config reference, costs)
docs: $(STAMP)
	$(BIN)/python -m shipyard docs --write

## golden: refresh the golden plans under tests/golden after an intended change, and add new
## URNs to the URN ledgers under tests/urns (which never drop one by themselves)
golden: $(STAMP)
	@for file in Pulumi.*.yaml; do stack=$${file#Pulumi.}; stack=$${stack%.yaml}; \
		$(BIN)/python -m shipyard plan $$stack --json > tests/golden/$$stack.json || exit $$?; \
		echo "tests/golden/$$stack.json"; done
	@mkdir -p tests/golden/examples
	@for file in examples/*/Pulumi.*.yaml; do example=$$(basename $$(dirname $$file)); \
		stack=$${file##*/Pulumi.}; stack=$${stack%.yaml}; \
		$(BIN)/python -m shipyard plan $$stack --stack-file $$file --json \
			> tests/golden/examples/$$example.$$stack.json || exit $$?; \
		echo "tests/golden/examples/$$example.$$stack.json"; done
	@$(BIN)/python -m shipyard.review.urns

## bench: timing scripts (not tests); see bench/README.md
bench: $(STAMP)
	$(BIN)/python bench/run.py

## clean: remove the venvs
clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache
