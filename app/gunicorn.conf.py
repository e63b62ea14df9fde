"""gunicorn configuration for the sre-lab target app (all knobs from the environment).

v1 runs WORKERS=1, v2 runs WORKERS=4: the same image, a different env.
Everything gunicorn or the app writes goes under /tmp (an emptyDir in the
Deployment), so the container runs with readOnlyRootFilesystem: true.
"""

import os
import shutil

STATE_DIR = os.environ.setdefault("STATE_DIR", "/tmp/sre-lab-app")
# Must be in the environment before prometheus_client is first imported (it
# picks its storage then) and before the workers fork, so they inherit it.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(STATE_DIR, "metrics"))

from prometheus_client import multiprocess  # noqa: E402


def _int_env(name, default):
    raw = os.environ.get(name, str(default))
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"gunicorn.conf.py: {name} must be an integer, got {raw!r}") from None
    if value < 1:
        raise SystemExit(f"gunicorn.conf.py: {name} must be at least 1, got {value}")
    return value


bind = os.environ.get("BIND") or f"0.0.0.0:{os.environ.get('PORT', '8080')}"
workers = _int_env("WORKERS", 1)
worker_class = "sync"
# The app is imported in each worker after the fork (not in the master), so
# every worker registers its own live gauges under its own pid.
preload_app = False
timeout = _int_env("TIMEOUT", 30)
graceful_timeout = _int_env("GRACEFUL_TIMEOUT", 20)
# Heartbeat file: /tmp by default (the writable emptyDir); /dev/shm also works.
worker_tmp_dir = os.environ.get("WORKER_TMP_DIR", "/tmp")
accesslog = None  # the app logs one JSON line per request itself
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# gunicorn >= 25.1 opens a control socket under $HOME by default; the root
# filesystem is read-only and the lab does not use it. Older versions ignore this.
control_socket_disable = True


def on_starting(server):
    """Master start: clear metrics and readiness state left by a previous run."""
    metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)
    try:
        os.remove(os.path.join(STATE_DIR, "not-ready"))
    except FileNotFoundError:
        pass


def child_exit(server, worker):
    """A worker exited (or was killed): drop its live gauges from the sums."""
    multiprocess.mark_process_dead(worker.pid)
