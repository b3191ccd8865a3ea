import os
import sys

import pytest

# Import the package from this checkout (bindings/python) without installing it.
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import lfm  # noqa: E402


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.skip(f"{name} is not set: source scripts/mock-env.sh to test against the mock")
    return value


@pytest.fixture
def env():
    return _env


@pytest.fixture
def client(env):
    """A client pointed at the mock over HTTPS (its CA trusted), unpaced."""
    with lfm.Client(env("LFM_API_KEY"), env("LFM_API_SECRET")) as c:
        c.base_url = env("LFM_BASE_URL")
        c.set_ca_file(env("LFM_CA_FILE"))
        c.rate_limit = 0
        c.timeout_ms = 15000
        yield c


@pytest.fixture
def session(client, env):
    return client.get_mobile_session(env("LFM_USERNAME"), env("LFM_PASSWORD"))
