"""A run with more Terraform pipeline blocks than the reader looks up by name starts its region's listing while
the declarations are parsed (the reader would read that listing anyway); smaller runs do not."""

from __future__ import annotations

import json
import os
import time

import pytest

import driftcheck.live.aws_reader as aws_reader
import driftcheck.sources.registry as sources
from driftcheck.live.aws_reader import AwsLiveReader
from driftcheck.live.outcome import LiveStatus
from driftcheck.live.session import AwsSettings
from driftcheck.model import DeclaredPipeline, Location
from driftcheck.sources.terraform.state import TerraformState
from driftcheck.sources.terraform.estimate import declared_pipelines
from tests.fake_imagebuilder import FakeImageBuilder
from tests.tf_helpers import INFRA, RECIPE, resource

ARN = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/{}"


def tree(root, count: int, *, for_each: bool = False):
    root.mkdir(parents=True, exist_ok=True)
    if for_each:
        names = ", ".join(f'"p{i}"' for i in range(count))
        body = resource("p", f"  for_each = toset([{names}])\n  name = each.key\n  status = \"ENABLED\"\n")
    else:
        body = "\n".join(resource(f"p{i}", f'  name = "p{i}"\n  status = "ENABLED"\n') for i in range(count))
    (root / "main.tf").write_text(body)
    return root


def live(fake, count: int) -> None:
    for i in range(count):
        fake.add_pipeline({"arn": ARN.format(f"p{i}"), "name": f"p{i}", "status": "ENABLED", "imageRecipeArn": RECIPE,
                           "infrastructureConfigurationArn": INFRA})


def listed_during_collect(monkeypatch, fake, wait: float) -> list[bool]:
    """Make collect wait (up to ``wait`` s) for a listing request to reach the fake; record whether one did."""
    seen: list[bool] = []
    real = sources.collect

    def collect(*args, **kwargs):
        limit = time.monotonic() + wait
        while time.monotonic() < limit and not fake.calls("ListImagePipelines"):
            time.sleep(0.02)
        seen.append(bool(fake.calls("ListImagePipelines")))
        return real(*args, **kwargs)

    monkeypatch.setattr(sources, "collect", collect)
    return seen


def test_six_pipeline_blocks_start_the_listing_before_the_declarations_are_read(cli, tmp_path, monkeypatch):
    with FakeImageBuilder(page_size=2) as fake:
        live(fake, 6)
        seen = listed_during_collect(monkeypatch, fake, wait=30)
        run = cli("check", str(tree(tmp_path / "tf", 6)), "--endpoint-url", fake.url, "--region", "us-east-1")
        assert seen == [True]
        assert run.exit_code == 0, run.stderr
        assert run.report["summary"]["in_sync"] == 6
        assert len(fake.calls("ListImagePipelines")) == 3  # the complete listing, read once: 6 pipelines, 2 a page
        assert fake.calls("GetImagePipeline") == []


@pytest.mark.parametrize("shape", ["five literal blocks", "one for_each block of six"])
def test_five_blocks_or_a_for_each_are_looked_up_by_name_after_parsing(cli, tmp_path, monkeypatch, shape):
    """A for_each block counts once (its instances are unknown before it is evaluated): no listing is started
    that the reader would not read; six instances by name still get the complete listing, after parsing."""
    with FakeImageBuilder(page_size=2) as fake:
        live(fake, 6)
        seen = listed_during_collect(monkeypatch, fake, wait=0.5)
        root = tree(tmp_path / "tf", 5) if shape.startswith("five") else tree(tmp_path / "tf", 6, for_each=True)
        run = cli("check", str(root), "--endpoint-url", fake.url, "--region", "us-east-1")
        assert seen == [False]
        assert run.exit_code == 0, run.stderr
        filtered = sorted(c["body"]["filters"][0]["values"][0] for c in fake.calls("ListImagePipelines") if c["body"].get("filters"))
        assert filtered == ([f"p{i}" for i in range(5)] if shape.startswith("five") else [])


