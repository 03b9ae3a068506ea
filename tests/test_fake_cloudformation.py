"""Tests of the loopback CloudFormation fake, driven through the real boto3 client and botocore's model."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import botocore.session
import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from tests.fake_cloudformation import (
    API_VERSION,
    ERROR_STATUS,
    MAX_BODY,
    XML_NAMESPACE,
    FakeCloudFormation,
    client_for,
)

NS = "{" + XML_NAMESPACE + "}"
MODEL = botocore.session.get_session().get_service_model("cloudformation")


@pytest.fixture
def fake():
    with FakeCloudFormation() as f:
        yield f


@pytest.fixture
def client(fake):
    return client_for(fake, retries={"max_attempts": 0})


def error_of(excinfo) -> tuple[str, int, str]:
    resp = excinfo.value.response
    return resp["Error"]["Code"], resp["ResponseMetadata"]["HTTPStatusCode"], resp["Error"]["Message"]


def raw_post(fake, params: dict, headers: dict | None = None) -> tuple[int, dict, bytes]:
    """POST a form body with urllib (no botocore), returning status, headers and the raw body."""
    req = urllib.request.Request(fake.url + "/", data=urlencode(params).encode(), method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, dict(resp.headers.items()), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()


def check_against_shape(element: ET.Element, shape, path: str) -> int:
    """Every element below ``element`` is a member the model defines, lists hold ``member`` items, scalars
    have no children. Returns how many elements were checked (so a vacuous walk is noticed)."""
    count = 1
    children = list(element)
    if shape.type_name == "structure":
        names = {m.serialization.get("name", n): m for n, m in shape.members.items()}
        for child in children:
            tag = child.tag.removeprefix(NS)
            assert tag in names, f"{path}/{tag} is not a member of {shape.name}"
            count += check_against_shape(child, names[tag], f"{path}/{tag}")
        assert len({c.tag for c in children}) == len(children), f"{path}: a member repeated"
    elif shape.type_name == "list":
        for child in children:
            assert child.tag.removeprefix(NS) == "member", f"{path}: list item {child.tag}"
            count += check_against_shape(child, shape.member, f"{path}/member")
    else:
        assert not children, f"{path}: scalar {shape.name} has child elements"
        if shape.type_name == "boolean":
            assert element.text in ("true", "false")
        if shape.type_name == "timestamp":
            assert element.text and element.text.endswith("Z") and "T" in element.text
    return count


def full_stack(fake, name="web", **extra):
    return fake.add_stack(
        name, parameters={"Plain": "v", "Ssm": "/ami/latest", "Secret": "hunter2"}, resolved={"Ssm": "ami-123"},
        no_echo=["Secret"], tags={"team": "images"}, description="d",
        resources=[("Pipeline", "AWS::ImageBuilder::ImagePipeline", "arn:aws:imagebuilder:us-east-1:1:image-pipeline/p"),
                   ("Wait", "AWS::CloudFormation::WaitCondition", None)], **extra)


# ------------------------------------------------------------------ the model
@pytest.mark.parametrize("operation, params", [
    ("DescribeStacks", {"StackName": "web"}),
    ("DescribeStacks", {}),
    ("DescribeStackResources", {"StackName": "web"}),
    ("ListStackResources", {"StackName": "web"}),
])
def test_xml_matches_botocore_output_shape(fake, operation, params):
    full_stack(fake)
    status, headers, body = raw_post(fake, {"Action": operation, "Version": API_VERSION, **params})
    assert status == 200 and headers["Content-Type"] == "text/xml"
    root = ET.fromstring(body)
    assert root.tag == f"{NS}{operation}Response"
    result, metadata = list(root)
    shape = MODEL.operation_model(operation).output_shape
    assert result.tag == NS + shape.serialization["resultWrapper"]
    assert check_against_shape(result, shape, operation) > 10
    assert [c.tag for c in metadata] == [f"{NS}RequestId"] and metadata[0].text == headers["x-amzn-RequestId"]


def test_error_xml_shape(fake):
    status, headers, body = raw_post(fake, {"Action": "DescribeStacks", "Version": API_VERSION, "StackName": "x"})
    root = ET.fromstring(body)
    assert status == 400 and root.tag == f"{NS}ErrorResponse"
    error, request_id = list(root)
    assert [c.tag.removeprefix(NS) for c in error] == ["Type", "Code", "Message"]
    assert [c.text for c in error] == ["Sender", "ValidationError", "Stack with id x does not exist"]
    assert request_id.tag == f"{NS}RequestId" and request_id.text == headers["x-amzn-RequestId"]


# ------------------------------------------------------------------ DescribeStacks
def test_describe_stack_by_name_and_by_id(fake, client):
    stack_id = full_stack(fake)
    full_stack(fake, "other")
    for key in ("web", stack_id):
        resp = client.describe_stacks(StackName=key)
        (stack,) = resp["Stacks"]
        assert stack["StackId"] == stack_id and stack["StackName"] == "web"
        assert stack["StackStatus"] == "CREATE_COMPLETE" and stack["Description"] == "d"
        assert stack["Parameters"] == [
            {"ParameterKey": "Plain", "ParameterValue": "v"},
            {"ParameterKey": "Ssm", "ParameterValue": "/ami/latest", "ResolvedValue": "ami-123"},
            {"ParameterKey": "Secret", "ParameterValue": "****"},
        ]
        assert stack["Tags"] == [{"Key": "team", "Value": "images"}]
        assert stack["CreationTime"].year >= 2024 and "DeletionTime" not in stack
        assert stack["DisableRollback"] is False and stack["NotificationARNs"] == []
        assert resp["ResponseMetadata"]["RequestId"] == resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert stack_id.startswith("arn:aws:cloudformation:us-east-1:123456789012:stack/web/")


def test_stack_id_partition_region_account(fake):
    assert fake.add_stack("a", region="cn-north-1", account="999").startswith("arn:aws-cn:cloudformation:cn-north-1:999:stack/a/")
    assert fake.add_stack("a", region="us-gov-west-1").startswith("arn:aws-us-gov:cloudformation:us-gov-west-1:")
    assert fake.add_stack("b", partition="aws-iso").startswith("arn:aws-iso:cloudformation:us-east-1:")


def test_describe_missing_stack_is_validation_error_400(fake, client):
    full_stack(fake)
    with pytest.raises(ClientError) as exc:
        client.describe_stacks(StackName="nope")
    assert error_of(exc) == ("ValidationError", 400, "Stack with id nope does not exist")
    assert exc.value.response["Error"]["Type"] == "Sender"


def test_deleted_stack_is_found_by_id_only_and_name_can_be_reused(fake, client):
    old_id = fake.add_stack("web", status="DELETE_COMPLETE", resources=[("B", "AWS::S3::Bucket", "b-old")])
    with pytest.raises(ClientError) as exc:
        client.describe_stacks(StackName="web")
    assert error_of(exc)[0] == "ValidationError"
    (old,) = client.describe_stacks(StackName=old_id)["Stacks"]
    assert old["StackStatus"] == "DELETE_COMPLETE" and old["DeletionTime"]
    assert client.describe_stacks()["Stacks"] == []          # the listing leaves deleted stacks out
    new_id = fake.add_stack("web", resources=[("B", "AWS::S3::Bucket", "b-new")])
    assert client.describe_stacks(StackName="web")["Stacks"][0]["StackId"] == new_id != old_id
    assert [r["PhysicalResourceId"] for r in client.describe_stack_resources(StackName=old_id)["StackResources"]] == ["b-old"]
    with pytest.raises(ValueError):
        fake.add_stack("web")                                 # a live stack of that name exists


def test_stacks_live_in_the_signing_region(fake):
    west = fake.add_stack("web", region="us-west-2")
    east_client, west_client = client_for(fake), client_for(fake, region="us-west-2")
    with pytest.raises(ClientError):
        east_client.describe_stacks(StackName="web")
    assert west_client.describe_stacks(StackName="web")["Stacks"][0]["StackId"] == west
    assert [r["region"] for r in fake.requests] == ["us-east-1", "us-west-2"]


def test_describe_all_stacks_paginates():
    with FakeCloudFormation(page_size=3) as fake:
        names = [f"s{i}" for i in range(8)]
        for n in names:
            fake.add_stack(n)
        fake.add_stack("elsewhere", region="eu-west-1")
        pages = list(client_for(fake).get_paginator("describe_stacks").paginate())
        assert [len(p["Stacks"]) for p in pages] == [3, 3, 2]
        assert [s["StackName"] for p in pages for s in p["Stacks"]] == names
        calls = fake.calls("DescribeStacks")
        assert len(calls) == 3 and "NextToken" not in calls[0]["params"]
        assert calls[1]["params"]["NextToken"] == pages[0]["NextToken"] and "NextToken" not in pages[-1]


@pytest.mark.parametrize("token", ["bogus", "x" * 40])
def test_bad_next_token(fake, client, token):
    fake.add_stack("a")
    with pytest.raises(ClientError) as exc:
        client.describe_stacks(NextToken=token)
    assert error_of(exc)[:2] == ("ValidationError", 400)


def test_token_is_bound_to_its_operation_and_stack():
    with FakeCloudFormation(page_size=1) as fake:
        client = client_for(fake)
        fake.add_stack("a", resources=[("R1", "T", "p1"), ("R2", "T", "p2")])
        fake.add_stack("b", resources=[("R1", "T", "p1"), ("R2", "T", "p2")])
        token = client.list_stack_resources(StackName="a")["NextToken"]
        for call in (lambda: client.list_stack_resources(StackName="b", NextToken=token),
                     lambda: client.describe_stacks(NextToken=token)):
            with pytest.raises(ClientError) as exc:
                call()
            assert error_of(exc)[0] == "ValidationError"
        assert client.list_stack_resources(StackName="a", NextToken=token)["StackResourceSummaries"][0]["LogicalResourceId"] == "R2"


# ------------------------------------------------------------------ resources
def test_describe_stack_resources(fake, client):
    stack_id = full_stack(fake)
    resources = client.describe_stack_resources(StackName="web")["StackResources"]
    assert [(r["LogicalResourceId"], r["ResourceType"], r.get("PhysicalResourceId"), r["ResourceStatus"])
            for r in resources] == [
        ("Pipeline", "AWS::ImageBuilder::ImagePipeline", "arn:aws:imagebuilder:us-east-1:1:image-pipeline/p", "CREATE_COMPLETE"),
        ("Wait", "AWS::CloudFormation::WaitCondition", None, "CREATE_IN_PROGRESS"),
    ]
    assert all(r["StackId"] == stack_id and r["StackName"] == "web" and r["Timestamp"] for r in resources)
    only = client.describe_stack_resources(StackName=stack_id, LogicalResourceId="Wait")["StackResources"]
    assert [r["LogicalResourceId"] for r in only] == ["Wait"]
    by_physical = client.describe_stack_resources(PhysicalResourceId="arn:aws:imagebuilder:us-east-1:1:image-pipeline/p")
    assert [r["LogicalResourceId"] for r in by_physical["StackResources"]] == ["Pipeline"]


def test_describe_stack_resources_stops_at_100(fake, client):
    fake.add_stack("big", resources=[(f"R{i:03d}", "AWS::SNS::Topic", f"t{i}") for i in range(130)])
    resources = client.describe_stack_resources(StackName="big")["StackResources"]
    assert len(resources) == 100 and resources[-1]["LogicalResourceId"] == "R099"


def test_list_stack_resources_paginates_all():
    with FakeCloudFormation(page_size=40) as fake:
        fake.add_stack("big", resources=[(f"R{i:03d}", "AWS::SNS::Topic", f"t{i}") for i in range(130)]
                       + [("NoId", "AWS::CloudFormation::WaitCondition", None)])
        pages = list(client_for(fake).get_paginator("list_stack_resources").paginate(StackName="big"))
        assert [len(p["StackResourceSummaries"]) for p in pages] == [40, 40, 40, 11]
        summaries = [s for p in pages for s in p["StackResourceSummaries"]]
        assert [s["LogicalResourceId"] for s in summaries[:2]] == ["R000", "R001"]
        assert summaries[-1] == {**summaries[-1], "LogicalResourceId": "NoId", "ResourceStatus": "CREATE_IN_PROGRESS"}
        assert "PhysicalResourceId" not in summaries[-1] and summaries[0]["PhysicalResourceId"] == "t0"
        assert all(s["LastUpdatedTimestamp"] for s in summaries)


def test_resources_of_missing_stack(fake, client):
    for call in (lambda: client.describe_stack_resources(StackName="gone"),
                 lambda: client.list_stack_resources(StackName="gone")):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("ValidationError", 400, "Stack with id gone does not exist")


# ------------------------------------------------------------------ escaping
NASTY = 'a<b>&c"d\'e ]]> &amp; \r\n\ttab ünï €'


def test_values_are_escaped(fake, client):
    fake.add_stack("esc", parameters={"P": NASTY}, resolved={"P": NASTY + "!"}, tags={"k<&>": NASTY},
                   resources=[("R", "AWS::X::Y", NASTY)], description=NASTY)
    (stack,) = client.describe_stacks(StackName="esc")["Stacks"]
    assert stack["Parameters"] == [{"ParameterKey": "P", "ParameterValue": NASTY, "ResolvedValue": NASTY + "!"}]
    assert stack["Tags"] == [{"Key": "k<&>", "Value": NASTY}] and stack["Description"] == NASTY
    assert client.describe_stack_resources(StackName="esc")["StackResources"][0]["PhysicalResourceId"] == NASTY
    assert client.list_stack_resources(StackName="esc")["StackResourceSummaries"][0]["PhysicalResourceId"] == NASTY


def test_error_messages_are_escaped(fake, client):
    with pytest.raises(ClientError) as exc:
        client.describe_stacks(StackName="x<y>&\"z\x01")
    assert error_of(exc) == ("ValidationError", 400, "Stack with id x<y>&\"z\ufffd does not exist")
    fake.fail("DescribeStacks", "AccessDenied", message="no <&> way")
    with pytest.raises(ClientError) as exc:
        client.describe_stacks(StackName="a")
    assert error_of(exc) == ("AccessDenied", 403, "no <&> way")


def test_add_stack_rejects_what_xml_cannot_carry(fake):
    with pytest.raises(ValueError):
        fake.add_stack("a", parameters={"P": "nul\x00"})
    with pytest.raises(ValueError):
        fake.add_stack("bad_name")
    with pytest.raises(ValueError):
        fake.add_stack("a", resolved={"Missing": "x"})


# ------------------------------------------------------------------ faults, delays
def test_error_statuses_agree_with_the_model_where_it_has_them():
    modelled = {s.metadata["error"]["code"]: s.metadata["error"]["httpStatusCode"] for s in MODEL.error_shapes}
    for code, status in ERROR_STATUS.items():
        if code in modelled:
            assert modelled[code] == status, code
    assert {"ValidationError": 400, "Throttling": 400, "AccessDenied": 403, "InternalFailure": 500,
            "ServiceUnavailable": 503, "InvalidAction": 400}.items() <= ERROR_STATUS.items()


@pytest.mark.parametrize("operation", ["DescribeStacks", "DescribeStackResources", "ListStackResources"])
@pytest.mark.parametrize("code", ["Throttling", "AccessDenied", "InternalFailure", "ServiceUnavailable", "ValidationError"])
def test_fault_kinds(fake, client, code, operation):
    fake.add_stack("web")
    fake.fail(operation, code, message=f"boom {code}")
    method = {"DescribeStacks": client.describe_stacks, "DescribeStackResources": client.describe_stack_resources,
              "ListStackResources": client.list_stack_resources}[operation]
    with pytest.raises(ClientError) as exc:
        method(StackName="web")
    assert error_of(exc) == (code, ERROR_STATUS[code], f"boom {code}")
    assert exc.value.response["Error"]["Type"] == ("Receiver" if ERROR_STATUS[code] >= 500 else "Sender")
    assert exc.value.response["ResponseMetadata"]["RequestId"] == \
        exc.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert len(fake.calls(operation)) == 1


def test_throttling_default_message_and_standard_mode_retries_it(fake):
    fake.add_stack("web")
    fake.fail("DescribeStacks", "Throttling", times=2)
    resp = client_for(fake, retries={"max_attempts": 3, "mode": "standard"}).describe_stacks(StackName="web")
    assert resp["ResponseMetadata"]["RetryAttempts"] == 2 and len(fake.calls("DescribeStacks")) == 3
    fake.fail("DescribeStacks", "Throttling", times=1)
    with pytest.raises(ClientError) as exc:
        client_for(fake, retries={"max_attempts": 0}).describe_stacks(StackName="web")
    assert error_of(exc) == ("Throttling", 400, "Rate exceeded")


def test_fault_times_and_stack_scope(fake, client):
    fake.add_stack("a")
    fake.add_stack("b")
    fake.fail("DescribeStacks", "ServiceUnavailable", times=2, stack="a")
    assert client.describe_stacks(StackName="b")["Stacks"][0]["StackName"] == "b"
    for _ in range(2):
        with pytest.raises(ClientError):
            client.describe_stacks(StackName="a")
    assert client.describe_stacks(StackName="a")["Stacks"][0]["StackName"] == "a"
    client.describe_stack_resources(StackName="a")     # a DescribeStacks fault never affects other operations


def test_fail_and_delay_reject_bad_arguments(fake):
    with pytest.raises(ValueError):
        fake.fail("DescribeStacks", "NoSuchCode")
    with pytest.raises(ValueError):
        fake.fail("DeleteStack", "Throttling")
    with pytest.raises(ValueError):
        fake.fail("DescribeStacks", "Throttling", times=0)
    with pytest.raises(ValueError):
        fake.delay("UpdateStack", 1)


def test_delay_provokes_read_timeout_then_recovers(fake):
    fake.add_stack("a")
    fake.delay("DescribeStacks", 5.0, times=1)
    client = client_for(fake, read_timeout=0.3, retries={"max_attempts": 0})
    with pytest.raises(ReadTimeoutError):
        client.describe_stacks(StackName="a")
    patient = client_for(fake, retries={"max_attempts": 0})   # the rule is used up: answered at once
    assert patient.describe_stacks(StackName="a")["Stacks"][0]["StackName"] == "a"
    assert len(fake.calls("DescribeStacks")) == 2


def test_stop_interrupts_delayed_requests_and_closes_port():
    fake = FakeCloudFormation().start()
    fake.add_stack("a")
    fake.delay("DescribeStacks", 30)
    client = client_for(fake, retries={"max_attempts": 0}, connect_timeout=1, read_timeout=60)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault(
        "name", client.describe_stacks(StackName="a")["Stacks"][0]["StackName"]))
    worker.start()
    while not fake.calls("DescribeStacks"):
        time.sleep(0.01)
    fake.stop()
    worker.join(timeout=10)
    assert not worker.is_alive() and result == {"name": "a"}
    with pytest.raises(EndpointConnectionError):
        client_for(fake, connect_timeout=1, retries={"max_attempts": 0}).describe_stacks()
    fake.stop()   # idempotent


# ------------------------------------------------------------------ request log, robustness
def test_request_log_contents(fake, client):
    fake.add_stack("web")
    client.describe_stacks(StackName="web")
    (entry,) = fake.requests
    assert (entry["method"], entry["path"], entry["operation"], entry["region"]) == ("POST", "/", "DescribeStacks", "us-east-1")
    assert entry["params"] == {"Action": "DescribeStacks", "Version": API_VERSION, "StackName": "web"}
    assert entry["headers"]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIAFAKE/")
    assert fake.actions() == ["DescribeStacks"] and fake.calls("DescribeStacks") == [entry]


@pytest.mark.parametrize("operation", ["delete_stack", "update_termination_protection"])
def test_other_actions_are_invalid_action_and_logged(fake, client, operation):
    fake.add_stack("web")
    kwargs = {"StackName": "web"} if operation == "delete_stack" else {"StackName": "web", "EnableTerminationProtection": True}
    with pytest.raises(ClientError) as exc:
        getattr(client, operation)(**kwargs)
    code, status, message = error_of(exc)
    assert (code, status) == ("InvalidAction", 400) and "for version 2010-05-15" in message
    assert fake.actions() == ["".join(p.title() for p in operation.split("_"))]
    assert client.describe_stacks(StackName="web")["Stacks"]   # nothing was changed


@pytest.mark.parametrize("params, code", [
    ({"Version": API_VERSION}, "MissingAction"),
    ({"Action": "DescribeStacks"}, "MissingParameter"),
    ({"Action": "DescribeStacks", "Version": "2009-01-01"}, "NoSuchVersion"),
])
def test_malformed_query_requests(fake, params, code):
    status, headers, body = raw_post(fake, params)
    root = ET.fromstring(body)
    assert status == 400 and root.find(f"{NS}Error/{NS}Code").text == code and headers["x-amzn-RequestId"]


def test_get_query_string_is_accepted_and_other_paths_are_not(fake):
    fake.add_stack("web")
    with urllib.request.urlopen(fake.url + "/?" + urlencode({"Action": "DescribeStacks", "Version": API_VERSION,
                                                               "StackName": "web"}), timeout=5) as resp:
        assert ET.fromstring(resp.read()).find(f".//{NS}StackName").text == "web"
    req = urllib.request.Request(fake.url + "/other", data=b"Action=DescribeStacks&Version=2010-05-15", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(req, timeout=5)
    assert exc.value.code == 400 and b"<Code>InvalidAction</Code>" in exc.value.read()


def test_oversized_and_undecodable_bodies_are_refused(fake):
    for data, headers in ((b"\xff\xfe", {}), (b"x", {"Content-Length": str(MAX_BODY + 1)})):
        req = urllib.request.Request(fake.url + "/", data=data, method="POST", headers=headers)
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(req, timeout=5)
        assert exc.value.code == 400 and b"<Code>MalformedQueryString</Code>" in exc.value.read()


def test_concurrent_clients_consume_times_exactly(fake):
    for i in range(20):
        fake.add_stack(f"s{i}")
    fake.fail("DescribeStacks", "Throttling", times=10)
    client = client_for(fake, retries={"max_attempts": 0}, max_pool_connections=16)

    def describe(i):
        try:
            return client.describe_stacks(StackName=f"s{i % 20}")["Stacks"][0]["StackName"]
        except ClientError as err:
            return err.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(describe, range(120)))
    assert results.count("Throttling") == 10
    assert sum(r.startswith("s") for r in results) == 110 and len(fake.calls("DescribeStacks")) == 120
