"""CloudFormation intrinsics: parameters, pseudo-parameters, every function in short and long form,
conditions (three-valued), resource conditions, AWS::NoValue, dynamic references, the lines of
produced values, and every TemplateError with its line.

Templates are real YAML text loaded by :func:`driftcheck.sources.yaml_tree.load_text`, so lines are real.
No network and no AWS: the partition and DNS suffix come from botocore's bundled data.
"""

from __future__ import annotations

import base64
import textwrap
import tracemalloc
from types import MappingProxyType
from typing import Any

import pytest

from driftcheck.model import Location, Unresolved
from driftcheck.sources.cloudformation import NO_VALUE, Template, TemplateError, TemplateInputs
from driftcheck.sources.yaml_tree import Node, load_text, node_from_plain

FILE = "t.yaml"
RECIPE_ARN = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/base/1.0.0"
NEEDS_STACK = "pass --stack NAME to read it from the deployed stack"

BASE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::LanguageExtensions
Parameters:
  Env:
    Type: String
    Default: dev
    AllowedValues: [dev, prod]
  Count:
    Type: Number
    Default: 90
  Subnets:
    Type: CommaDelimitedList
    Default: "a, b ,c"
  Ports:
    Type: List<Number>
    Default: 80,443
  Ami:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami
  NoDefault:
    Type: String
  AttrName:
    Type: String
    Default: Arn
Mappings:
  Regions:
    us-east-1:
      Ami: ami-east
      Zones:
        - za
        - zb
    eu-west-1:
      Ami: ami-west
  Sizes:
    dev:
      Volume: 30
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  Unknown: !Equals [!Ref NoDefault, x]
Resources:
  Role:
    Type: AWS::IAM::Role
  Recipe:
    Type: AWS::ImageBuilder::ImageRecipe
  Bucket:
    Type: AWS::S3::Bucket
  Thing:
    Type: AWS::S3::Bucket
    Properties:
      V:
"""
EXPR_LINE = BASE.count("\n") + 1  # the line the expression under V starts on


def load(text: str, **inputs: Any) -> Template:
    """A Template from YAML text (dedented) and TemplateInputs keyword arguments."""
    return Template(load_text(textwrap.dedent(text), FILE).root, TemplateInputs(**inputs))


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``marker``."""
    hits = [number for number, line in enumerate(textwrap.dedent(text).splitlines(), 1) if marker in line]
    return hits[occurrence - 1]


def with_expr(expr: str) -> str:
    """BASE with ``expr`` (YAML, possibly several lines) as the value of Thing.Properties.V."""
    return BASE + textwrap.indent(textwrap.dedent(expr).strip("\n"), " " * 8) + "\n"


def evaluate(expr: str, **inputs: Any) -> Node | object:
    """Thing.Properties.V of BASE+expr, resolved: a Node, or NO_VALUE when V was removed."""
    template = load(with_expr(expr), **inputs)
    thing = dict(template.resources())["Thing"]
    properties = template.resolve(thing.get("Properties"))
    value = properties.get("V")
    return NO_VALUE if value is None else value


def value_of(expr: str, **inputs: Any) -> Any:
    """The plain value of :func:`evaluate` (Unresolved markers kept)."""
    node = evaluate(expr, **inputs)
    assert isinstance(node, Node)
    return node.plain()


def reason_of(expr: str, **inputs: Any) -> str:
    """The reason of an expression that must be unresolved."""
    value = value_of(expr, **inputs)
    assert isinstance(value, Unresolved), value
    return value.reason


def error_of(text: str, expr: str | None = None, **inputs: Any) -> TemplateError:
    """The TemplateError raised by loading ``text`` (or BASE+``expr``) and resolving every resource."""
    source = with_expr(expr) if expr is not None else text
    with pytest.raises(TemplateError) as caught:
        template = load(source, **inputs)
        for _, resource in template.resources():
            template.resolve(resource)
    return caught.value


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Env", "dev"),
        ("Count", "90"),  # a YAML number is a string to CloudFormation
        ("Subnets", ("a", "b", "c")),  # members are space trimmed
        ("Ports", ("80", "443")),
        ("AttrName", "Arn"),
    ],
)
def test_parameter_defaults(name: str, expected: Any) -> None:
    assert load(with_expr("x")).parameter(name) == expected


def test_default_written_as_yaml_scalar_is_its_text() -> None:
    template = load(
        """\
        Parameters:
          Float: {Type: Number, Default: 1.50}
          Flag: {Type: String, Default: true}
          Octal: {Type: String, Default: 0123}
          Date: {Type: String, Default: 2024-01-02}
        Resources: {}
        """
    )
    assert [template.parameter(name) for name in ("Float", "Flag", "Octal", "Date")] == ["1.50", "true", "0123", "2024-01-02"]


def test_override_wins_over_default_and_unknown_overrides_are_ignored() -> None:
    template = load(with_expr("x"), parameter_values={"Env": "prod", "Subnets": "x,y", "tf_only_variable": "1"})
    assert template.parameter("Env") == "prod"
    assert template.parameter("Subnets") == ("x", "y")
    assert template.condition("IsProd") is True


def test_parameter_without_default_is_unresolved_with_the_flag() -> None:
    assert load(with_expr("x")).parameter("NoDefault") == Unresolved(
        "parameter NoDefault has no Default: pass --var NoDefault=VALUE or --stack"
    )
    assert load(with_expr("x"), parameter_values={"NoDefault": "given"}).parameter("NoDefault") == "given"


def test_list_parameter_edge_cases() -> None:
    template = load(
        """\
        Parameters:
          Empty: {Type: CommaDelimitedList, Default: ""}
          Gaps: {Type: CommaDelimitedList, Default: "a,,b,"}
          Ids: {Type: "List<AWS::EC2::Subnet::Id>", Default: "subnet-1, subnet-2"}
        Resources: {}
        """
    )
    assert template.parameter("Empty") == ("",)
    assert template.parameter("Gaps") == ("a", "", "b", "")
    assert template.parameter("Ids") == ("subnet-1", "subnet-2")


def test_aws_specific_parameter_is_a_string() -> None:
    template = load("Parameters: {Vpc: {Type: 'AWS::EC2::VPC::Id', Default: vpc-123}}\nResources: {}\n")
    assert template.parameter("Vpc") == "vpc-123"


