"""Reports list pipelines in natural order: ``p[2]`` before ``p[10]`` (numbers inside ids sort by value)."""

from __future__ import annotations

import re


def test_count_instances_are_listed_in_numeric_order_in_the_text_report(cli, tmp_path):
    root = tmp_path / "tf"
    root.mkdir()
    (root / "main.tf").write_text(
        'resource "aws_imagebuilder_image_pipeline" "p" {\n'
        "  count = 12\n"
        '  name = "pipe-${count.index}"\n'
        '  image_recipe_arn = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/r/1.0.0"\n'
        '  infrastructure_configuration_arn = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/i"\n'
        "}\n")
    live = tmp_path / "live"
    live.mkdir()
    run = cli("check", str(root), "--live", str(live), "--region", "us-east-1", "--format", "text")
    ids = re.findall(r"aws_imagebuilder_image_pipeline\.p\[(\d+)\]", run.stdout)
    order = list(dict.fromkeys(int(i) for i in ids))
    assert order == list(range(12)), order
