"""AWS faults cost time, never pipelines: the CLI, the real boto3 client over HTTP, the loopback fake.

Each test reproduces a fault seen in the field (see the issue): throttling bursts and rates, an endpoint
that throttles above two requests in flight, dropped connections, truncated bodies, failed listings,
slow endpoints against the run's deadline, and unmanaged pipelines across sources.
"""

from __future__ import annotations

import socket

import pytest

from tests.conftest import DEMO_TF
from tests.fake_imagebuilder import FakeImageBuilder
from tests.test_cli_aws import API, ARN, BASE, HARDENED, WEB, demo_state, statuses

THROTTLE = "CallRateLimitExceededException"


def live(name: str) -> dict:
    return {"arn": ARN.format(name), "name": name, "status": "ENABLED", "tags": {"Team": "t"}}


def pipeline_file(path, names, *, with_arn=(), region: str | None = "us-east-1"):
    """A driftcheck pipeline file declaring ``names`` (those in ``with_arn`` with their ARN) as live() has them."""
    lines = ["driftcheck: pipelines/v1"] + ([f"region: {region}"] if region else []) + ["pipelines:"]
    for name in names:
        lines.append(f"  - name: {name}")
        if name in with_arn:
            lines.append(f"    arn: {ARN.format(name)}")
        lines += ["    status: ENABLED", "    tags: {Team: t}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def by_name(run) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for entry in run.report["pipelines"]:
        found.setdefault(entry["name"], []).append(entry["status"])
    return found


@pytest.fixture
def wide():
    """A fake endpoint with the service's own page size (25), so 12 pipelines are one listing page."""
    with FakeImageBuilder() as server:
        yield server


@pytest.fixture
def many(wide, tmp_path):
    """12 live pipelines; a pipeline file declaring them all, every other one with its ARN (so > 5 by name)."""
    names = [f"p{i:02d}" for i in range(12)]
    for name in names:
        wide.add_pipeline(live(name))
    return pipeline_file(tmp_path / "pipelines.yaml", names, with_arn=names[1::2]), names


# ------------------------------------------------------------------ throttling: slow down, never give up early
def test_a_burst_of_throttles_on_one_list_page_resumes_from_that_page(cli, demo_fake):
    demo_fake.fail("ListImagePipelines", THROTTLE, times=8, skip=1)   # page 2 is throttled 8 times in a row
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--unmanaged")
    assert run.exit_code == 1, run.stderr
    assert statuses(run) == {BASE: "in_sync", WEB: "in_sync", API: "drifted", HARDENED: "drifted",
                             ARN.format("legacy-golden-ami"): "unmanaged"}
    tokens = [c["body"].get("nextToken") for c in demo_fake.calls("ListImagePipelines")]
    assert tokens.count(None) == 1   # never restarted from the first page
    assert tokens[1:10] == [tokens[1]] * 9 and len(tokens) == 11   # page 2: 8 throttles + 1 success; then page 3


@pytest.mark.parametrize("seed", [1, 3, 4])   # seeds that cost the old 6-attempt policy one pipeline, or all
def test_heavy_random_throttling_and_503s_lose_no_pipeline(cli, tmp_path, seed):
    # pages of one pipeline: the listing (all pipelines come from it) is 9 calls, each drawing its faults
    with FakeImageBuilder(page_size=1) as wide:
        names = [f"p{i:02d}" for i in range(8)]
        for name in names + ["stray"]:
            wide.add_pipeline(live(name))
        declared = pipeline_file(tmp_path / "p.yaml", names, with_arn=names[1::2])
        wide.randomly({THROTTLE: 0.6, "ServiceUnavailableException": 0.1}, seed=seed)
        run = cli("check", str(declared), "--endpoint-url", wide.url, "--unmanaged")
        assert run.exit_code == 1, [p.get("error") for p in run.report["pipelines"]]
        assert by_name(run) == {**{name: ["in_sync"] for name in names}, "stray": ["unmanaged"]}
        assert wide.fault_counts[THROTTLE] > 6   # the fault was real


def test_an_endpoint_that_throttles_above_two_in_flight_gets_fewer_requests_at_once(cli, fake, tmp_path):
    names = [f"q{i:02d}" for i in range(40)]
    for name in names:
        fake.add_pipeline(live(name))
    declared = pipeline_file(tmp_path / "p.yaml", names, with_arn=names)
    fake.throttle_above(2)
    fake.delay(None, 0.05)
    run = cli("check", str(declared), "--endpoint-url", fake.url)
    assert run.exit_code == 0, [p.get("error") for p in run.report["pipelines"]]
    assert by_name(run) == {name: ["in_sync"] for name in names}
    # 8 in flight without adapting: 6 of every 8 requests throttled, 100+ throttles for 40 pipelines
    assert fake.fault_counts[THROTTLE] < len(names)


# ------------------------------------------------------------------ transport faults are retried, and named
@pytest.mark.parametrize("inject", [
    lambda f, arn: f.drop("GetImagePipeline", arn=arn, times=2),
    lambda f, arn: f.truncate("GetImagePipeline", arn=arn, times=2),
    lambda f, arn: f.truncate("GetImagePipeline", arn=arn, times=2, honest_length=False),
], ids=["dropped connection", "truncated JSON", "short body"])
def test_transport_faults_are_retried(cli, demo_fake, inject, tmp_path):
    inject(demo_fake, ARN.format("prod-app-web"))
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, *demo_state(tmp_path))
    assert run.exit_code == 1, run.report["pipelines"]
    assert run.pipeline(WEB)["status"] == "in_sync"