def test_ssm_parameter_value_needs_an_override() -> None:
    reason = load(with_expr("x")).parameter("Ami")
    assert isinstance(reason, Unresolved)
    assert "SSM parameter /aws/service/ami" in reason.reason and "--var Ami=VALUE" in reason.reason
    assert load(with_expr("x"), parameter_values={"Ami": "ami-0abc"}).parameter("Ami") == "ami-0abc"


def test_ssm_parameter_types() -> None:
    text = """\
        Parameters:
          Names: {Type: "AWS::SSM::Parameter::Value<List<String>>"}
          Csv: {Type: "AWS::SSM::Parameter::Value<CommaDelimitedList>"}
          Key: {Type: "AWS::SSM::Parameter::Name", Default: /my/key}
          Plain: {Type: "AWS::SSM::Parameter::Value<String>", AllowedPattern: "^/.*"}
        Resources: {}
        """
    template = load(text, parameter_values={"Names": "a, b", "Csv": "c", "Plain": "not-a-key"})
    assert template.parameter("Names") == ("a", "b")
    assert template.parameter("Csv") == ("c",)
    assert template.parameter("Key") == "/my/key"
    assert template.parameter("Plain") == "not-a-key"  # constraints apply to the SSM key, not the value
    no_default = load(text).parameter("Names")
    assert isinstance(no_default, Unresolved) and "has no value" in no_default.reason


CONSTRAINED = """\
Parameters:
  Name:
    Type: String
    Default: abc
    AllowedPattern: "[a-z]+"
    MinLength: 2
    MaxLength: 4
    ConstraintDescription: lowercase, 2 to 4 letters
  Size:
    Type: Number
    Default: 5
    MinValue: 1
    MaxValue: 10.5
  Envs:
    Type: CommaDelimitedList
    Default: dev
    AllowedValues: [dev, prod]
Resources: {}
"""


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("Name", "ABC", "does not match AllowedPattern [a-z]+ (lowercase, 2 to 4 letters)"),
        ("Name", "a", "is shorter than MinLength 2"),
        ("Name", "abcde", "is longer than MaxLength 4"),
        ("Size", "0", "is less than MinValue 1"),
        ("Size", "10.6", "is greater than MaxValue 10.5"),
        ("Size", "ten", "is not a Number"),
        ("Envs", "dev, qa", "'qa' is not one of AllowedValues [dev, prod]"),
    ],
)
def test_override_breaking_a_constraint_is_an_error_at_the_parameter(name: str, value: str, words: str) -> None:
    error = error_of(CONSTRAINED, parameter_values={name: value})
    assert words in error.message and error.message.startswith(f"parameter {name}: value")
    assert error.location == Location(FILE, line_of(CONSTRAINED, f"  {name}:"))
    assert "\n" not in str(error)


def test_overrides_within_constraints_are_accepted() -> None:
    template = load(CONSTRAINED, parameter_values={"Name": "abcd", "Size": "10.5", "Envs": "prod,dev"})
    assert (template.parameter("Name"), template.parameter("Size"), template.parameter("Envs")) == ("abcd", "10.5", ("prod", "dev"))


def test_default_breaking_a_constraint_is_an_error() -> None:
    text = "Parameters:\n  Env:\n    Type: String\n    Default: qa\n    AllowedValues: [dev]\nResources: {}\n"
    error = error_of(text)
    assert error.message == "parameter Env: Default 'qa' is not one of AllowedValues [dev]"
    assert error.location == Location(FILE, 2)


# --------------------------------------------------------------------------- pseudo-parameters


@pytest.mark.parametrize(
    "name, inputs, expected",
    [
        ("AWS::Region", {"region": "eu-west-1"}, "eu-west-1"),
        ("AWS::Region", {}, Unresolved("AWS::Region is not known: pass --region")),
        ("AWS::AccountId", {"account_id": "111122223333"}, "111122223333"),
        ("AWS::AccountId", {}, Unresolved("AWS::AccountId is not known: pass --account-id")),
        ("AWS::StackName", {"stack_name": "images"}, "images"),
        ("AWS::StackName", {}, Unresolved("AWS::StackName is not known: pass --stack-name or --stack")),
        ("AWS::StackId", {"stack_id": "arn:aws:cloudformation:x"}, "arn:aws:cloudformation:x"),
        ("AWS::StackId", {}, Unresolved("AWS::StackId is not known: pass --stack")),
        ("AWS::Partition", {"region": "us-east-1"}, "aws"),
        ("AWS::Partition", {"region": "cn-north-1"}, "aws-cn"),
        ("AWS::Partition", {"region": "us-gov-west-1"}, "aws-us-gov"),
        ("AWS::Partition", {}, Unresolved("AWS::Partition is not known: pass --region")),
        ("AWS::URLSuffix", {"region": "us-east-1"}, "amazonaws.com"),
        ("AWS::URLSuffix", {"region": "cn-north-1"}, "amazonaws.com.cn"),
        ("AWS::URLSuffix", {}, Unresolved("AWS::URLSuffix is not known: pass --region")),
        ("AWS::NotificationARNs", {"region": "us-east-1"}, Unresolved("AWS::NotificationARNs is not known: the stack's notification ARNs are not read")),
    ],
)
def test_pseudo_parameters(name: str, inputs: dict[str, str], expected: Any) -> None:
    assert value_of(f"!Ref {name}", **inputs) == expected
    assert value_of(f"Ref: {name}", **inputs) == expected


def test_partition_of_a_region_botocore_does_not_know() -> None:
    reason = reason_of("!Ref AWS::Partition", region="mars-1")
    assert reason == "AWS::Partition is not known: botocore knows no partition for region mars-1"


def test_no_value_pseudo_parameter_removes_the_key() -> None:
    assert evaluate("!Ref AWS::NoValue") is NO_VALUE
    assert evaluate("Ref: AWS::NoValue") is NO_VALUE


# --------------------------------------------------------------------------- Ref and GetAtt to resources


def test_ref_to_parameter_short_and_long() -> None:
    assert value_of("!Ref Env") == "dev"
    assert value_of("Ref: Count") == "90"
    assert value_of("!Ref Subnets") == ["a", "b", "c"]


def test_ref_to_resource_without_and_with_physical_id() -> None:
    assert reason_of("!Ref Recipe") == f"Ref Recipe: resource AWS::ImageBuilder::ImageRecipe; {NEEDS_STACK}"
    assert value_of("Ref: Recipe", physical_ids={"Recipe": RECIPE_ARN}) == RECIPE_ARN