def test_with_state_arns_are_read_as_before(cli, tmp_path, monkeypatch):
    """--state gives the pipelines ARNs: six of them get their Gets (below the ARN listing threshold), no listing."""
    with FakeImageBuilder(page_size=2) as fake:
        run, seen = run_with_state(cli, tmp_path, monkeypatch, fake, 6, wait=0.5)
        assert seen == [False]
        assert run.exit_code == 0, run.stderr
        assert (len(fake.calls("GetImagePipeline")), fake.calls("ListImagePipelines")) == (6, [])


def test_pipelines_in_another_region_are_still_found_when_the_early_listing_was_in_vain(cli, tmp_path, monkeypatch):
    """The estimate only decides when the run's region is listed: pipelines a provider puts elsewhere are read there."""
    root = tree(tmp_path / "tf", 6)
    (root / "provider.tf").write_text('provider "aws" {\n  region = "eu-west-1"\n}\n')
    with FakeImageBuilder(page_size=10) as fake:
        for i in range(6):
            fake.add_pipeline({"arn": ARN.format(f"p{i}").replace("us-east-1", "eu-west-1"), "name": f"p{i}", "status": "ENABLED",
                               "imageRecipeArn": RECIPE, "infrastructureConfigurationArn": INFRA})
        run = cli("check", str(root), "--endpoint-url", fake.url, "--region", "us-east-1")
        assert run.exit_code == 0, run.stderr
        assert {p["region"] for p in run.report["pipelines"]} == {"eu-west-1"}
        assert run.report["summary"]["in_sync"] == 6


def test_the_estimate_counts_blocks_and_never_blocks_or_raises(tmp_path):
    assert declared_pipelines([str(tree(tmp_path / "a", 3))]) == 3
    assert declared_pipelines([str(tree(tmp_path / "b", 2, for_each=True))]) == 1
    (tmp_path / "a" / "notes.txt").write_text('resource "aws_imagebuilder_image_pipeline" "x" {}')
    os.mkfifo(tmp_path / "a" / "pipe.tf")  # would block a reader: skipped
    assert declared_pipelines([str(tmp_path / "a"), str(tmp_path / "a" / "main.tf"), str(tmp_path / "missing")]) == 6


def state_file(tmp_path, count: int):
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps({"version": 4, "resources": [
        {"mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": f"p{i}", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
         "instances": [{"attributes": {"arn": ARN.format(f"p{i}"), "name": f"p{i}"}}]} for i in range(count)]}))
    return state


def run_with_state(cli, tmp_path, monkeypatch, fake, count: int, wait: float):
    """``count`` pipeline blocks, live and in a state file, checked with --state; (the run, listed during collect)."""
    root, state = tree(tmp_path / "tf", count), state_file(tmp_path, count)
    live(fake, count)
    seen = listed_during_collect(monkeypatch, fake, wait=wait)
    return cli("check", str(root), "--endpoint-url", fake.url, "--region", "us-east-1", "--state", str(state)), seen


def test_with_a_state_of_twenty_pipelines_their_arn_listing_starts_before_parsing(cli, tmp_path, monkeypatch):
    """The state names 20 pipeline ARNs in one region, the reader's threshold for listing instead of Gets: that
    listing starts before the declarations are parsed, and the requests are the ones it would make after."""
    real_collect = sources.collect
    with FakeImageBuilder(page_size=10) as fake:
        run, seen = run_with_state(cli, tmp_path, monkeypatch, fake, 20, wait=30)
        assert seen == [True]
        assert run.exit_code == 0, run.stderr
        assert run.report["summary"]["in_sync"] == 20
        assert (len(fake.calls("ListImagePipelines")), fake.calls("GetImagePipeline")) == (2, [])  # 20 ARNs, 10 a page
    monkeypatch.setattr(sources, "collect", real_collect)
    with FakeImageBuilder(page_size=10) as fake:  # the same run, the listing not started early: the same requests
        live(fake, 20)
        monkeypatch.setattr(aws_reader.AwsLiveReader, "prefetch_arns", lambda self, region, arns: None)
        again = cli("check", str(tmp_path / "tf"), "--endpoint-url", fake.url, "--region", "us-east-1", "--state", str(tmp_path / "terraform.tfstate"))
        assert again.exit_code == 0, again.stderr
        assert (len(fake.calls("ListImagePipelines")), fake.calls("GetImagePipeline")) == (2, [])
    assert again.report["pipelines"] == run.report["pipelines"]


