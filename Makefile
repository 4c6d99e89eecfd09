# The two commands of the README: `make run` sets everything up and starts the portal,
# `make test` runs the whole test suite. Both work on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test setup lint run-prod

# The portal's DEBUG is off unless asked for (production is the default); development asks.
setup run test lint: export DEBUG ?= True

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[dev]"
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_checklist fixtures/checklist_2017.yaml
	$(PY) manage.py load_demo
	$(PY) manage.py summaries --rebuild

# The portal, and beside it one Celery worker with the beat inside it (reminders, outbox
# relay) on the embedded filesystem broker; both stop together.
run: setup
	trap 'kill 0' EXIT INT TERM; \
	$(PY) -m celery -A yijia worker --beat --pool=solo --loglevel=INFO \
		--logfile=var/celery.log & \
	$(PY) manage.py runserver 127.0.0.1:8000

test: $(VENV)/.installed
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy .
	$(PY) manage.py makemigrations --check --dry-run

# Production on this machine (docs/deployment.md): gunicorn, one Celery worker and the beat,
# all stopping together, on PostgreSQL and Redis. The environment gives DATABASE_URL,
# CELERY_BROKER_URL, CACHE_URL, SECRET_KEY and ALLOWED_HOSTS (deploy/yijia.env.example):
#   set -a; . /etc/yijia/yijia.env; set +a; make run-prod
$(VENV)/.installed-prod: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[prod]"
	touch $@

run-prod: export DEBUG = False
run-prod: $(VENV)/.installed-prod
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py migrate --noinput
	trap 'kill 0' EXIT INT TERM; \
	$(VENV)/bin/celery --app yijia worker --loglevel INFO & \
	$(VENV)/bin/celery --app yijia beat --loglevel INFO --pidfile= & \
	$(VENV)/bin/gunicorn --config deploy/gunicorn.conf.py yijia.wsgi