@pytest.mark.parametrize("expr", ["!GetAtt Recipe.Arn", "!GetAtt [Recipe, Arn]", "Fn::GetAtt: [Recipe, Arn]", "Fn::GetAtt: Recipe.Arn", "!GetAtt [Recipe, !Ref AttrName]"])
def test_getatt_image_builder_arn_is_the_physical_id(expr: str) -> None:
    assert value_of(expr, physical_ids={"Recipe": RECIPE_ARN}) == RECIPE_ARN
    assert reason_of(expr) == f"Fn::GetAtt Recipe.Arn: resource AWS::ImageBuilder::ImageRecipe; {NEEDS_STACK}"


def test_getatt_role_arn_needs_partition_and_account() -> None:
    ids = {"Role": "build-role"}
    assert value_of("!GetAtt Role.Arn", physical_ids=ids, region="cn-north-1", account_id="111122223333") == (
        "arn:aws-cn:iam::111122223333:role/build-role"
    )
    assert reason_of("!GetAtt Role.Arn", physical_ids=ids, region="us-east-1") == (
        "Fn::GetAtt Role.Arn: AWS::AccountId is not known: pass --account-id"
    )
    assert reason_of("!GetAtt Role.Arn", physical_ids=ids) == (
        "Fn::GetAtt Role.Arn: AWS::Partition is not known: pass --region; AWS::AccountId is not known: pass --account-id"
    )


def test_getatt_other_attributes_stay_unresolved() -> None:
    assert reason_of("!GetAtt Bucket.Arn", physical_ids={"Bucket": "my-bucket"}) == (
        "Fn::GetAtt Bucket.Arn: the attribute of a AWS::S3::Bucket is not derived from its physical id"
    )
    assert "Fn::GetAtt Recipe.Name" in reason_of("!GetAtt Recipe.Name", physical_ids={"Recipe": RECIPE_ARN})


def test_getatt_attribute_from_unresolved_parameter() -> None:
    reason = reason_of("!GetAtt [Recipe, !Ref NoDefault]", physical_ids={"Recipe": RECIPE_ARN})
    assert reason.startswith("Fn::GetAtt Recipe: attribute name: parameter NoDefault has no Default")


# --------------------------------------------------------------------------- string functions


@pytest.mark.parametrize(
    "expr, expected",
    [
        ('!Sub "${Env}-${AWS::Region}-${Count}"', "dev-us-east-1-90"),
        ('Fn::Sub: "${Env}-${AWS::Region}"', "dev-us-east-1"),
        ('!Sub ["${Name}/${Env}", {Name: !Select [1, !Ref Subnets]}]', "b/dev"),
        ('Fn::Sub:\n  - "${Name}"\n  - Name:\n      Fn::Join: ["+", [x, y]]', "x+y"),
        ('!Sub "${!Literal}-${ Env }"', "${Literal}-dev"),
        ('!Sub "${Recipe}|${Recipe.Arn}"', f"{RECIPE_ARN}|{RECIPE_ARN}"),
        ('!Sub "no variables, $ {x}"', "no variables, $ {x}"),
        ('!Join ["-", [a, !Ref Env, 3]]', "a-dev-3"),
        ('Fn::Join: ["", !Ref Subnets]', "abc"),
        ("Fn::Join:\n  - ','\n  - - a\n    - Ref: AWS::NoValue\n    - b", "a,b"),
        ('!Select [1, !Ref Subnets]', "b"),
        ('Fn::Select: ["0", [x, y]]', "x"),
        ('!Select [!Ref Count, !Split [",", "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63,64,65,66,67,68,69,70,71,72,73,74,75,76,77,78,79,80,81,82,83,84,85,86,87,88,89,90"]]', "90"),
        ('!Split ["|", "a||c|"]', ["a", "", "c", ""]),
        ('Fn::Split: [",", !Sub "${Env},x"]', ["dev", "x"]),
        ("!Base64 hello", base64.b64encode(b"hello").decode()),
        ('Fn::Base64: !Sub "${Env}"', base64.b64encode(b"dev").decode()),
        ("!Length [a, b, c]", 3),
        ("Fn::Length: !Ref Ports", 2),
        ("!ToJsonString {a: !Ref Env, b: [1, x], c: !Ref AWS::NoValue}", '{"a":"dev","b":[1,"x"]}'),
        ("Fn::ToJsonString:\n  - k: v", '[{"k":"v"}]'),
    ],
)
def test_string_and_list_functions(expr: str, expected: Any) -> None:
    assert value_of(expr, region="us-east-1", physical_ids={"Recipe": RECIPE_ARN}) == expected


def test_sub_reasons_are_joined() -> None:
    assert reason_of('!Sub "${NoDefault}/${AWS::AccountId}/${Env}"') == (
        "parameter NoDefault has no Default: pass --var NoDefault=VALUE or --stack; "
        "AWS::AccountId is not known: pass --account-id"
    )


def test_unresolved_input_makes_the_function_unresolved() -> None:
    missing = "parameter NoDefault has no Default: pass --var NoDefault=VALUE or --stack"
    assert reason_of("!Join [-, [a, !Ref NoDefault]]") == missing
    assert reason_of("!Select [0, !Split [',', !Ref NoDefault]]") == missing
    assert reason_of("!Base64 {Ref: NoDefault}") == missing
    assert reason_of("!FindInMap [Regions, !Ref AWS::Region, Ami]") == "AWS::Region is not known: pass --region"
    assert reason_of("!Length {Ref: Ami}").startswith("parameter Ami")
    assert reason_of("!ToJsonString {a: [!Ref NoDefault]}") == missing


def test_unresolved_item_stays_local_to_its_list() -> None:
    value = value_of("[!Ref NoDefault, x, {k: !Ref AWS::Region}]")
    assert isinstance(value[0], Unresolved) and value[1] == "x" and isinstance(value[2]["k"], Unresolved)
    assert value_of("!Select [1, [!Ref NoDefault, known]]") == "known"
    assert value_of("!Length [!Ref NoDefault, x]") == 2


# --------------------------------------------------------------------------- FindInMap, If, unevaluated functions