def test_an_early_arn_listing_serves_only_pipelines_among_its_arns(tmp_path):
    """A region's ARN-known pipelines not all among the ARNs listed early get a listing of their own (and a missing
    one its Get): nothing is taken from a listing that was not looking for it."""
    with FakeImageBuilder(page_size=10) as fake:
        live(fake, 25)
        reader = AwsLiveReader(AwsSettings(region="us-east-1", endpoint_url=fake.url))
        reader.prefetch_arns("us-east-1", [ARN.format(f"p{i}") for i in range(20)])
        wanted = [DeclaredPipeline(id=f"p{i}", name=f"p{i}", source_kind="driftcheck", location=Location("p.yaml", 1), fields={},
                                   region="us-east-1", arn=ARN.format(f"p{i}")) for i in range(26)]  # p25 does not exist
        result = reader.read(wanted, unmanaged=False)
        reader.close()
    statuses = {key: outcome.status for key, outcome in result.outcomes.items()}
    assert sum(s is LiveStatus.FOUND for s in statuses.values()) == 25
    assert [k for k, s in statuses.items() if s is LiveStatus.MISSING] == [wanted[25].key]
    assert len(fake.calls("GetImagePipeline")) == 1  # p25 only: not in any page read


def test_the_states_pipeline_arns():
    state = TerraformState(instances={
        "aws_imagebuilder_image_pipeline.a": {"arn": ARN.format("a")},
        'module.m.aws_imagebuilder_image_pipeline.b["x.y"]': {"arn": ARN.format("b")},
        "aws_imagebuilder_image_recipe.r": {"arn": "arn:aws:imagebuilder:us-east-1:1:image-recipe/r/1.0.0"},
        "aws_imagebuilder_image_pipeline.unknown": {"arn": None},
        "data.aws_imagebuilder_image_pipeline.d": {"arn": ARN.format("d")},
    })
    assert state.pipeline_arns() == [ARN.format("a"), ARN.format("b")]


def test_a_for_each_of_six_starts_the_listing_once_its_instances_are_known(cli, tmp_path, monkeypatch):
    """A for_each block's instances are known after the Terraform source's first (probe) evaluation: six by-name
    pipelines mean the complete listing, started then, during parsing, not after it; the same requests as before."""
    calls: list[bool] = []
    inside = [False]
    real_collect, real_prefetch = sources.collect, aws_reader.AwsLiveReader.prefetch

    def collect(*args, **kwargs):
        inside[0] = True
        try:
            return real_collect(*args, **kwargs)
        finally:
            inside[0] = False

    def prefetch(self, regions):
        calls.append(inside[0])
        return real_prefetch(self, regions)

    monkeypatch.setattr(sources, "collect", collect)
    monkeypatch.setattr(aws_reader.AwsLiveReader, "prefetch", prefetch)
    with FakeImageBuilder(page_size=2) as fake:
        live(fake, 6)
        run = cli("check", str(tree(tmp_path / "tf", 6, for_each=True)), "--endpoint-url", fake.url, "--region", "us-east-1")
        assert run.exit_code == 0, run.stderr
        assert calls == [True]
        assert run.report["summary"]["in_sync"] == 6
        assert len(fake.calls("ListImagePipelines")) == 3 and fake.calls("GetImagePipeline") == []


def test_a_for_each_of_five_is_still_looked_up_by_name(cli, tmp_path, monkeypatch):
    calls: list[object] = []
    monkeypatch.setattr(aws_reader.AwsLiveReader, "prefetch", lambda self, regions: calls.append(regions))
    with FakeImageBuilder(page_size=2) as fake:
        live(fake, 5)
        run = cli("check", str(tree(tmp_path / "tf", 5, for_each=True)), "--endpoint-url", fake.url, "--region", "us-east-1")
        assert run.exit_code == 0, run.stderr
        assert calls == []
        assert sorted(c["body"]["filters"][0]["values"][0] for c in fake.calls("ListImagePipelines")) == [f"p{i}" for i in range(5)]
