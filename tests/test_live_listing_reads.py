"""Live state read from the region's listing: what is compared is identical whichever call read it (both API
editions), and the request counts the design promises (the CLI or the reader, the real boto3 client, the fake)."""

from __future__ import annotations

import copy
import json
import threading

import botocore.session
import pytest

import driftcheck.live.aws_reader as aws_reader
import driftcheck.live.snapshot as snapshot
from driftcheck.frozen import thaw
from driftcheck.live.aws_reader import ARN_LIST_THRESHOLD, AwsLiveReader
from driftcheck.live.outcome import LiveStatus
from driftcheck.live.session import AwsSettings
from driftcheck.model import DeclaredPipeline, Location
from tests.fake_imagebuilder import FakeImageBuilder
from tests.test_faults import live, pipeline_file
from tests.test_pipeline_file import NEW_EDITION, OLD_EDITION

ARN = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/{}"


def gets(fake) -> int:
    return len(fake.calls("GetImagePipeline"))


def lists(fake) -> int:
    return len(fake.calls("ListImagePipelines"))


def declared(name: str, *, arn: bool = True, region: str = "us-east-1") -> DeclaredPipeline:
    return DeclaredPipeline(id=name, name=name, source_kind="driftcheck", location=Location("p.yaml", 1), fields={},
                            region=region, arn=ARN.format(name) if arn else None)


def reader(fake, **kwargs) -> AwsLiveReader:
    return AwsLiveReader(AwsSettings(region="us-east-1", endpoint_url=fake.url), **kwargs)


# ------------------------------------------------------------------ identical whichever call read it
def test_the_listing_and_get_have_the_same_pipeline_shape_in_the_model():
    """If a botocore edition ever lists a smaller shape than Get returns, the listing must not be used for it."""
    model = botocore.session.get_session().get_service_model("imagebuilder")
    got = model.operation_model("GetImagePipeline").output_shape.members["imagePipeline"]
    listed = model.operation_model("ListImagePipelines").output_shape.members["imagePipelineList"].member
    assert listed.name == got.name == "ImagePipeline"


def drifted(response: dict) -> dict:
    """The edition's pipeline as a file declares it, with drift in several kinds of field."""
    declared = copy.deepcopy(response)
    declared["description"] = "declared description"
    declared["tags"] = {**declared.get("tags", {}), "Owner": "declared"}
    declared["imageTestsConfiguration"]["timeoutMinutes"] = 60
    return declared


@pytest.mark.parametrize("editions", [(OLD_EDITION, NEW_EDITION)], ids=["old-and-new"])
def test_both_editions_compare_identically_from_get_and_from_the_listing(cli, tmp_path, editions):
    with FakeImageBuilder(page_size=100) as fake:
        for response in editions:
            fake.add_pipeline(copy.deepcopy(response))
        path = tmp_path / "pins.yaml"
        path.write_text("driftcheck: pipelines/v1\npipelines:\n" + "".join(
            "  - " + json.dumps(drifted(r), indent=2).replace("\n", "\n    ") + "\n" for r in editions))
        by_get = cli("check", str(path), "--endpoint-url", fake.url)
        assert (gets(fake), lists(fake)) == (2, 0)
        fake.requests.clear()
        by_listing = cli("check", str(path), "--endpoint-url", fake.url, "--unmanaged")
        assert (gets(fake), lists(fake)) == (0, 1)
    assert by_get.exit_code == by_listing.exit_code == 1, by_get.stdout
    assert by_get.report["pipelines"] == by_listing.report["pipelines"]
    for entry in by_get.report["pipelines"]:
        paths = {d["path"] for d in entry["differences"]}
        assert {"description", "imageTestsConfiguration.timeoutMinutes"} <= paths and paths & {"tags", "tags.Owner"}