def test_find_in_map_short_and_long() -> None:
    assert value_of("!FindInMap [Regions, !Ref AWS::Region, Ami]", region="eu-west-1") == "ami-west"
    assert value_of("Fn::FindInMap: [Sizes, !Ref Env, Volume]") == 30
    assert value_of("Fn::FindInMap:\n  - Regions\n  - us-east-1\n  - Zones") == ["za", "zb"]
    assert value_of("!FindInMap [Regions, us-west-2, Ami, {DefaultValue: fallback}]") == "fallback"


def test_if_short_and_long() -> None:
    assert value_of("!If [IsProd, big, small]") == "small"
    assert value_of("!If [IsProd, big, small]", parameter_values={"Env": "prod"}) == "big"
    assert value_of("Fn::If:\n  - IsProd\n  - big\n  - Ref: Env") == "dev"


def test_if_on_unresolved_condition() -> None:
    assert reason_of("!If [Unknown, a, b]") == (
        "Fn::If Unknown: parameter NoDefault has no Default: pass --var NoDefault=VALUE or --stack"
    )


@pytest.mark.parametrize(
    "expr, reason",
    [
        ("!ImportValue shared-vpc-id", "ImportValue 'shared-vpc-id' is resolved only by CloudFormation at deploy time; driftcheck does not read stack exports: pass --export shared-vpc-id=VALUE (the value `aws cloudformation list-exports` shows) to compare it"),
        ('Fn::ImportValue: !Sub "${Env}-vpc"', "ImportValue 'dev-vpc' is resolved only by CloudFormation at deploy time; driftcheck does not read stack exports: pass --export dev-vpc=VALUE (the value `aws cloudformation list-exports` shows) to compare it"),
        ("!ImportValue {Ref: NoDefault}", "ImportValue whose export name is not known (parameter NoDefault has no Default: pass --var NoDefault=VALUE or --stack); its value is not compared"),
        ("!GetAZs ''", "Fn::GetAZs: the region's Availability Zones are not read"),
        ("Fn::GetAZs: !Ref AWS::Region", "Fn::GetAZs: the region's Availability Zones are not read"),
        ('!Cidr ["10.0.0.0/16", 4, 8]', "Fn::Cidr is not evaluated by driftcheck"),
        ("Fn::Transform: {Name: AWS::Include, Parameters: {Location: s3://b/k}}", "Fn::Transform AWS::Include: macros run in CloudFormation at deploy time; driftcheck does not run them"),
        ("Fn::ForEach::Things: [X, [a], {}]", "Fn::ForEach::Things: Fn::ForEach is not expanded by driftcheck"),
    ],
)
def test_functions_driftcheck_does_not_evaluate(expr: str, reason: str) -> None:
    assert reason_of(expr) == reason


# --------------------------------------------------------------------------- dynamic references


def test_dynamic_reference_in_sub_is_unresolved() -> None:
    reason = reason_of('!Sub "{{resolve:ssm:/app/${Env}/ami}}"')
    assert reason == (
        "dynamic reference {{resolve:ssm:/app/dev/ami}} is resolved by CloudFormation at deploy time; driftcheck does not read it"
    )


def test_dynamic_reference_in_literal_and_joined_strings() -> None:
    assert reason_of("'{{resolve:secretsmanager:db:SecretString:password}}'").startswith(
        "dynamic reference {{resolve:secretsmanager:db:SecretString:password}}"
    )
    assert reason_of("!Join ['', ['{{', 'resolve:ssm:/x}}']]").startswith("dynamic reference {{resolve:ssm:/x}}")
    assert reason_of("'pre-{{resolve:ssm:/a/b:3}}-post'") == (
        "dynamic reference {{resolve:ssm:/a/b:3}} is resolved by CloudFormation at deploy time; driftcheck does not read it"
    )


def test_image_builder_placeholders_are_literals() -> None:
    assert value_of("'img-{{ imagebuilder:buildDate }}'") == "img-{{ imagebuilder:buildDate }}"
    assert value_of('!Sub "${Env}-{{ imagebuilder:buildVersion }}"') == "dev-{{ imagebuilder:buildVersion }}"
    assert value_of("'{{ssm:/not/a/resolve}}'") == "{{ssm:/not/a/resolve}}"


# --------------------------------------------------------------------------- AWS::NoValue


def test_no_value_removes_keys_and_items() -> None:
    expr = """\
        keep: 1
        gone: !Ref AWS::NoValue
        maybe: !If [IsProd, yes, !Ref AWS::NoValue]
        list:
          - a
          - !Ref AWS::NoValue
          - !If [IsProd, !Ref AWS::NoValue, b]
        """
    node = evaluate(expr)
    assert node.plain() == {"keep": 1, "list": ["a", "b"]}
    assert set(node.key_lines) == {"keep", "list"}
    assert node.key_lines["list"] == EXPR_LINE + 3


def test_no_value_from_if_removes_the_whole_value() -> None:
    assert evaluate("!If [IsProd, x, !Ref AWS::NoValue]") is NO_VALUE
    template = load(with_expr("x"))
    assert template.resolve(node_from_plain({"Fn::If": ["IsProd", "x", {"Ref": "AWS::NoValue"}]})) is NO_VALUE


# --------------------------------------------------------------------------- lines and immutability


def test_produced_values_carry_the_function_line() -> None:
    expr = """\
        plain: text
        sub: !Sub "${Env}"
        long:
          Fn::Join:
            - "-"
            - [a, b]
        split: !Split [",", "a,b"]
        ref: !Ref Subnets
        """
    node = evaluate(expr)
    assert node.line == EXPR_LINE
    assert node.get("plain").line == EXPR_LINE
    assert node.get("sub").line == EXPR_LINE + 1
    assert node.get("long").line == EXPR_LINE + 3  # where the Fn::Join mapping starts
    assert [item.line for item in node.get("split").value] == [EXPR_LINE + 6] * 2
    assert node.get("ref").line == EXPR_LINE + 7 and [item.line for item in node.get("ref").value] == [EXPR_LINE + 7] * 3
    assert all(item.file == FILE for item in node.get("ref").value)


def test_unresolved_values_carry_the_function_line() -> None:
    node = evaluate("a: 1\nb: !Ref NoDefault")
    assert node.get("b").line == EXPR_LINE + 1 and isinstance(node.get("b").value, Unresolved)


