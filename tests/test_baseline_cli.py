"""Accepted drift through the CLI: `driftcheck baseline REPORT -o FILE`, then `check --baseline FILE`: identical
drift is ignored, changed drift on an accepted path and drift on other paths is new, fixed drift is a note."""

from __future__ import annotations

import json

import pytest

from tests.tf_helpers import live_response, only, resource

WEB = "aws_imagebuilder_image_pipeline.web"


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(resource("web", '  name = "web"\n  description = "app"\n  tags = { Team = "core" }\n'))
    live_response(tmp_path / "live", "web", description="app", tags={"Team": "core", "Extra": "1"})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _check(cli, *extra):
    return cli("check", "infra", "--live", "live", "--region", "us-east-1", *extra)


def _accept(cli, project):
    assert _check(cli, "--report", "json=drift.json").exit_code == 1
    result = cli("baseline", "drift.json", "-o", ".driftcheck-baseline.json")
    assert result.exit_code == 0, result.stderr
    assert "accepted 1 difference in .driftcheck-baseline.json" in result.stdout
    return json.loads((project / ".driftcheck-baseline.json").read_text())


def test_baseline_records_the_drift_of_a_report(cli, project):
    document = _accept(cli, project)
    assert document["accepted"] == [{"id": WEB, "account": "111122223333", "region": "us-east-1", "path": "tags.Extra", "declared": None, "live": "1"}]


def test_identical_drift_is_accepted(cli, project):
    _accept(cli, project)
    run = _check(cli, "--baseline", ".driftcheck-baseline.json")
    entry = only(run)
    assert entry["status"] == "in_sync" and run.exit_code == 0
    assert [(d["path"], d["reason"]) for d in entry["ignored"]] == [("tags.Extra", "accepted in baseline .driftcheck-baseline.json")]
    assert run.report["notes"] == []


def test_new_drift_next_to_accepted_drift(cli, project):
    _accept(cli, project)
    live_response(project / "live", "web", description="changed", tags={"Team": "core", "Extra": "1"})
    run = _check(cli, "--baseline", ".driftcheck-baseline.json")
    entry = only(run)
    assert [d["path"] for d in entry["differences"]] == ["description"] and [d["path"] for d in entry["ignored"]] == ["tags.Extra"]
    assert entry["status"] == "drifted" and run.exit_code == 1


def test_changed_drift_on_an_accepted_path_is_new_drift(cli, project):
    _accept(cli, project)
    live_response(project / "live", "web", description="app", tags={"Team": "core", "Extra": "2"})
    run = _check(cli, "--baseline", ".driftcheck-baseline.json")
    entry = only(run)
    assert run.paths(WEB) == {"tags.Extra": (None, "2")} and entry["ignored"] == [] and run.exit_code == 1
    assert any("tags.Extra changed since it was accepted in baseline" in note for note in entry["notes"])


def test_fixed_drift_is_a_note_to_prune_the_baseline(cli, project):
    _accept(cli, project)
    live_response(project / "live", "web", description="app", tags={"Team": "core"})
    run = _check(cli, "--baseline", ".driftcheck-baseline.json")
    assert only(run)["status"] == "in_sync" and run.exit_code == 0
    assert run.report["notes"] == [
        f"baseline .driftcheck-baseline.json: {WEB} [111122223333/us-east-1] tags.Extra no longer differs: remove it from the baseline"
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not JSON"),
        ('{"accepted": []}', "not a driftcheck baseline"),
        ('{"baseline_version": 1, "accepted": [{"id": "x"}]}', "accepted entry 1: expected an object"),
    ],
)
def test_bad_baseline_is_exit_2(cli, project, content, message):
    (project / "b.json").write_text(content)
    run = _check(cli, "--baseline", "b.json")
    assert run.exit_code == 2 and message in run.stderr and "Traceback" not in run.stderr


def test_baseline_of_something_that_is_not_a_report(cli, project):
    (project / "r.json").write_text('{"pipelines": []}')
    run = cli("baseline", "r.json", "-o", "b.json")
    assert run.exit_code == 2 and "not a driftcheck JSON report" in run.stderr and not (project / "b.json").exists()


def _rewrite_accounts(project, account):
    path = project / ".driftcheck-baseline.json"
    document = json.loads(path.read_text())
    for entry in document["accepted"]:
        if account is None:
            entry.pop("account")
        else:
            entry["account"] = account
    path.write_text(json.dumps(document))


def test_an_entry_accepts_drift_only_in_its_own_account(cli, project):
    _accept(cli, project)
    _rewrite_accounts(project, "444455556666")   # the same pipeline id and region, another account
    run = _check(cli, "--baseline", ".driftcheck-baseline.json")
    assert run.exit_code == 1
    assert run.pipeline(WEB)["status"] == "drifted"


def test_an_entry_without_an_account_from_an_older_baseline_still_matches(cli, project):
    _accept(cli, project)
    _rewrite_accounts(project, None)
    run = _check(cli, "--baseline", ".driftcheck-baseline.json")
    assert run.exit_code == 0, run.stderr
    assert run.pipeline(WEB)["status"] == "in_sync"
