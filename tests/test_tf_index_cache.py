"""Syntax indexes kept between runs: a stored index is the index a fresh parse gives, and never more than that."""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path

import pytest

from driftcheck.sources.terraform import index_cache
from driftcheck.sources.terraform.syntax import index_file
from tests.conftest import DEMO_LIVE, DEMO_TF, FIXTURES
from tests.test_tf_hcl_parser import CONSTRUCTS


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("DRIFTCHECK_CACHE_DIR", str(folder))
    index_cache._pruned.clear()
    return folder


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "index").glob("*.json"))


def stable(report: dict) -> dict:
    report = dict(report)
    for key in ("generated_at", "run"):
        report.pop(key, None)
    return report


@pytest.mark.parametrize("name", list(CONSTRUCTS))
def test_a_stored_index_is_the_fresh_one(cache, name):
    text = textwrap.dedent(CONSTRUCTS[name])
    fresh = index_file(Path("main.tf"), "infra/main.tf", text)
    assert index_cache.load("infra/main.tf", text) is None
    index_cache.stored(fresh, "infra/main.tf")
    again = index_cache.load("infra/main.tf", text)
    assert again == fresh
    assert again is not fresh
    assert index_cache.load("other/main.tf", text) is None  # the shown path is part of the key
    assert index_cache.load("infra/main.tf", text + "\n# changed\n") is None


def test_every_shipped_terraform_file_round_trips(cache):
    for path in sorted(FIXTURES.rglob("*.tf")):
        text = path.read_text(encoding="utf-8")
        fresh = index_file(path, str(path), text)
        index_cache.stored(fresh, str(path))
        assert index_cache.load(str(path), text) == fresh, path


def test_the_demo_gives_the_same_report_cold_warm_and_with_damaged_entries(cli, cache):
    args = ("check", str(DEMO_TF), "--live", str(DEMO_LIVE))
    cold = cli(*args)
    assert cold.exit_code == 1, cold.stderr
    stored = entries(cache)
    assert len(stored) >= 3  # main.tf, variables.tf, the module's main.tf
    warm = cli(*args)
    assert stable(warm.report) == stable(cold.report)
    for number, entry in enumerate(stored):  # unreadable, another format, wrong shape: each ignored and rebuilt
        entry.write_text(["{not json", json.dumps({"format": 99}), json.dumps({"format": 1, "path": None, "blocks": 3})][number % 3])
    damaged = cli(*args)
    assert (damaged.exit_code, stable(damaged.report)) == (1, stable(cold.report))


def test_an_edited_file_is_parsed_again(cli, cache, tmp_path):
    root = tmp_path / "tf"
    root.mkdir()
    main = root / "main.tf"
    body = """
        resource "aws_imagebuilder_image_pipeline" "p" {
          name                             = "fleet-app"
          image_recipe_arn                 = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/r/1.0.0"
          infrastructure_configuration_arn = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/i"
          description                      = "DESCRIPTION"
        }
        """
    main.write_text(textwrap.dedent(body.replace("DESCRIPTION", "first")))
    first = cli("check", str(root), "--live", str(tmp_path / "no-live"))
    main.write_text(textwrap.dedent(body.replace("DESCRIPTION", "second").replace('"p"', '"renamed"')))
    second = cli("check", str(root), "--live", str(tmp_path / "no-live"))
    assert [p["id"] for p in first.report["pipelines"]] == ["aws_imagebuilder_image_pipeline.p"]
    assert [p["id"] for p in second.report["pipelines"]] == ["aws_imagebuilder_image_pipeline.renamed"]
    assert len(entries(cache)) == 2


def test_caching_off_writes_nothing(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("DRIFTCHECK_CACHE_DIR", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE))
    assert run.exit_code == 1, run.stderr
    assert not (tmp_path / "xdg").exists() and not (tmp_path / "home").exists()


def test_the_least_recently_used_entries_go_past_the_limit(cache, monkeypatch):
    monkeypatch.setattr(index_cache, "MAX_ENTRIES", 8)
    fresh = index_file(Path("a.tf"), "a.tf", "locals {\n  a = 1\n}\n")
    for number in range(8):
        index_cache.stored(index_file(Path("a.tf"), f"{number}.tf", f"locals {{\n  a = {number}\n}}\n"), f"{number}.tf")
    assert len(entries(cache)) == 8
    for age, entry in enumerate(entries(cache)):
        os.utime(entry, (1_000_000 + age, 1_000_000 + age))
    index_cache._pruned.clear()
    index_cache.stored(fresh, "a.tf")  # the ninth: pruned down to 6, the newest kept
    assert len(entries(cache)) == 6
    assert index_cache.load("a.tf", fresh.source) == fresh


def test_no_text_of_the_file_is_stored(cache):
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    text = f'provider "aws" {{\n  secret_key = "{secret}"\n}}\nlocals {{\n  note = <<-EOT\n    {secret}2\n  EOT\n  obj = {{ k = "{secret}3" }}\n}}\n'
    fresh = index_file(Path("main.tf"), "main.tf", text)
    index_cache.stored(fresh, "main.tf")
    [entry] = entries(cache)
    assert secret not in entry.read_text()
    assert oct(entry.stat().st_mode & 0o777) == "0o600"
    assert oct((cache / "index").stat().st_mode & 0o777) == "0o700"
    assert index_cache.load("main.tf", text) == fresh
    assert index_cache.load("main.tf", text).blocks[0].attributes["secret_key"].text == f'"{secret}"'