def test_chosen_if_branch_keeps_its_own_lines() -> None:
    expr = """\
        Fn::If:
          - IsProd
          - [p]
          - - first
            - second: !Ref Env
            - third
        """
    node = evaluate(expr)
    assert node.line == EXPR_LINE + 3
    assert [item.line for item in node.value] == [EXPR_LINE + 3, EXPR_LINE + 4, EXPR_LINE + 5]
    assert node.value[1].key_lines["second"] == EXPR_LINE + 4
    assert node.plain() == ["first", {"second": "dev"}, "third"]
    scalar = evaluate("!If\n  - IsProd\n  - big\n  - small")
    assert scalar.line == EXPR_LINE + 3


def test_find_in_map_list_keeps_the_mapping_lines_and_scalars_take_the_function_line() -> None:
    listed = evaluate("!FindInMap [Regions, us-east-1, Zones]")
    zones_line = line_of(BASE, "- za")
    assert [item.line for item in listed.value] == [zones_line, zones_line + 1]
    scalar = evaluate("!FindInMap [Sizes, dev, Volume]")
    assert scalar.line == EXPR_LINE and scalar.text() == "30"


def test_resolve_does_not_mutate_and_returns_read_only_trees() -> None:
    template = load(with_expr("a: !Ref Env\nb: [x, !Ref AWS::NoValue]"))
    properties = dict(template.resources())["Thing"].get("Properties")
    before = properties.plain()
    resolved = template.resolve(properties)
    assert properties.plain() == before
    assert isinstance(resolved.value, MappingProxyType) and isinstance(resolved.get("V").get("b").value, tuple)
    assert resolved.get("V").plain() == {"a": "dev", "b": ["x"]}
    plain = load("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties: {A: [x, {k: [1, 2]}], B: y}\n")
    resource = dict(plain.resources())["R"]
    assert plain.resolve(resource) is resource  # nothing to evaluate: the same node


def test_inputs_are_frozen_copies() -> None:
    values = {"Env": "prod"}
    inputs = TemplateInputs(parameter_values=values)
    values["Env"] = "dev"
    assert inputs.parameter_values["Env"] == "prod"
    with pytest.raises(TypeError):
        inputs.parameter_values["Env"] = "x"  # type: ignore[index]


def test_json_template() -> None:
    text = '{\n  "Parameters": {"Env": {"Type": "String", "Default": "dev"}},\n  "Resources": {\n    "R": {"Type": "AWS::S3::Bucket",\n      "Properties": {"Name": {"Fn::Sub": "b-${Env}"}}}\n  }\n}\n'
    template = load(text)
    name = template.resolve(dict(template.resources())["R"]).get("Properties").get("Name")
    assert (name.value, name.line) == ("b-dev", 5)


# --------------------------------------------------------------------------- conditions


def conditions(body: str, **inputs: Any) -> Template:
    """A template with Env (default dev), NoDefault and the given Conditions section body."""
    text = (
        "Parameters:\n  Env: {Type: String, Default: dev}\n  NoDefault: {Type: String}\n"
        "Conditions:\n" + textwrap.indent(textwrap.dedent(body), "  ") + "Resources: {}\n"
    )
    return load(text, **inputs)


@pytest.mark.parametrize(
    "body, expected",
    [
        ("C: !Equals [!Ref Env, dev]\n", True),
        ("C: !Equals [!Ref Env, prod]\n", False),
        ("C:\n  Fn::Equals:\n    - Ref: Env\n    - dev\n", True),
        ("C: !Equals [1, '1']\n", True),  # compared as CloudFormation strings
        ("C: !Equals [true, 'true']\n", True),
        ("C: !Equals [!Ref AWS::Region, us-east-1]\n", True),
        ("C: !Equals [!FindInMap [M, a, b], x]\n", True),
        ("A: !Equals [a, a]\nB: !Equals [a, b]\nC: !And [!Condition A, !Condition B]\n", False),
        ("A: !Equals [a, a]\nC: !And [!Condition A, {Condition: A}, !Equals [x, x]]\n", True),
        ("A: !Equals [a, a]\nB: !Equals [a, b]\nC: !Or [!Condition B, !Condition A]\n", True),
        ("B: !Equals [a, b]\nC:\n  Fn::Or:\n    - Condition: B\n    - !Equals [x, y]\n", False),
        ("A: !Equals [a, a]\nC: !Not [!Condition A]\n", False),
        ("C:\n  Fn::Not:\n    - Fn::Equals: [a, b]\n", True),
        ("A: !Equals [a, a]\nB: !Not [!Condition A]\nC: !Or [!Condition B, !Not [!Condition B]]\n", True),
    ],
)
def test_condition_values(body: str, expected: bool) -> None:
    if "!FindInMap" in body:
        text = "Mappings: {M: {a: {b: x}}}\nConditions:\n" + textwrap.indent(body, "  ") + "Resources: {}\n"
        template = load(text)
    else:
        template = conditions(body, region="us-east-1")
    assert template.condition("C") is expected


UNKNOWN = "parameter NoDefault has no Default: pass --var NoDefault=VALUE or --stack"


@pytest.mark.parametrize(
    "body, expected",
    [
        ("C: !Equals [!Ref NoDefault, x]\n", Unresolved(UNKNOWN)),
        ("U: !Equals [!Ref NoDefault, x]\nF: !Equals [a, b]\nC: !And [!Condition U, !Condition F]\n", False),
        ("U: !Equals [!Ref NoDefault, x]\nT: !Equals [a, a]\nC: !And [!Condition T, !Condition U]\n", Unresolved(UNKNOWN)),
        ("U: !Equals [!Ref NoDefault, x]\nT: !Equals [a, a]\nC: !Or [!Condition U, !Condition T]\n", True),
        ("U: !Equals [!Ref NoDefault, x]\nF: !Equals [a, b]\nC: !Or [!Condition F, !Condition U]\n", Unresolved(UNKNOWN)),
        ("U: !Equals [!Ref NoDefault, x]\nC: !Not [!Condition U]\n", Unresolved(UNKNOWN)),
        ("C: !Equals [!Ref AWS::AccountId, !Ref NoDefault]\n", Unresolved("AWS::AccountId is not known: pass --account-id; " + UNKNOWN)),
    ],
)
def test_three_valued_conditions(body: str, expected: Any) -> None:
    assert conditions(body).condition("C") == expected


def test_condition_becomes_known_with_an_override() -> None:
    assert conditions("C: !Equals [!Ref NoDefault, x]\n", parameter_values={"NoDefault": "x"}).condition("C") is True