@pytest.mark.parametrize("response", [OLD_EDITION, NEW_EDITION], ids=["old-edition", "new-edition"])
def test_the_listing_gives_exactly_what_get_gives(response):
    with FakeImageBuilder(page_size=100) as fake:
        fake.add_pipeline(copy.deepcopy(response))
        got = reader(fake).get("us-east-1", response["arn"])
        pipeline = DeclaredPipeline(id="p", name=response["name"], source_kind="driftcheck", location=Location("p.yaml", 1),
                                    fields={}, region="us-east-1", arn=response["arn"])
        fake.requests.clear()
        result = reader(fake).read([pipeline], unmanaged=True)
        assert gets(fake) == 0
    outcome = result.outcomes[pipeline.key]
    assert got.status is LiveStatus.FOUND and outcome.status is LiveStatus.FOUND
    assert outcome.pipeline == got.pipeline
    assert thaw(got.pipeline) == response   # every field of the edition, nothing added or lost


# ------------------------------------------------------------------ request counts
@pytest.fixture
def region_of_500():
    """500 live pipelines, pages of 100 (the service's maximum)."""
    with FakeImageBuilder(page_size=100) as fake:
        for i in range(500):
            fake.add_pipeline(live(f"p{i:03d}"))
        yield fake


def test_many_arn_known_pipelines_are_read_from_the_listing_until_all_are_seen(region_of_500):
    fake = region_of_500
    names = [f"p{i:03d}" for i in range(150, 150 + ARN_LIST_THRESHOLD)]   # all on page 2
    result = reader(fake).read([declared(n) for n in names], unmanaged=False)
    assert {o.status for o in result.outcomes.values()} == {LiveStatus.FOUND}
    assert (lists(fake), gets(fake)) == (2, 0)   # stopped after page 2 of 5


def test_a_listing_for_arns_gives_up_once_gets_would_be_cheaper(region_of_500):
    fake = region_of_500
    names = [f"p{i:03d}" for i in range(50, 50 + ARN_LIST_THRESHOLD - 1)] + ["p499"]   # the last one on page 5
    result = reader(fake).read([declared(n) for n in names], unmanaged=False)
    assert {o.status for o in result.outcomes.values()} == {LiveStatus.FOUND}
    budget = len(names) // aws_reader.ARN_PIPELINES_PER_PAGE + 1
    assert lists(fake) == budget == 3
    assert [c["query"]["imagePipelineArn"] for c in fake.calls("GetImagePipeline")] == [ARN.format("p499")]


def test_few_arn_known_pipelines_get_one_get_each(region_of_500):
    fake = region_of_500
    result = reader(fake).read([declared(f"p{i:03d}") for i in range(ARN_LIST_THRESHOLD - 1)], unmanaged=False)
    assert len(result.outcomes) == ARN_LIST_THRESHOLD - 1
    assert (lists(fake), gets(fake)) == (0, ARN_LIST_THRESHOLD - 1)


def test_an_arn_absent_from_the_listing_gets_its_get_and_is_missing(cli, tmp_path):
    with FakeImageBuilder(page_size=100) as fake:
        names = [f"q{i:02d}" for i in range(ARN_LIST_THRESHOLD + 5)]
        for name in names[:-1]:
            fake.add_pipeline(live(name))
        run = cli("check", str(pipeline_file(tmp_path / "p.yaml", names, with_arn=names)), "--endpoint-url", fake.url)
        assert [c["query"]["imagePipelineArn"] for c in fake.calls("GetImagePipeline")] == [ARN.format(names[-1])]
        assert lists(fake) == 1
    statuses = {p["name"]: p["status"] for p in run.report["pipelines"]}
    assert statuses == {**{n: "in_sync" for n in names[:-1]}, names[-1]: "missing"}


def test_many_names_and_unmanaged_read_one_listing_and_no_get(cli, tmp_path):
    with FakeImageBuilder(page_size=100) as fake:
        names = [f"n{i:02d}" for i in range(30)]
        for name in names + ["stray"]:
            fake.add_pipeline(live(name))
        declared_file = pipeline_file(tmp_path / "p.yaml", names, with_arn=names[::3])
        run = cli("check", str(declared_file), "--endpoint-url", fake.url, "--unmanaged")
        assert (lists(fake), gets(fake)) == (1, 0)
    assert run.exit_code == 1
    assert sorted(p["status"] for p in run.report["pipelines"]) == ["in_sync"] * 30 + ["unmanaged"]


