import os
import sys
import tempfile
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

APP_DIR = Path(__file__).resolve().parent.parent

# The unit tests run the app in-process with the default (single-process)
# registry; this must be settled before prometheus_client is imported by it.
os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
os.environ.pop("prometheus_multiproc_dir", None)
os.environ["STATE_DIR"] = tempfile.mkdtemp(prefix="sre-lab-app-tests-")
sys.path.insert(0, str(APP_DIR))


def metric_value(text, name, **labels):
    """Value of the sample `name` with exactly `labels` in Prometheus text, or None."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


@pytest.fixture
def target(monkeypatch, tmp_path):
    import app as target_app

    monkeypatch.setenv("STATE_DIR", str(tmp_path))
    monkeypatch.delenv("READYZ_FAIL", raising=False)
    yield target_app
    target_app._leaked.clear()
    target_app.LEAK_RETAINED.set(0)


@pytest.fixture
def client(target):
    return target.app.test_client()
