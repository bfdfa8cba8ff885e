# The two commands of the README's quick start, and a few helpers for developers.
.PHONY: run test setup lint format lock

run:
	bash scripts/setup.sh run
	.venv/bin/python manage.py serve

test:
	bash scripts/setup.sh test
	.venv/bin/python scripts/runtests.py $(ARGS)

setup:
	bash scripts/setup.sh test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# Refresh requirements.lock after changing pyproject.toml's dependencies.
lock:
	rm -rf /tmp/wharf-lock-venv && python3 -m venv /tmp/wharf-lock-venv
	/tmp/wharf-lock-venv/bin/pip install --quiet --upgrade pip
	/tmp/wharf-lock-venv/bin/pip install --quiet ".[dev]"
	/tmp/wharf-lock-venv/bin/pip freeze --exclude-editable | grep -v '^wharf' > requirements.lock
