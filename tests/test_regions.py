"""Several regions in one run: ``--region`` repeated, ``--all-regions`` (botocore's regions filtered by the account's
enabled ones, from a loopback EC2), through the CLI against one fake Image Builder that serves each region its own
pipelines (by the request's SigV4 scope)."""

from __future__ import annotations

import boto3
import pytest

from driftcheck.live.regions import all_regions, available_regions
from driftcheck.live.session import AwsSettings
from tests.fake_ec2 import FakeEc2
from tests.fake_imagebuilder import FakeImageBuilder
from tests.test_faults import pipeline_file

ACCOUNT = "111122223333"
ENABLED = {"us-east-1": "opt-in-not-required", "eu-west-1": "opt-in-not-required", "ap-east-1": "opted-in",
           "af-south-1": "not-opted-in"}


def pipeline(region: str, name: str) -> dict:
    return {"arn": f"arn:aws:imagebuilder:{region}:{ACCOUNT}:image-pipeline/{name}", "name": name,
            "status": "ENABLED", "tags": {"Team": "t"}}


@pytest.fixture
def regional():
    """One endpoint, three regions: a declared pipeline and a stray one in each of us-east-1 and eu-west-1, a stray
    in ap-east-1 and in af-south-1 (a region the account has not enabled)."""
    with FakeImageBuilder(page_size=100, regional=True) as fake:
        for region in ("us-east-1", "eu-west-1"):
            fake.add_pipeline(pipeline(region, f"app-{region}"))
        for region in ("us-east-1", "eu-west-1", "ap-east-1", "af-south-1"):
            fake.add_pipeline(pipeline(region, f"stray-{region}"))
        yield fake


@pytest.fixture
def ec2(monkeypatch):
    with FakeEc2(ENABLED) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", fake.url)
        yield fake


def listed_regions(fake) -> list[str]:
    return sorted(r["region"] for r in fake.calls("ListImagePipelines"))


def by_name(run) -> dict[str, tuple[str, str]]:
    return {p["name"]: (p["status"], p["region"]) for p in run.report["pipelines"]}


def test_region_repeated_lists_each_for_unmanaged_and_the_first_is_the_default(cli, regional, tmp_path):
    unplaced = pipeline_file(tmp_path / "a.yaml", ["app-us-east-1"], region=None)    # no region: the first --region
    placed = pipeline_file(tmp_path / "b.yaml", ["app-eu-west-1"], region="eu-west-1")   # its own region wins
    run = cli("check", str(unplaced), str(placed), "--endpoint-url", regional.url,
              "--region", "us-east-1", "--region", "eu-west-1", "--unmanaged")
    assert run.exit_code == 1, run.stderr
    assert by_name(run) == {
        "app-us-east-1": ("in_sync", "us-east-1"), "app-eu-west-1": ("in_sync", "eu-west-1"),
        "stray-us-east-1": ("unmanaged", "us-east-1"), "stray-eu-west-1": ("unmanaged", "eu-west-1"),
    }
    assert listed_regions(regional) == ["eu-west-1", "us-east-1"]   # one listing each, no Get
    assert regional.calls("GetImagePipeline") == []
    assert run.report["run"]["regions"] == ["eu-west-1", "us-east-1"]


def test_a_pipelines_own_region_wins_over_every_region_given(cli, regional, tmp_path):
    placed = pipeline_file(tmp_path / "b.yaml", ["app-eu-west-1"], region="eu-west-1")
    run = cli("check", str(placed), "--endpoint-url", regional.url, "--region", "us-east-1", "--region", "ap-east-1")
    assert run.exit_code == 0, run.stdout
    assert by_name(run) == {"app-eu-west-1": ("in_sync", "eu-west-1")}
    assert listed_regions(regional) == ["eu-west-1"]   # without --unmanaged, only where pipelines are declared


def test_all_regions_lists_every_enabled_region(cli, regional, ec2, tmp_path):
    declared = pipeline_file(tmp_path / "a.yaml", ["app-us-east-1", "app-eu-west-1"], region=None)
    run = cli("check", str(declared), "--endpoint-url", regional.url, "--all-regions", "--unmanaged")
    assert run.exit_code == 1, run.stderr
    assert ec2.requests[0]["params"]["AllRegions"] == "false"
    assert listed_regions(regional) == ["ap-east-1", "eu-west-1", "us-east-1"]   # af-south-1 is not enabled
    found = by_name(run)
    assert found["stray-ap-east-1"] == ("unmanaged", "ap-east-1") and found["stray-eu-west-1"] == ("unmanaged", "eu-west-1")
    assert "stray-af-south-1" not in found
    # by-name pipelines without a region are looked for in the default region only: never guessed across regions
    entries = sorted((p["name"], p["status"], p["region"]) for p in run.report["pipelines"] if p["name"] == "app-eu-west-1")
    assert found["app-us-east-1"] == ("in_sync", "us-east-1")
    assert entries == [("app-eu-west-1", "missing", "us-east-1"), ("app-eu-west-1", "unmanaged", "eu-west-1")]
    assert run.stderr.count("driftcheck: note:") == 0


def test_all_regions_without_describe_regions_uses_every_botocore_region_and_says_so(cli, regional, ec2, tmp_path):
    ec2.deny()
    every = available_regions(boto3.session.Session(), "us-east-1")
    run = cli("check", str(pipeline_file(tmp_path / "a.yaml", ["app-us-east-1"])), "--endpoint-url", regional.url,
              "--all-regions", "--unmanaged")
    assert "driftcheck: note: --all-regions: cannot read the account's enabled regions" in run.stderr
    assert "UnauthorizedOperation" in run.stderr and f"reading all {len(every)} regions" in run.stderr
    assert listed_regions(regional) == sorted(every)
    assert by_name(run)["stray-af-south-1"] == ("unmanaged", "af-south-1")


def test_all_regions_needs_aws(cli, tmp_path):
    saved = tmp_path / "saved"
    saved.mkdir()
    run = cli("check", str(pipeline_file(tmp_path / "a.yaml", ["x"])), "--live", str(saved), "--all-regions")
    assert run.exit_code == 2 and "--all-regions reads AWS" in run.stderr and "Traceback" not in run.stderr


def test_snapshot_of_every_region_saves_the_listing_without_gets(cli, regional, tmp_path):
    out = tmp_path / "snap"
    run = cli("snapshot", "--endpoint-url", regional.url, "--region", "us-east-1", "--region", "ap-east-1", "-o", str(out))
    assert run.exit_code == 0, run.stderr
    assert sorted(p.name for p in out.glob("*.json")) == [
        "ap-east-1__stray-ap-east-1.json", "us-east-1__app-us-east-1.json", "us-east-1__stray-us-east-1.json"]
    assert regional.calls("GetImagePipeline") == []


def test_regions_library_filters_by_the_enabled_regions(ec2):
    found = all_regions(AwsSettings(region="us-east-1", max_attempts=1))
    assert found.names == ("ap-east-1", "eu-west-1", "us-east-1") and found.note is None
