"""The API's published shapes are a contract: they change only on purpose, with this snapshot.

What the service stores and computes (``handoff.domain``) may change without the API noticing;
``serve.schemas`` maps it at the edge. If this test fails, either the mapping leaked a domain change
into the API (fix the mapping), or the API changed on purpose: then regenerate the snapshot with
``python -m tests.serve.test_openapi_contract > tests/fixtures/openapi.json`` and say so in the commit.
"""

import json
from pathlib import Path

from ticketbuddy.serve.app import create_app
from ticketbuddy.settings import SecuritySettings, ServiceSettings

SNAPSHOT = Path(__file__).resolve().parents[1] / "fixtures" / "openapi.json"


def current_openapi(tmp: Path) -> dict:
    settings = ServiceSettings(db_url=f"sqlite:///{tmp / 'h.db'}", _env_file=None)
    return create_app(
        settings, security=SecuritySettings(api_keys="x" * 16 + ":admin", _env_file=None)
    ).openapi()


def test_the_api_schema_is_the_published_one(tmp_path):
    assert current_openapi(tmp_path) == json.loads(SNAPSHOT.read_text())


if __name__ == "__main__":  # regenerate the snapshot, on purpose
    import tempfile

    print(json.dumps(current_openapi(Path(tempfile.mkdtemp())), indent=1, sort_keys=True))
