"""read_stack against the loopback CloudFormation fake, through the real boto3 client over HTTP."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from driftcheck.errors import LiveStateError
from driftcheck.live.session import AwsCallError, AwsSettings, cloudformation_client
from driftcheck.live.stack import DeployedStack, parse_stack_id, read_stack
from tests.fake_cloudformation import FakeCloudFormation

READ_ACTIONS = {"DescribeStacks", "DescribeStackResources", "ListStackResources"}
PIPELINE_ARN = "arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/web"


@pytest.fixture
def cfn(monkeypatch):
    """A running fake, reached the way driftcheck is told in real use: AWS_ENDPOINT_URL_CLOUDFORMATION."""
    with FakeCloudFormation(page_size=30) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", fake.url)
        yield fake


def settings(**overrides) -> AwsSettings:
    return AwsSettings(**{"retry_initial_delay": 0.01, "retry_max_delay": 0.05, "max_attempts": 3, **overrides})


def add_web(fake: FakeCloudFormation, **overrides) -> str:
    kwargs = dict(
        parameters={"Name": "web", "AmiId": "/aws/service/ami-amazon-linux-latest/al2023", "Password": "s3cret",
                    "Empty": ""},
        resolved={"AmiId": "ami-0123456789abcdef0"},
        no_echo=["Password"],
        tags={"team": "images", "env": "prod"},
        resources=[("Pipeline", "AWS::ImageBuilder::ImagePipeline", PIPELINE_ARN),
                   ("Recipe", "AWS::ImageBuilder::ImageRecipe", "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.0.0"),
                   ("Pending", "AWS::CloudFormation::WaitCondition", None)],
    )
    kwargs.update(overrides)
    return fake.add_stack("web", **kwargs)


# ------------------------------------------------------------------ the result
def test_reads_parameters_tags_resources_and_ids(cfn):
    stack_id = add_web(cfn)
    stack = read_stack(settings(), "web")
    assert isinstance(stack, DeployedStack)
    assert (stack.name, stack.stack_id, stack.status) == ("web", stack_id, "CREATE_COMPLETE")
    assert (stack.partition, stack.region, stack.account_id) == ("aws", "us-east-1", "123456789012")
    assert dict(stack.parameters) == {"Name": "web", "AmiId": "ami-0123456789abcdef0", "Password": None, "Empty": ""}
    assert dict(stack.tags) == {"team": "images", "env": "prod"}
    assert dict(stack.resources) == {
        "Pipeline": ("AWS::ImageBuilder::ImagePipeline", PIPELINE_ARN),
        "Recipe": ("AWS::ImageBuilder::ImageRecipe", "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.0.0"),
    }
    assert set(cfn.actions()) == {"DescribeStacks", "DescribeStackResources"}   # < 100 resources: no listing


def test_result_is_frozen(cfn):
    add_web(cfn)
    stack = read_stack(settings(), "web")
    for mapping in (stack.parameters, stack.tags, stack.resources):
        assert isinstance(mapping, MappingProxyType)
        with pytest.raises(TypeError):
            mapping["x"] = "y"
    with pytest.raises(AttributeError):
        stack.status = "x"


def test_by_stack_id_and_resources_read_by_id(cfn):
    stack_id = add_web(cfn)
    assert read_stack(settings(), stack_id).name == "web"
    assert read_stack(settings(), "web").stack_id == stack_id
    assert [r["params"]["StackName"] for r in cfn.calls("DescribeStacks")] == [stack_id, "web"]
    # resources are read by the id DescribeStacks answered, whatever the caller passed
    assert [r["params"]["StackName"] for r in cfn.calls("DescribeStackResources")] == [stack_id, stack_id]


def test_resolved_value_preferred_and_masked_values_are_none(cfn):
    cfn.add_stack("p", parameters={"Ssm": "/path", "SecretSsm": "/secret", "Plain": "****x"},
                  resolved={"Ssm": "resolved", "SecretSsm": "x"}, no_echo=["SecretSsm"])
    assert dict(read_stack(settings(), "p").parameters) == {"Ssm": "resolved", "SecretSsm": None, "Plain": "****x"}


def test_stack_without_parameters_tags_or_resources(cfn):
    cfn.add_stack("bare")
    stack = read_stack(settings(), "bare")
    assert (dict(stack.parameters), dict(stack.tags), dict(stack.resources)) == ({}, {}, {})


@pytest.mark.parametrize("count, listed", [(99, False), (100, True), (101, True), (250, True)])
def test_100_resources_or_more_come_from_list_stack_resources(cfn, count, listed):
    # `count` resources in all, the last one without a physical id (so left out of the result)
    cfn.add_stack("big", resources=[(f"Topic{i:03d}", "AWS::SNS::Topic", f"arn:aws:sns:us-east-1:1:t{i}")
                                    for i in range(count - 1)] + [("NoId", "AWS::CloudFormation::WaitCondition", None)])
    stack = read_stack(settings(), "big")
    assert len(stack.resources) == count - 1 and "NoId" not in stack.resources
    assert stack.resources[f"Topic{count - 2:03d}"] == ("AWS::SNS::Topic", f"arn:aws:sns:us-east-1:1:t{count - 2}")
    pages = cfn.calls("ListStackResources")
    assert len(pages) == (-(-count // 30) if listed else 0)     # every page of 30, or none
    assert all("NextToken" in p["params"] for p in pages[1:])


def test_list_stack_resources_page_throttled_is_retried_on_its_own(cfn):
    cfn.add_stack("big", resources=[(f"R{i:03d}", "AWS::SNS::Topic", f"t{i}") for i in range(120)])
    cfn.fail("ListStackResources", "Throttling", times=1)
    stack = read_stack(settings(), "big")
    assert len(stack.resources) == 120
    tokens = [c["params"].get("NextToken") for c in cfn.calls("ListStackResources")]
    # 4 pages of 30; the throttled first page is asked again, the others once each
    assert len(tokens) == 5 and tokens[:2] == [None, None] and None not in tokens[2:] and len(set(tokens)) == 4


@pytest.mark.parametrize("region, account, partition", [
    ("eu-west-1", "111122223333", "aws"),
    ("cn-north-1", "444455556666", "aws-cn"),
    ("us-gov-west-1", "777788889999", "aws-us-gov"),
])
def test_region_account_partition_come_from_the_stack_id(cfn, region, account, partition):
    cfn.add_stack("web", region=region, account=account)
    stack = read_stack(settings(region=region), "web")
    assert (stack.region, stack.account_id, stack.partition) == (region, account, partition)
    assert all(r["region"] == region for r in cfn.requests)   # the client signs for settings.region


@pytest.mark.parametrize("stack_id, expected", [
    ("arn:aws:cloudformation:us-east-1:123456789012:stack/web/0a1b", ("aws", "us-east-1", "123456789012")),
    ("arn:aws-cn:cloudformation:cn-north-1:1:stack/a:b/c", ("aws-cn", "cn-north-1", "1")),
    ("arn:aws:s3:::bucket", (None, None, None)),
    ("web", (None, None, None)),
    ("arn:aws:cloudformation:::stack/x/y", ("aws", None, None)),
])
def test_parse_stack_id(stack_id, expected):
    assert parse_stack_id(stack_id) == expected


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "CREATE_FAILED", "DELETE_FAILED"])
def test_failed_and_rolled_back_stacks_are_still_read(cfn, status):
    add_web(cfn, status=status)
    stack = read_stack(settings(), "web")
    assert stack.status == status and "Pipeline" in stack.resources


def test_deleted_stack_is_read_by_id_but_not_found_by_name(cfn):
    stack_id = cfn.add_stack("old", status="DELETE_COMPLETE", parameters={"P": "v"},
                             resources=[("B", "AWS::S3::Bucket", "bucket-1")])
    stack = read_stack(settings(), stack_id)
    assert (stack.status, dict(stack.parameters), dict(stack.resources)) == \
        ("DELETE_COMPLETE", {"P": "v"}, {"B": ("AWS::S3::Bucket", "bucket-1")})
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(), "old")
    assert exc.value.code == "StackNotFound"


# ------------------------------------------------------------------ failures
def test_missing_stack(cfn):
    add_web(cfn)
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(), "nope")
    err = exc.value
    assert str(err) == "DescribeStacks: stack nope does not exist in us-east-1"
    assert err.code == "StackNotFound" and err.not_found and isinstance(err, LiveStateError)
    assert len(cfn.calls("DescribeStacks")) == 1          # a ValidationError is not retried


def test_missing_stack_names_the_client_region(cfn):
    cfn.add_stack("web", region="us-east-1")
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(region="eu-central-1"), "web")
    assert str(exc.value) == "DescribeStacks: stack web does not exist in eu-central-1"


def test_other_validation_errors_are_not_not_found(cfn):
    add_web(cfn)
    cfn.fail("DescribeStacks", "ValidationError", message="1 validation error detected: Value at 'stackName'")
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(), "web")
    assert exc.value.code == "ValidationError" and not exc.value.not_found
    assert str(exc.value) == "DescribeStacks: AWS error: ValidationError: 1 validation error detected: Value at 'stackName'"


def test_stack_vanishing_between_calls_is_not_found(cfn):
    add_web(cfn)
    cfn.fail("DescribeStackResources", "ValidationError", message="Stack with id web does not exist")
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(), "web")
    assert exc.value.code == "StackNotFound"
    assert str(exc.value) == "DescribeStackResources: stack web does not exist in us-east-1"


def test_access_denied_is_not_retried(cfn):
    add_web(cfn)
    cfn.fail("DescribeStacks", "AccessDenied",
             message="User: arn:aws:iam::1:user/x is not authorized to perform: cloudformation:DescribeStacks")
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(), "web")
    assert exc.value.code == "AccessDenied" and exc.value.attempts == 1
    assert str(exc.value).startswith("DescribeStacks: access denied: AccessDenied: User: arn:aws:iam::1:user/x")
    assert len(cfn.calls("DescribeStacks")) == 1


@pytest.mark.parametrize("operation", ["DescribeStacks", "DescribeStackResources"])
def test_throttled_then_recovered(cfn, operation):
    add_web(cfn)
    cfn.fail(operation, "Throttling", times=2)
    assert read_stack(settings(max_attempts=3), "web").resources["Pipeline"][1] == PIPELINE_ARN
    assert len(cfn.calls(operation)) == 3


def test_throttled_exhausted(cfn):
    add_web(cfn)
    cfn.fail("DescribeStacks", "Throttling")
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(max_attempts=4), "web")
    err = exc.value
    assert (err.code, err.attempts) == ("Throttling", 4)
    assert str(err) == "DescribeStacks: throttled: Throttling: Rate exceeded (after 4 attempts)"
    assert len(cfn.calls("DescribeStacks")) == 4 and not cfn.calls("DescribeStackResources")


@pytest.mark.parametrize("code, status", [("InternalFailure", 500), ("ServiceUnavailable", 503)])
def test_server_errors_are_retried_then_reported(cfn, code, status):
    add_web(cfn)
    cfn.fail("DescribeStackResources", code)
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(max_attempts=2), "web")
    assert (exc.value.code, exc.value.attempts) == (code, 2)
    assert str(exc.value).startswith(f"DescribeStackResources: AWS error: {code}: ")
    assert len(cfn.calls("DescribeStackResources")) == 2


def test_server_error_then_recovered(cfn):
    add_web(cfn)
    cfn.fail("DescribeStacks", "InternalFailure", times=1)
    assert read_stack(settings(), "web").name == "web"
    assert len(cfn.calls("DescribeStacks")) == 2


def test_timeout(cfn):
    add_web(cfn)
    cfn.delay("DescribeStacks", 5.0)
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(max_attempts=2, read_timeout=0.2), "web")
    assert (exc.value.code, exc.value.attempts) == ("Timeout", 2)
    assert str(exc.value).startswith("DescribeStacks: timed out: ") and "(after 2 attempts)" in str(exc.value)
    assert len(cfn.calls("DescribeStacks")) == 2


def test_timeout_then_recovered(cfn):
    add_web(cfn)
    cfn.delay("DescribeStackResources", 10.0, times=1)
    assert read_stack(settings(read_timeout=1.0), "web").resources
    assert len(cfn.calls("DescribeStackResources")) == 2


def test_multi_line_aws_message_becomes_one_line(cfn):
    add_web(cfn)
    cfn.fail("DescribeStacks", "AccessDenied", message="denied\nby an explicit deny\r\n in a policy")
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(), "web")
    assert str(exc.value) == "DescribeStacks: access denied: AccessDenied: denied by an explicit deny in a policy"
    assert exc.value.code == "AccessDenied"


def test_empty_stack_name_makes_no_call(cfn):
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(), "  ")
    assert exc.value.code == "InvalidStackName" and cfn.requests == []


# ------------------------------------------------------------------ endpoint, client, read-only
def test_generic_aws_endpoint_url_is_honoured(monkeypatch):
    with FakeCloudFormation() as fake:
        monkeypatch.delenv("AWS_ENDPOINT_URL_CLOUDFORMATION", raising=False)
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        add_web(fake)
        assert read_stack(settings(), "web").name == "web"
        assert fake.actions()


def test_service_endpoint_wins_and_image_builder_endpoint_url_is_not_used(cfn, monkeypatch):
    with FakeCloudFormation() as decoy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", decoy.url)
        add_web(cfn)
        stack = read_stack(settings(endpoint_url=decoy.url), "web")   # --endpoint-url is Image Builder's
        assert stack.name == "web" and decoy.requests == [] and cfn.requests


def test_client_uses_settings_region_and_config(cfn):
    client = cloudformation_client(settings(region="ap-south-1", read_timeout=7, connect_timeout=3))
    assert client.meta.region_name == "ap-south-1" and client.meta.endpoint_url == cfn.url
    assert (client.meta.config.read_timeout, client.meta.config.connect_timeout) == (7, 3)
    assert client.meta.config.retries == {"total_max_attempts": 1, "mode": "standard"}   # botocore never retries
    assert cloudformation_client(settings()).meta.region_name == "us-east-1"   # from AWS_DEFAULT_REGION


def test_no_region_anywhere(cfn, monkeypatch):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(), "web")
    assert exc.value.code == "NoRegion" and "no AWS region" in str(exc.value)


def test_unknown_profile(cfn):
    with pytest.raises(AwsCallError) as exc:
        read_stack(settings(profile="nobody"), "web")
    assert exc.value.code == "ProfileNotFound" and "nobody" in str(exc.value)


def test_only_read_actions_are_sent(cfn):
    cfn.add_stack("big", resources=[(f"R{i:03d}", "AWS::SNS::Topic", f"t{i}") for i in range(150)])
    add_web(cfn)
    cfn.fail("DescribeStacks", "Throttling", times=1)
    read_stack(settings(), "big")
    read_stack(settings(), "web")
    with pytest.raises(AwsCallError):
        read_stack(settings(), "missing")
    actions = cfn.actions()
    assert set(actions) == READ_ACTIONS and len(actions) == 1 + 2 + 5 + 2 + 1
    assert all(r["method"] == "POST" and r["params"]["Version"] == "2010-05-15" for r in cfn.requests)


def test_a_stack_arn_is_read_in_its_own_region(cfn):
    """--stack with a stack id from another region than --region: the ARN names where the stack lives."""
    stack_id = cfn.add_stack("far", region="eu-west-1", tags={"Team": "far"})
    assert read_stack(settings(region="us-east-1"), stack_id).tags == {"Team": "far"}
    with pytest.raises(AwsCallError) as missing:
        read_stack(settings(region="us-east-1"), "far")  # by name, only the client's region is asked
    assert missing.value.code == "StackNotFound"