def test_resource_condition() -> None:
    text = """\
        Parameters:
          NoDefault: {Type: String}
        Conditions:
          Yes: !Equals [a, a]
          No: !Equals [a, b]
          Maybe: !Equals [!Ref NoDefault, a]
        Resources:
          Always: {Type: AWS::S3::Bucket}
          Created: {Type: AWS::S3::Bucket, Condition: Yes}
          Skipped: {Type: AWS::S3::Bucket, Condition: No}
          Unsure: {Type: AWS::S3::Bucket, Condition: Maybe}
        """
    template = load(text)
    assert [logical_id for logical_id, _ in template.resources()] == ["Always", "Created", "Skipped", "Unsure"]
    assert template.resource_condition("Always") is True
    assert template.resource_condition("Created") is True
    assert template.resource_condition("Skipped") is False
    assert template.resource_condition("Unsure") == Unresolved(UNKNOWN)
    assert load(text, parameter_values={"NoDefault": "a"}).resource_condition("Unsure") is True


def test_for_each_resources_are_listed_not_expanded() -> None:
    text = """\
        Transform: AWS::LanguageExtensions
        Resources:
          Fn::ForEach::Buckets:
            - Name
            - [a, b]
            - Bucket${Name}: {Type: AWS::S3::Bucket}
          Plain: {Type: AWS::S3::Bucket}
        """
    template = load(text)
    assert [logical_id for logical_id, _ in template.resources()] == ["Plain"]
    assert template.unexpanded_for_each == (("Fn::ForEach::Buckets", Location(FILE, 3)),)


# --------------------------------------------------------------------------- template errors


def at(expr_offset: int = 0) -> Location:
    """The location of a line of the expression under V."""
    return Location(FILE, EXPR_LINE + expr_offset)


@pytest.mark.parametrize(
    "expr, message, offset",
    [
        ("!Ref Missing", "Ref to unknown parameter or resource Missing", 0),
        ("Ref: AWS::Bogus", "Ref to unknown parameter or resource AWS::Bogus", 0),
        ("Ref: [Env]", "Ref expects a parameter, pseudo-parameter or resource name", 0),
        ("!GetAtt Missing.Arn", "Fn::GetAtt to unknown resource Missing", 0),
        ("!GetAtt NoDot", 'Fn::GetAtt expects [resource, attribute] or "resource.attribute"', 0),
        ("Fn::GetAtt: [Recipe]", 'Fn::GetAtt expects [resource, attribute] or "resource.attribute"', 0),
        ('!Sub "${Missing}"', "Fn::Sub: ${Missing} is not a parameter, resource or variable", 0),
        ('!Sub "${Missing.Attr}"', "Fn::Sub: ${Missing.Attr} is not a parameter, resource or variable", 0),
        ('!Sub "${Subnets}"', "Fn::Sub: ${Subnets} is not a string", 0),
        ('!Sub "${AWS::NoValue}"', "Fn::Sub: ${AWS::NoValue} is AWS::NoValue", 0),
        ("!Sub [a, b, c]", "Fn::Sub expects a string or [string, {name: value}]", 0),
        ("!Join [-]", "Fn::Join expects [delimiter, list]", 0),
        ("!Join [-, notalist]", "Fn::Join expects [delimiter, list]", 0),
        ("!Join [-, [a, {k: v}]]", "Fn::Join: every list item must be a string", 0),
        ("Fn::Select: [3, [a, b]]", "Fn::Select: index 3 is out of range for a list of 2", 0),
        ("!Select [-1, [a]]", "Fn::Select: index '-1' is not a non-negative integer", 0),
        ("!Select [x, [a]]", "Fn::Select: index 'x' is not a non-negative integer", 0),
        ("!Select [0]", "Fn::Select expects [index, list]", 0),
        ("!Select [0, !Ref AWS::NoValue]", "Fn::Select: AWS::NoValue is not allowed here; Fn::Select expects [index, list]", 0),
        ('!Split ["", abc]', "Fn::Split: the delimiter must not be empty", 0),
        ("!Split [',', [a]]", "Fn::Split expects [delimiter, string]", 0),
        ("!FindInMap [Nope, a, b]", "Fn::FindInMap: there is no mapping Nope in Mappings", 0),
        ("!FindInMap [Regions, mars-1, Ami]", "Fn::FindInMap: mapping Regions has no key mars-1", 0),
        ("Fn::FindInMap: [Regions, us-east-1, Nope]", "Fn::FindInMap: mapping Regions has no key us-east-1.Nope", 0),
        ("!FindInMap [Regions, us-east-1]", "Fn::FindInMap expects [map, top-level key, second-level key]", 0),
        ("!If [Nope, a, b]", "unknown condition Nope", 0),
        ("!If [IsProd, a]", "Fn::If expects [condition, value if true, value if false]", 0),
        ("!Equals [a, a]", "Fn::Equals can only be used in the Conditions section", 0),
        ("Fn::Bogus: x", "unsupported function Fn::Bogus", 0),
        ("!Base64 [a]", "Fn::Base64 expects a string", 0),
        ("!ToJsonString plain", "Fn::ToJsonString expects an object or a list", 0),
        ("!Length notalist", "Fn::Length expects a list", 0),
        ("a: 1\nb:\n  - ok\n  - !Ref Missing", "Ref to unknown parameter or resource Missing", 3),
    ],
)
def test_errors_in_expressions(expr: str, message: str, offset: int) -> None:
    error = error_of("", expr)
    assert error.message == message
    assert error.location == at(offset)


def test_language_extension_functions_need_the_transform() -> None:
    text = "Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      L: !Length [a]\n"
    error = error_of(text)
    assert (error.message, error.location) == ("Fn::Length needs Transform: AWS::LanguageExtensions", Location(FILE, 5))
    text = text.replace("!Length [a]", "!FindInMap [M, a, b, {DefaultValue: x}]").replace("Resources:", "Mappings: {M: {a: {b: c}}}\nResources:")
    error = error_of(text)
    assert (error.message, error.location) == ("Fn::FindInMap DefaultValue needs Transform: AWS::LanguageExtensions", Location(FILE, 6))


def test_reference_to_a_resource_that_is_not_created() -> None:
    text = """\
        Conditions:
          No: !Equals [a, b]
        Resources:
          Gone: {Type: AWS::S3::Bucket, Condition: No}
          User:
            Type: AWS::S3::Bucket
            Properties:
              Other: !Ref Gone
              Fine: !If [No, !GetAtt Gone.Arn, none]
        """
    template = load(text)
    user = dict(template.resources())["User"]
    assert template.resolve(user.get("Properties").get("Fine")).value == "none"
    with pytest.raises(TemplateError) as caught:
        template.resolve(user)
    assert caught.value.message == "Ref Gone: the resource is not created (its condition No is false)"
    assert caught.value.location == Location(FILE, line_of(text, "Other:"))


