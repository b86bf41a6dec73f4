"""The OpenAPI 3.1 document the transcoder generates from descriptors and rules, checked with
openapi-spec-validator (a validator no one here wrote) and against what the routes promise.

The generator is `.build/debug/halo-openapi` under the repo root, or $HALO_OPENAPI. A missing
binary fails the suite; it is never skipped.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from openapi_spec_validator import validate

REPO = Path(__file__).resolve().parents[2]
TESTING_SET = REPO / "Sources" / "TestProtos" / "testing.protoset"


def generator():
    override = os.environ.get("HALO_OPENAPI")
    path = Path(override) if override else REPO / ".build" / "debug" / "halo-openapi"
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is missing: build it with `swift build --product halo-openapi`", pytrace=False)
    return path


def document(*arguments):
    result = subprocess.run([generator(), *arguments], capture_output=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_halo_document_is_valid_openapi_31():
    spec = document(
        "--require-auth", "halo.video.v1.VideoService.CreateVideo",
        "--optional-auth", "halo.video.v1.VideoService.GetVideo",
    )
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    get_video = spec["paths"]["/api/v1/videos/{id}"]["get"]
    assert get_video["parameters"][0] == {
        "name": "id", "in": "path", "required": True, "schema": {"type": "string"},
    }
    assert get_video["security"] == [{"bearer": []}, {}]
    assert spec["paths"]["/api/v1/videos"]["post"]["security"] == [{"bearer": []}]
    assert "application/problem+json" in get_video["responses"]["default"]["content"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_halo_document_follows_the_presentation_options_and_carries_comments():
    spec = document()
    video = spec["components"]["schemas"]["halo.video.v1.Video"]
    assert "duration_seconds" in video["properties"]  # proto names
    assert video["properties"]["created_at"]["format"] == "date-time"
    assert video["properties"]["title"]["description"] == "1-200 characters."
    assert video["description"] == "A video or live stream."
    metric = spec["paths"]["/api/v1/videos/{video_id}/engagement/{metric}"]["post"]["parameters"][1]
    assert metric["name"] == "metric"
    increment = spec["components"]["schemas"]["halo.engagement.v1.IncrementRequest"]
    assert "views" in increment["properties"]["metric"]["enum"]  # short lower-case names


def test_http_examples_document_is_valid_openapi_31():
    spec = document("--descriptor-set", str(TESTING_SET))
    validate(spec)
    assert "/v1/{name}:cancel" in spec["paths"]
    assert "head" in spec["paths"]["/v1/probe/{name}"]
    assert spec["paths"]["/v1/texts/{message_id}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] == {"type": "string"}
    # Query parameters reach nested fields by dotted paths, as the binder accepts them; a field the path binds
    # is not a query parameter.
    by_id = spec["paths"]["/v1/messages/{message_id}"]["get"]["parameters"]
    assert {"name": "sub.subfield", "in": "query", "schema": {"type": "string"}} in by_id
    assert [p["name"] for p in by_id if p["in"] == "query"] == [
        "revision", "sub.subfield", "name", "tags", "shade", "wrapped", "since", "within", "flag", "numbers",
    ]
    by_user = spec["paths"]["/v1/users/{sub.subfield}/messages/{message_id}"]["get"]["parameters"]
    assert "sub.subfield" not in [p["name"] for p in by_user if p["in"] == "query"]
    patch = spec["paths"]["/v1/messages/{message_id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/halo.testing.v1.ExampleMessage"
    }