@pytest.mark.parametrize("inject, message", [
    (lambda f, arn: f.drop("GetImagePipeline", arn=arn), "connection closed by the endpoint before a complete response"),
    (lambda f, arn: f.truncate("GetImagePipeline", arn=arn), "response body is not valid JSON"),
    (lambda f, arn: f.truncate("GetImagePipeline", arn=arn, honest_length=False), "response body truncated: "),
])
def test_transport_faults_that_persist_say_what_happened(cli, demo_fake, inject, message, tmp_path):
    inject(demo_fake, ARN.format("prod-app-web"))
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--max-attempts", "3", *demo_state(tmp_path))
    web = run.pipeline(WEB)
    assert run.exit_code == 2 and web["status"] == "error"
    assert message in web["error"] and "after 3 attempts" in web["error"]
    assert "no imagePipeline" not in web["error"]
    assert run.pipeline(BASE)["status"] == "in_sync"


def test_connection_refused_is_retried_within_the_budget_then_named(cli, tmp_path):
    with socket.socket() as probe:   # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    declared = pipeline_file(tmp_path / "p.yaml", ["x"], with_arn=["x"])
    run = cli("check", str(declared), "--endpoint-url", f"http://127.0.0.1:{port}", "--retry-budget", "0.3")
    (entry,) = run.report["pipelines"]
    assert run.exit_code == 2 and entry["status"] == "error"
    assert "cannot connect (refused or unreachable)" in entry["error"]


# ------------------------------------------------------------------ listings are not a single point of failure
def test_failed_listing_never_errors_pipelines_whose_arn_is_known(cli, wide, many):
    fake, (declared, names) = wide, many
    fake.fail("ListImagePipelines", "AccessDeniedException", message="no list for you")
    run = cli("check", str(declared), "--endpoint-url", fake.url, "--unmanaged")
    found = by_name(run)
    for name in names[1::2]:   # declared with their ARN: read with GetImagePipeline regardless
        assert found[name] == ["in_sync"]
    for name in names[0::2]:   # by name only: an error naming the listing's failure
        (entry,) = [p for p in run.report["pipelines"] if p["name"] == name]
        assert entry["status"] == "error"
        assert "listing us-east-1 failed" in entry["error"] and "AccessDeniedException" in entry["error"]
    listing = [p for p in run.report["pipelines"] if p["id"] == "(unmanaged listing)"]
    assert len(listing) == 1 and "for --unmanaged" in listing[0]["error"]
    assert len(fake.calls("GetImagePipeline")) == len(names[1::2])


def test_state_and_unmanaged_with_a_failed_listing_still_reads_every_arn(cli, demo_fake, tmp_path):
    demo_fake.fail("ListImagePipelines", "ServiceUnavailableException")
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, *demo_state(tmp_path),
              "--unmanaged", "--max-attempts", "2")
    assert {k: v for k, v in statuses(run).items() if k != "(unmanaged listing)"} == {
        BASE: "in_sync", WEB: "in_sync", API: "drifted", HARDENED: "drifted"}
    assert "ServiceUnavailableException" in run.pipeline("(unmanaged listing)")["error"]
    assert run.exit_code == 2


# ------------------------------------------------------------------ time bounds
def test_the_run_deadline_turns_what_is_unread_into_errors_that_say_so(cli, demo_fake):
    demo_fake.delay(None, 1.0)
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--deadline", "0.4")
    assert run.exit_code == 2
    for entry in run.report["pipelines"]:
        assert entry["status"] == "error" and "deadline of 0.4 s" in entry["error"], entry


def test_retry_budget_bounds_one_call(cli, demo_fake, tmp_path):
    demo_fake.fail("GetImagePipeline", "ServiceUnavailableException", arn=ARN.format("prod-app-api"))
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--max-attempts", "20", "--retry-budget", "0.2",
              *demo_state(tmp_path))
    api = run.pipeline(API)
    assert api["status"] == "error" and "retry budget of 0.2 s (--retry-budget) spent" in api["error"]
    assert run.pipeline(BASE)["status"] == "in_sync"


# ------------------------------------------------------------------ unmanaged: per region, across every source
def test_unmanaged_is_per_region_across_sources_wherever_the_region_came_from(cli, fake, tmp_path):
    for name in ("from-flag", "from-file", "stray"):
        fake.add_pipeline(live(name))
    flag = pipeline_file(tmp_path / "flag.yaml", ["from-flag"], region=None)      # region: --region
    keyed = pipeline_file(tmp_path / "keyed.yaml", ["from-file"], region="us-east-1")  # region: the file's key
    run = cli("check", str(flag), str(keyed), "--region", "us-east-1", "--endpoint-url", fake.url, "--unmanaged")
    assert by_name(run) == {"from-flag": ["in_sync"], "from-file": ["in_sync"], "stray": ["unmanaged"]}


def test_missing_pipeline_carries_its_region(cli, fake, tmp_path):
    declared = pipeline_file(tmp_path / "p.yaml", ["gone"], region=None)
    run = cli("check", str(declared), "--region", "us-east-1", "--endpoint-url", fake.url)
    (entry,) = run.report["pipelines"]
    assert entry["status"] == "missing" and entry["region"] == "us-east-1"