@pytest.mark.parametrize(
    "text, message, marker",
    [
        ("- a\n- b\n", "a CloudFormation template must be a mapping", "- a"),
        ("Parameters: [a]\nResources: {}\n", "the Parameters section must be a mapping", "Parameters"),
        ("Parameters:\n  P: {Default: x}\nResources: {}\n", "parameter P has no Type", "  P:"),
        ("Parameters:\n  P: {Type: Text}\nResources: {}\n", "parameter P has unsupported Type Text", "  P:"),
        ("Parameters:\n  P: {Type: 'List<AWS::SSM::Parameter::Value<String>>'}\nResources: {}\n", "parameter P has unsupported Type List<AWS::SSM::Parameter::Value<String>>", "  P:"),
        ("Parameters:\n  P:\n    Type: String\n    Default: [a]\nResources: {}\n", "parameter P: Default must be a string", "Default"),
        ("Parameters:\n  P:\n    Type: String\n    Default: a\n    AllowedPattern: '('\nResources: {}\n", "parameter P: AllowedPattern is not a valid regular expression", "AllowedPattern"),
        ("Parameters:\n  P:\n    Type: String\n    Default: a\n    AllowedValues: a\nResources: {}\n", "parameter P: AllowedValues must be a list", "AllowedValues"),
        ("Mappings:\n  M:\n    a: x\nResources: {}\n", "mapping M.a must be a mapping of keys", "a: x"),
        ("Mappings:\n  M:\n    a:\n      b: {c: d}\nResources: {}\n", "mapping M.a.b must be a string or a list", "b: {c: d}"),
        ("Resources:\n  R: {Properties: {}}\n", "resource R has no Type", "  R:"),
        ("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Condition: Nope\n", "resource R: unknown condition Nope", "Condition"),
        ("Conditions:\n  C: !And [!Equals [a, a]]\nResources: {}\n", "Fn::And expects a list of 2 to 10 conditions", "  C:"),
        ("Conditions:\n  C: !Or [" + ", ".join(["!Equals [a, a]"] * 11) + "]\nResources: {}\n", "Fn::Or expects a list of 2 to 10 conditions", "  C:"),
        ("Conditions:\n  C: !Not [!Equals [a, a], !Equals [a, a]]\nResources: {}\n", "Fn::Not expects [condition]", "  C:"),
        ("Conditions:\n  C: !Equals [a]\nResources: {}\n", "Fn::Equals expects [value, value]", "  C:"),
        ("Conditions:\n  C: !Equals [{k: v}, a]\nResources: {}\n", "Fn::Equals compares strings, not mappings", "  C:"),
        ("Conditions:\n  C: !Ref AWS::Region\nResources: {}\n", "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or a Condition reference", "  C:"),
        ("Conditions:\n  C: !And\n    - !Equals [a, a]\n    - !Condition Nope\nResources: {}\n", "unknown condition Nope", "Nope"),
        ("Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources: {}\n", "condition A depends on itself: A -> B -> A", "  A:"),
        ("Conditions:\n  C: !Equals [!Ref R, x]\nResources:\n  R: {Type: AWS::S3::Bucket}\n", "Ref R: conditions cannot refer to resources", "  C:"),
        ("Transform: [AWS::LanguageExtensions, {Name: x}]\nResources: {}\n", "Transform must be a transform name or a list of names", "Transform"),
    ],
)
def test_errors_in_sections(text: str, message: str, marker: str) -> None:
    error = error_of(text)
    assert error.message.startswith(message), error.message
    assert error.location == Location(FILE, line_of(text, marker))


def test_public_lookups_of_unknown_names() -> None:
    template = load(with_expr("x"))
    for call in (lambda: template.parameter("Nope"), lambda: template.condition("Nope"), lambda: template.resource_condition("Nope")):
        with pytest.raises(TemplateError) as caught:
            call()
        assert "Nope" in caught.value.message and caught.value.location == Location(FILE, 1)


def test_error_messages_are_one_line() -> None:
    error = error_of("Parameters:\n  P:\n    Type: String\n    Default: \"a\\nb\"\n    AllowedValues: [x]\nResources: {}\n")
    assert "\n" not in error.message and "a\\nb" in error.message


@pytest.mark.parametrize(
    "text, message, marker",
    [
        ("Parameters:\n  P:\n    Type: String\n    Default: a\n    MinLength: x\nResources: {}\n", "parameter P: MinLength must be a non-negative integer", "MinLength"),
        ("Parameters:\n  P:\n    Type: Number\n    Default: 1\n    MaxValue: big\nResources: {}\n", "parameter P: MaxValue must be a number", "MaxValue"),
        ("Conditions:\n  C: !Equals [!Ref AWS::NoValue, '']\nResources: {}\n", "Fn::Equals cannot compare AWS::NoValue", "  C:"),
        ("Conditions:\n  A: !Equals [a, a]\n  C: !Equals [!If [A, x, y], x]\nResources: {}\n", "Fn::If cannot be used in the Conditions section", "  C:"),
        ("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags:\n        Fn::ForEach::T: [X, [a], {}]\n", "Fn::ForEach::T needs Transform: AWS::LanguageExtensions", "Fn::ForEach"),
        ("Resources:\n  Fn::ForEach::R: [X, [a], {}]\n", "Fn::ForEach::R needs Transform: AWS::LanguageExtensions", "Fn::ForEach"),
        ("Resources:\n  R: [a]\n", "resource R must be a mapping", "  R:"),
        ("Resources:\n  R: {Type: AWS::S3::Bucket, Condition: [a]}\n", "resource R: Condition must be a condition name", "  R:"),
        ("Parameters:\n  P: text\nResources: {}\n", "parameter P must be a mapping", "  P:"),
        ("Parameters:\n  P:\n    Type: String\n    Default: a\n    AllowedPattern: [a]\nResources: {}\n", "parameter P: AllowedPattern must be a string", "AllowedPattern"),
        ("Mappings: [a]\nResources: {}\n", "the Mappings section must be a mapping", "Mappings"),
        ("Mappings:\n  M: [a]\nResources: {}\n", "mapping M must be a mapping of keys", "  M:"),
        ("Conditions:\n  C: !Not [{Condition: [a]}]\nResources: {}\n", "Condition expects a condition name", "  C:"),
        ("Conditions:\n  C: !Not [!Equals [a, a]]\nResources:\n  R:\n    Type: AWS::S3::Bucket\n    Condition: C\n  U:\n    Type: AWS::S3::Bucket\n    Properties:\n      A: !GetAtt R.Arn\n", "Fn::GetAtt R: the resource is not created (its condition C is false)", "!GetAtt"),
        ("Transform: AWS::LanguageExtensions\nMappings: {M: {a: {b: c}}}\nResources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      A: !FindInMap [M, a, b, {Default: x}]\n", "Fn::FindInMap expects [map, top-level key, second-level key] and optionally {DefaultValue: value}", "FindInMap"),
        ("Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      A: !Sub [x, [y]]\n", "Fn::Sub expects a string or [string, {name: value}]", "!Sub"),
    ],
)
def test_more_errors(text: str, message: str, marker: str) -> None:
    error = error_of(text)
    assert error.message == message
    assert error.location == Location(FILE, line_of(text, marker))


