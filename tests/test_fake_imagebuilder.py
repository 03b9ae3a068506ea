"""Tests of the loopback Image Builder fake, driven through the real boto3 client."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import botocore.exceptions
import botocore.session
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from tests.fake_imagebuilder import ERROR_STATUS, FakeImageBuilder, client_for

ACCOUNT_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/"


def pipeline(name: str, **extra) -> dict:
    return {"arn": ACCOUNT_ARN + name, "name": name, "status": "ENABLED",
            "schedule": {"scheduleExpression": "cron(0 0 * * ? *)"}, **extra}


@pytest.fixture
def fake():
    with FakeImageBuilder() as f:
        yield f


@pytest.fixture
def client(fake):
    return client_for(fake)


def error_of(excinfo) -> tuple[str, int, str]:
    resp = excinfo.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Message"]


# ------------------------------------------------------------------ GetImagePipeline
def test_get_returns_stored_pipeline_and_request_id(fake, client):
    fake.add_pipeline(pipeline("web", description="d", dateCreated="2024-05-01T10:00:00.000Z"))
    fake.add_pipeline(pipeline("db"))
    resp = client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "web")
    got = resp["imagePipeline"]
    assert got["name"] == "web" and got["description"] == "d" and got["status"] == "ENABLED"
    assert got["schedule"] == {"scheduleExpression": "cron(0 0 * * ? *)"}
    assert got["dateCreated"] == "2024-05-01T10:00:00.000Z"   # DateTime is a string shape in the model
    assert resp["requestId"] == resp["ResponseMetadata"]["RequestId"]


def test_get_stores_verbatim_but_botocore_drops_unmodelled_fields(fake, client):
    fake.add_pipeline(pipeline("old", legacyField=1))   # an "old edition" extra field
    got = client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "old")["imagePipeline"]
    assert "legacyField" not in got and got["name"] == "old"


def test_get_missing_is_resource_not_found(fake, client):
    fake.add_pipeline(pipeline("web"))
    with pytest.raises(ClientError) as exc:
        client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "nope")
    code, status, message = error_of(exc)
    assert (code, status) == ("ResourceNotFoundException", 404) and "nope" in message


def test_load_response_file(fake, client, tmp_path):
    path = tmp_path / "resp.json"
    path.write_text(json.dumps({"requestId": "r-1", "imagePipeline": pipeline("saved", platform="Linux")}))
    fake.load_response_file(path)
    assert client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "saved")["imagePipeline"]["platform"] == "Linux"


# ------------------------------------------------------------------ ListImagePipelines
def test_list_paginates_with_server_page_size():
    with FakeImageBuilder(page_size=3) as fake:
        names = [f"p{i:02d}" for i in range(8)]
        for n in names:
            fake.add_pipeline(pipeline(n))
        pages = list(client_for(fake).get_paginator("list_image_pipelines").paginate())
        assert [len(p["imagePipelineList"]) for p in pages] == [3, 3, 2]
        assert [p["name"] for page in pages for p in page["imagePipelineList"]] == names
        calls = fake.calls("ListImagePipelines")
        assert len(calls) == 3 and "nextToken" not in calls[0]["body"]
        assert calls[1]["body"]["nextToken"] == pages[0]["nextToken"] and "nextToken" not in pages[-1]


def test_list_page_size_is_min_of_max_results_and_server_setting(fake, client):
    for i in range(5):
        fake.add_pipeline(pipeline(f"p{i}"))
    pages = list(client.get_paginator("list_image_pipelines").paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["imagePipelineList"]) for p in pages] == [2, 2, 1]
    assert all(c["body"]["maxResults"] == 2 for c in fake.calls("ListImagePipelines"))


def test_list_default_page_size_is_25(fake, client):
    for i in range(30):
        fake.add_pipeline(pipeline(f"p{i}"))
    first = client.list_image_pipelines()
    assert len(first["imagePipelineList"]) == 25 and first["nextToken"]
    assert len(client.list_image_pipelines(nextToken=first["nextToken"])["imagePipelineList"]) == 5


@pytest.mark.parametrize("token", ["bogus", "x" * 40])
def test_list_bad_token(fake, client, token):
    fake.add_pipeline(pipeline("a"))
    with pytest.raises(ClientError) as exc:
        client.list_image_pipelines(nextToken=token)
    assert error_of(exc)[:2] == ("InvalidPaginationTokenException", 400)


def test_list_token_is_bound_to_its_filters(fake, client):
    for n in ["web-1", "web-2", "db"]:
        fake.add_pipeline(pipeline(n))
    token = client.list_image_pipelines(maxResults=1)["nextToken"]
    with pytest.raises(ClientError) as exc:
        client.list_image_pipelines(maxResults=1, nextToken=token, filters=[{"name": "name", "values": ["web*"]}])
    assert error_of(exc)[0] == "InvalidPaginationTokenException"


@pytest.mark.parametrize("values, expected", [
    (["web"], ["web"]),
    (["web*"], ["web", "web-api"]),
    (["*web*"], ["web", "web-api", "api-web"]),
    (["*web"], ["web", "api-web"]),
    (["db", "web"], ["web", "db"]),          # values OR together
    (["we"], []),
    (["WEB"], []),                           # case-sensitive
    (["a.b"], ["a.b"]),                      # regex metacharacters are literal
    (["a?b"], []),
])
def test_list_name_filter(fake, client, values, expected):
    for n in ["web", "web-api", "api-web", "db", "a.b", "axb"]:
        fake.add_pipeline(pipeline(n))
    resp = client.list_image_pipelines(filters=[{"name": "name", "values": values}])
    assert [p["name"] for p in resp["imagePipelineList"]] == expected


def test_list_other_filters_are_ignored(fake, client):
    for n in ["web", "db"]:
        fake.add_pipeline(pipeline(n))
    resp = client.list_image_pipelines(filters=[{"name": "platform", "values": ["Windows"]},
                                                {"name": "name", "values": ["d*"]}])
    assert [p["name"] for p in resp["imagePipelineList"]] == ["db"]


# ------------------------------------------------------------------ faults, delays
def test_error_status_table_matches_botocore_model():
    model = botocore.session.get_session().get_service_model("imagebuilder")
    for shape in model.error_shapes:
        if shape.name in ERROR_STATUS:
            assert ERROR_STATUS[shape.name] == shape.metadata["error"]["httpStatusCode"], shape.name
    assert {"ResourceNotFoundException", "InvalidPaginationTokenException"} <= {s.name for s in model.error_shapes}


FAULTS = ["CallRateLimitExceededException", "ForbiddenException", "ServiceException",
          "ServiceUnavailableException", "AccessDeniedException", "InvalidRequestException"]


@pytest.mark.parametrize("operation", ["GetImagePipeline", "ListImagePipelines"])
@pytest.mark.parametrize("code", FAULTS)
def test_fault_kinds(fake, code, operation):
    fake.add_pipeline(pipeline("web"))
    client = client_for(fake, retries={"max_attempts": 0})    # max_attempts counts *retries*
    fake.fail(operation, code, message=f"boom {code}")
    call = (lambda: client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "web")) \
        if operation == "GetImagePipeline" else client.list_image_pipelines
    with pytest.raises(ClientError) as exc:
        call()
    assert error_of(exc) == (code, ERROR_STATUS[code], f"boom {code}")
    headers = exc.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"].startswith(code + ":") and headers["x-amzn-requestid"]
    assert exc.value.response["ResponseMetadata"]["RequestId"] == headers["x-amzn-requestid"]
    assert len(fake.calls(operation)) == 1


def test_fault_times_then_success_and_arn_scope(fake):
    for n in ["a", "b"]:
        fake.add_pipeline(pipeline(n))
    client = client_for(fake, retries={"max_attempts": 0})
    fake.fail("GetImagePipeline", "ServiceUnavailableException", times=2, arn=ACCOUNT_ARN + "a")
    assert client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "b")["imagePipeline"]["name"] == "b"
    for _ in range(2):
        with pytest.raises(ClientError):
            client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")
    assert client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")["imagePipeline"]["name"] == "a"
    client.list_image_pipelines()    # the Get fault never affects List


def test_client_for_default_retries_once_on_5xx(fake):
    # Config(retries={"max_attempts": 1}) means ONE RETRY (2 attempts), not one attempt.
    fake.add_pipeline(pipeline("a"))
    fake.fail("GetImagePipeline", "ServiceException", times=1)
    resp = client_for(fake).get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")
    assert resp["ResponseMetadata"]["RetryAttempts"] == 1 and len(fake.calls("GetImagePipeline")) == 2


def test_call_rate_limit_not_retried_in_standard_mode(fake):
    fake.add_pipeline(pipeline("a"))
    fake.fail("GetImagePipeline", "CallRateLimitExceededException")
    with pytest.raises(ClientError):
        client_for(fake, retries={"max_attempts": 3, "mode": "standard"}).get_image_pipeline(
            imagePipelineArn=ACCOUNT_ARN + "a")
    assert len(fake.calls("GetImagePipeline")) == 1


def test_fail_rejects_unknown_code_and_operation(fake):
    with pytest.raises(ValueError):
        fake.fail("GetImagePipeline", "NoSuchException")
    with pytest.raises(ValueError):
        fake.fail("DeleteImagePipeline", "ServiceException")


def test_delay_provokes_read_timeout_then_recovers(fake):
    fake.add_pipeline(pipeline("a"))
    fake.delay("GetImagePipeline", 2.0, times=1)
    client = client_for(fake, read_timeout=0.3, retries={"max_attempts": 0})
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")
    assert time.monotonic() - started < 1.5
    assert client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")["imagePipeline"]["name"] == "a"


def test_stop_interrupts_delayed_requests_and_closes_port():
    fake = FakeImageBuilder().start()
    fake.add_pipeline(pipeline("a"))
    fake.delay("GetImagePipeline", 30)
    client = client_for(fake, retries={"max_attempts": 0}, connect_timeout=1, read_timeout=60)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault(
        "name", client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")["imagePipeline"]["name"]))
    worker.start()
    while not fake.calls("GetImagePipeline"):
        time.sleep(0.01)
    started = time.monotonic()
    fake.stop()
    worker.join(timeout=5)
    assert time.monotonic() - started < 3 and not worker.is_alive() and result == {"name": "a"}
    with pytest.raises(EndpointConnectionError):
        client_for(fake, connect_timeout=1).list_image_pipelines()
    fake.stop()   # idempotent


# ------------------------------------------------------------------ request log, robustness
def test_request_log_contents(fake, client):
    fake.add_pipeline(pipeline("web"))
    client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "web")
    client.list_image_pipelines(filters=[{"name": "name", "values": ["w*"]}], maxResults=5)
    get, lst = fake.requests
    assert (get["method"], get["path"], get["operation"]) == ("GET", "/GetImagePipeline", "GetImagePipeline")
    assert get["query"] == {"imagePipelineArn": ACCOUNT_ARN + "web"} and get["body"] is None
    assert (lst["method"], lst["path"], lst["operation"]) == ("POST", "/ListImagePipelines", "ListImagePipelines")
    assert lst["body"] == {"filters": [{"name": "name", "values": ["w*"]}], "maxResults": 5}
    auth = get["headers"]["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=AKIAFAKE/") and "/us-east-1/imagebuilder/" in auth
    assert fake.calls("GetImagePipeline") == [get]


@pytest.mark.parametrize("method, path", [("GET", "/ListImagePipelines"), ("PUT", "/GetImagePipeline"),
                                          ("POST", "/DeleteImagePipeline")])
def test_unknown_operation_is_404_and_logged(fake, method, path):
    req = urllib.request.Request(fake.url + path, data=b"{}" if method != "GET" else None, method=method)
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert exc.value.code == 404
    assert exc.value.headers["x-amzn-ErrorType"].startswith("UnknownOperationException:")
    assert exc.value.headers["x-amzn-RequestId"]
    assert json.loads(exc.value.read())["__type"] == "UnknownOperationException"
    assert [(r["method"], r["path"], r["operation"]) for r in fake.requests] == [(method, path, None)]


def test_malformed_list_body_is_invalid_request(fake):
    req = urllib.request.Request(fake.url + "/ListImagePipelines", data=b"{not json", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert exc.value.code == 400 and json.loads(exc.value.read())["__type"] == "InvalidRequestException"


def test_concurrent_clients(fake):
    for i in range(40):
        fake.add_pipeline(pipeline(f"p{i}"))
    fake.fail("GetImagePipeline", "CallRateLimitExceededException", times=10)
    client = client_for(fake, retries={"max_attempts": 0}, max_pool_connections=16)

    def get(i):
        try:
            return client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + f"p{i % 40}")["imagePipeline"]["name"]
        except ClientError as err:
            return err.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(get, range(200)))
    assert results.count("CallRateLimitExceededException") == 10    # `times` is consumed exactly
    assert sum(r.startswith("p") for r in results) == 190 and len(fake.calls("GetImagePipeline")) == 200


# ------------------------------------------------------------------ fault kinds for the retry and pacing tests
def _outcomes(fake, client, n):
    found = []
    for _ in range(n):
        try:
            client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")
            found.append("ok")
        except ClientError as err:
            found.append(err.response["Error"]["Code"])
    return found


def test_random_faults_are_seeded_and_follow_their_probabilities():
    runs = []
    for _ in range(2):
        with FakeImageBuilder() as fake:
            fake.add_pipeline(pipeline("a"))
            fake.randomly({"CallRateLimitExceededException": 0.3, "ServiceUnavailableException": 0.1}, seed=5)
            runs.append(_outcomes(fake, client_for(fake, retries={"total_max_attempts": 1}), 200))
    assert runs[0] == runs[1]   # same seed, same sequence
    assert 40 < runs[0].count("CallRateLimitExceededException") < 80 and 8 < runs[0].count("ServiceUnavailableException") < 35
    with pytest.raises(ValueError):
        FakeImageBuilder().randomly({"NoSuchFault": 0.1}, seed=1)


def test_throttle_above_admits_at_most_n_in_flight(fake):
    fake.add_pipeline(pipeline("a"))
    fake.throttle_above(2)
    fake.delay(None, 0.2)
    client = client_for(fake, retries={"total_max_attempts": 1}, max_pool_connections=8)
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: _outcomes(fake, client, 1)[0], range(6)))
    assert results.count("ok") >= 2 and "CallRateLimitExceededException" in results
    assert fake.max_in_flight == 2 and fake.fault_counts["CallRateLimitExceededException"] == results.count("CallRateLimitExceededException")


def test_drop_closes_the_connection_without_an_answer(fake):
    fake.add_pipeline(pipeline("a"))
    fake.drop("GetImagePipeline", times=1)
    client = client_for(fake, retries={"total_max_attempts": 1})
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")
    assert client.get_image_pipeline(imagePipelineArn=ACCOUNT_ARN + "a")["imagePipeline"]["name"] == "a"


@pytest.mark.parametrize("honest_length", [True, False])
def test_truncate_sends_half_a_body(fake, honest_length):
    fake.add_pipeline(pipeline("a"))
    fake.truncate("ListImagePipelines", times=1, honest_length=honest_length)
    request = urllib.request.Request(fake.url + "/ListImagePipelines", data=b"{}", method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        declared = int(response.headers["Content-Length"])
        body = response.fp.read()   # the raw stream: whatever was sent before the close
    assert len(body) < declared if not honest_length else len(body) == declared
    with pytest.raises(ValueError):
        json.loads(body)
    assert client_for(fake).list_image_pipelines()["imagePipelineList"][0]["name"] == "a"


def test_skip_lets_the_first_calls_through(fake):
    fake.add_pipeline(pipeline("a"))
    fake.fail("GetImagePipeline", "ServiceException", times=1, skip=2)
    assert _outcomes(fake, client_for(fake, retries={"total_max_attempts": 1}), 4) == ["ok", "ok", "ServiceException", "ok"]


def test_responses_go_out_in_one_write_with_tcp_nodelay(fake):
    import socket

    fake.add_pipeline(pipeline("a"))
    with socket.create_connection(("127.0.0.1", int(fake.url.rsplit(":", 1)[1])), timeout=5) as conn:
        conn.sendall(b"GET /GetImagePipeline?imagePipelineArn=" + (ACCOUNT_ARN + "a").encode() + b" HTTP/1.0\r\n\r\n")
        first = conn.recv(65536)   # headers and body arrive together: one segment, not two
    assert first.startswith(b"HTTP/1.0 200") and first.rstrip().endswith(b"}")
    server = fake._server
    nodelay = []
    original = server.get_request

    def recording():
        connection, address = original()
        nodelay.append(connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        return connection, address

    server.get_request = recording
    try:
        client_for(fake).list_image_pipelines()
    finally:
        del server.get_request
    assert nodelay and all(nodelay)