def test_a_listing_failing_after_a_page_keeps_that_page_and_gets_the_rest(cli, tmp_path):
    with FakeImageBuilder(page_size=10) as fake:
        names = [f"r{i:02d}" for i in range(ARN_LIST_THRESHOLD)]
        for name in names:
            fake.add_pipeline(live(name))
        fake.fail("ListImagePipelines", "AccessDeniedException", skip=1)   # page 2 is refused
        run = cli("check", str(pipeline_file(tmp_path / "p.yaml", names, with_arn=names)), "--endpoint-url", fake.url)
        got = {c["query"]["imagePipelineArn"] for c in fake.calls("GetImagePipeline")}
    assert got == {ARN.format(n) for n in names[10:]}
    assert run.exit_code == 0 and {p["status"] for p in run.report["pipelines"]} == {"in_sync"}


# ------------------------------------------------------------------ prefetch
def test_a_prefetched_listing_is_reused_by_read_and_started_once(region_of_500):
    fake = region_of_500
    shared = reader(fake)
    threads = [threading.Thread(target=shared.prefetch, args=(["us-east-1", None],)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = shared.read([declared("p001"), declared("p002", arn=False)], unmanaged=False)
    assert {o.status for o in result.outcomes.values()} == {LiveStatus.FOUND}
    assert (lists(fake), gets(fake)) == (5, 0)   # one complete listing (5 pages), used for both pipelines


# ------------------------------------------------------------------ costs that must not grow with the work
def test_one_client_per_region_with_state_however_many_threads(monkeypatch, cli, tmp_path):
    made = []
    real = aws_reader.imagebuilder_client
    monkeypatch.setattr(aws_reader, "imagebuilder_client", lambda *a, **k: made.append(a[1]) or real(*a, **k))
    with FakeImageBuilder(page_size=100) as fake:
        names = [f"s{i:02d}" for i in range(ARN_LIST_THRESHOLD - 1)]   # ARN-known, below the threshold: 19 Gets
        for name in names:
            fake.add_pipeline(live(name))
        run = cli("check", str(pipeline_file(tmp_path / "p.yaml", names, with_arn=names)), "--endpoint-url", fake.url)
        assert gets(fake) == len(names)
    assert run.exit_code == 0
    assert made == ["us-east-1"]


def test_the_name_index_is_built_once_per_region_not_per_pipeline(monkeypatch, cli, tmp_path):
    built = []
    real = aws_reader.by_name
    monkeypatch.setattr(aws_reader, "by_name", lambda items: built.append(1) or real(items))
    with FakeImageBuilder(page_size=100) as fake:
        names = [f"t{i:02d}" for i in range(60)]
        for name in names:
            fake.add_pipeline(live(name))
        run = cli("check", str(pipeline_file(tmp_path / "p.yaml", names)), "--endpoint-url", fake.url)
    assert run.exit_code == 0
    assert len(built) == 1


def test_offline_live_reads_each_saved_file_once_and_indexes_once(monkeypatch, cli, tmp_path):
    loads, built = [], []
    real_load, real_index = snapshot.load_response, snapshot.by_name
    monkeypatch.setattr(snapshot, "load_response", lambda path: loads.append(path) or real_load(path))
    monkeypatch.setattr(snapshot, "by_name", lambda items: built.append(1) or real_index(items))
    saved = tmp_path / "saved"
    saved.mkdir()
    names = [f"u{i:02d}" for i in range(40)]
    for name in names:
        (saved / f"us-east-1__{name}.json").write_text(json.dumps({"imagePipeline": live(name)}))
    run = cli("check", str(pipeline_file(tmp_path / "p.yaml", names)), "--live", str(saved))
    assert run.exit_code == 0
    assert len(loads) == len(names)
    assert len(built) == 2   # one index per region, one across regions: not one per declared pipeline