def test_for_each_inside_properties_is_unresolved() -> None:
    text = "Transform: AWS::LanguageExtensions\nResources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags:\n        Fn::ForEach::T: [X, [a], {}]\n        Other: 1\n"
    template = load(text)
    tags = template.resolve(dict(template.resources())["R"]).get("Properties").get("Tags")
    assert tags.value == Unresolved("Fn::ForEach::T: Fn::ForEach is not expanded by driftcheck") and tags.line == 7


# --------------------------------------------------------------------------- bounds


def nested_json(expr: str, depth: int, wrap: str) -> str:
    """A JSON template whose property V is ``expr`` wrapped ``depth`` times by ``wrap`` (with {} for the inner)."""
    for _ in range(depth):
        expr = wrap.replace("{}", expr)
    return '{"Resources": {"R": {"Type": "AWS::S3::Bucket", "Properties": {"V": ' + expr + "}}}}"


@pytest.mark.parametrize(
    "wrap, function",
    [
        ('{"Fn::Base64": {}}', "Fn::Base64"),  # grows by 4/3 per level
        ('{"Fn::Sub": ["${A}${A}${A}", {"A": {}}]}', "Fn::Sub"),  # triples per level
    ],
)
def test_exponential_values_are_refused_not_built(wrap: str, function: str) -> None:
    template = load(nested_json('"abcdefgh"', 90 if "Base64" in wrap else 30, wrap))
    with pytest.raises(TemplateError) as caught:
        template.resolve(dict(template.resources())["R"])
    assert caught.value.message.startswith(f"{function}: the values computed from this template exceed driftcheck's limit")
    assert caught.value.location == Location(FILE, 1)


def test_join_of_a_repeated_large_literal_is_refused_before_joining() -> None:
    big = "a" * (1024 * 1024)
    text = f"Big: &big {big}\nResources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      V: !Join ['', [{', '.join(['*big'] * 40)}]]\n"
    template = load(text)
    tracemalloc.start()
    try:
        with pytest.raises(TemplateError) as caught:
            template.resolve(dict(template.resources())["R"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # the 40 MiB string was never built
    assert caught.value.message.startswith("Fn::Join: the values computed from this template exceed driftcheck's limit")
    assert caught.value.location == Location(FILE, 6)


def test_the_budget_is_per_resolve_call() -> None:
    template = load(nested_json('"abcdefgh"', 46, '{"Fn::Base64": {}}'))  # about 18 MiB computed per call
    resource = dict(template.resources())["R"]
    first = template.resolve(resource).get("Properties").get("V").value
    second = template.resolve(resource).get("Properties").get("V").value
    assert first == second and len(first) > 4_000_000


def test_moderate_nesting_is_evaluated() -> None:
    template = load(nested_json('"x"', 30, '{"Fn::Join": ["", [{}, "y"]]}'))
    value = template.resolve(dict(template.resources())["R"]).get("Properties").get("V").value
    assert value == "x" + "y" * 30


def test_long_condition_chains_do_not_recurse_deeply() -> None:
    count = 3000
    chain = "".join(f"  C{i}: !Not [!Condition C{i + 1}]\n" for i in range(count))
    template = load(f"Conditions:\n{chain}  C{count}: !Equals [a, a]\nResources: {{}}\n")
    assert template.condition("C0") is True  # an even number of Not
    cycle = chain + f"  C{count}: !Not [!Condition C0]\n"
    error = error_of(f"Conditions:\n{cycle}Resources: {{}}\n")
    assert error.message.startswith("condition C0 depends on itself: C0 -> C1 -> C2") and len(error.message) < 300
    assert error.location == Location(FILE, 2)


def test_a_parameter_value_known_to_be_unknown_stays_unresolved():
    """A NoEcho value the deployed stack masks must not fall back to the Default."""
    template = load(BASE, deployed_values={"Env": Unresolved("parameter Env is NoEcho: the stack masks its value")})
    value = template.parameter("Env")
    assert isinstance(value, Unresolved) and "NoEcho" in value.reason


def test_value_sources_in_order_and_an_ssm_name_from_a_parameter_file() -> None:
    """--var beats a parameter file, which beats the deployed stack, which beats Default; a parameter file
    gives an SSM-typed parameter its SSM *name*, so the value is unresolved, while --var and the stack give values."""
    def env(**inputs: Any) -> Any:
        return load(BASE, **inputs).parameter("Env")

    assert env() == "dev"
    assert env(deployed_values={"Env": "prod"}) == "prod"
    assert env(deployed_values={"Env": "dev"}, file_values={"Env": "prod"}) == "prod"
    assert env(file_values={"Env": "prod"}, parameter_values={"Env": "dev"}) == "dev"
    from_file = load(BASE, file_values={"Ami": "/team/ami"}, deployed_values={"Ami": "ami-0abc"}).parameter("Ami")
    assert isinstance(from_file, Unresolved) and "SSM parameter /team/ami" in from_file.reason
    assert load(BASE, deployed_values={"Ami": "ami-0abc"}).parameter("Ami") == "ami-0abc"
    assert load(BASE, parameter_values={"Ami": "ami-0def"}, file_values={"Ami": "/team/ami"}).parameter("Ami") == "ami-0def"
