"""Terraform provider blocks' assume_role and profile choose the account a pipeline is read in (aliases included)."""

from __future__ import annotations

from tests.fake_sts import role_keys
from tests import accounts_support as support
from tests.accounts_support import BASE_ACCOUNT, BASE_KEY, DEV, DEV_ROLE, PROD, PROD_ROLE, live

fleet, run = support.fleet, support.run   # fixtures

PIPELINE = '''
resource "aws_imagebuilder_image_pipeline" "{name}" {{
{provider}  name                             = "{name}"
  status                           = "ENABLED"
  image_recipe_arn                 = "arn:aws:imagebuilder:us-east-1:{account}:image-recipe/r/1.0.0"
  infrastructure_configuration_arn = "arn:aws:imagebuilder:us-east-1:{account}:infrastructure-configuration/i"
}}
'''


def write_root(path, providers: str, *pipelines: tuple[str, str, str]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    body = providers + "".join(PIPELINE.format(name=n, account=a, provider=f"  provider = {p}\n" if p else "") for n, a, p in pipelines)
    (path / "main.tf").write_text(body)


PROVIDERS = f'''
variable "prod_role" {{
  default = "{PROD_ROLE}"
}}

provider "aws" {{
  region = "us-east-1"
}}

provider "aws" {{
  alias  = "prod"
  region = "us-east-1"
  assume_role {{
    role_arn     = var.prod_role
    external_id  = "tf-external-id-77"
    session_name = "driftcheck-tf"
  }}
}}
'''


def test_an_aliased_provider_role_reads_its_pipelines_and_the_default_provider_the_chain(fleet, run, tmp_path):
    sts, builder = fleet
    sts.add_role(PROD_ROLE, external_id="tf-external-id-77")
    builder.add_pipeline_for(BASE_KEY, live(BASE_ACCOUNT, "app-base"))
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app-prod", status="DISABLED"))
    write_root(tmp_path / "tf", PROVIDERS, ("app-base", BASE_ACCOUNT, None), ("app-prod", PROD, "aws.prod"))
    result = run(str(tmp_path / "tf"))
    assert result.exit_code == 1, result.stderr
    base = result.pipeline("aws_imagebuilder_image_pipeline.app-base")
    prod = result.pipeline("aws_imagebuilder_image_pipeline.app-prod")
    assert (base["status"], base["account"]) == ("in_sync", BASE_ACCOUNT)
    assert (prod["status"], prod["account"]) == ("drifted", PROD)
    (assumed,) = sts.calls("AssumeRole")
    assert assumed["params"] == {"RoleArn": PROD_ROLE, "RoleSessionName": "driftcheck-tf", "ExternalId": "tf-external-id-77"}
    assert "tf-external-id-77" not in result.stdout + result.stderr


def test_a_provider_role_wins_over_the_runs_accounts_and_a_refusal_errors_only_its_pipelines(fleet, run, tmp_path):
    sts, builder = fleet
    sts.refuse(PROD_ROLE)
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app-dev"))
    write_root(tmp_path / "tf", PROVIDERS, ("app-dev", DEV, None), ("app-prod", PROD, "aws.prod"))
    result = run(str(tmp_path / "tf"), "--assume-role", DEV_ROLE)
    assert result.exit_code == 2
    assert result.pipeline("aws_imagebuilder_image_pipeline.app-dev")["status"] == "in_sync"
    prod = result.pipeline("aws_imagebuilder_image_pipeline.app-prod")
    assert prod["status"] == "error" and prod["account"] == PROD and "AccessDenied" in prod["error"]
    assert "provider aws.prod at" in prod["error"] and "main.tf:" in prod["error"]


def test_a_module_gets_its_aliased_provider_through_the_providers_map(fleet, run, tmp_path):
    _, builder = fleet
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app-mod"))
    write_root(tmp_path / "tf" / "child", "", ("app-mod", PROD, None))
    (tmp_path / "tf" / "main.tf").write_text(PROVIDERS + '''
module "child" {
  source    = "./child"
  providers = { aws = aws.prod }
}
''')
    result = run(str(tmp_path / "tf"))
    assert result.exit_code == 0, result.stderr
    assert result.pipeline("module.child.aws_imagebuilder_image_pipeline.app-mod")["account"] == PROD


def test_an_unresolved_role_arn_is_an_error_never_a_guess(fleet, run, tmp_path):
    sts, _ = fleet
    providers = PROVIDERS.replace(f'default = "{PROD_ROLE}"', "type = string")
    write_root(tmp_path / "tf", providers, ("app-prod", PROD, "aws.prod"))
    result = run(str(tmp_path / "tf"))
    assert result.exit_code == 2
    entry = result.pipeline("aws_imagebuilder_image_pipeline.app-prod")
    assert entry["status"] == "error" and "assume_role.role_arn" in entry["error"] and "prod_role" in entry["error"]
    assert sts.requests == []


def test_a_provider_profile_is_that_profiles_account(fleet, run, tmp_path):
    sts, builder = fleet
    (tmp_path / "no-aws-credentials").write_text("[ops]\naws_access_key_id = AKIAOPSPROFILE000001\naws_secret_access_key = ops-secret\n")
    sts.add_identity("AKIAOPSPROFILE000001", DEV)
    builder.add_pipeline_for("AKIAOPSPROFILE000001", live(DEV, "app-ops"))
    providers = 'provider "aws" {\n  region  = "us-east-1"\n  profile = "ops"\n}\n'
    write_root(tmp_path / "tf", providers, ("app-ops", DEV, None))
    result = run(str(tmp_path / "tf"))
    assert result.exit_code == 0, result.stderr
    assert result.pipeline("aws_imagebuilder_image_pipeline.app-ops")["account"] == DEV
    assert set(builder.keys_seen) == {"AKIAOPSPROFILE000001"}


def test_a_provider_with_assume_role_with_web_identity_reads_in_that_roles_account(fleet, run, tmp_path):
    """Never the run's own account: the web identity's role is assumed (sts:AssumeRole) or the pipeline is an error."""
    sts, builder = fleet
    builder.add_pipeline_for(BASE_KEY, live(BASE_ACCOUNT, "app-web"))           # same name in the base account: not it
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app-web", status="DISABLED"))
    providers = f'''
provider "aws" {{
  region = "us-east-1"
  assume_role_with_web_identity {{
    role_arn                = "{PROD_ROLE}"
    web_identity_token_file = "/var/run/token"
  }}
}}
'''
    write_root(tmp_path / "tf", providers, ("app-web", PROD, None))
    result = run(str(tmp_path / "tf"))
    pipeline = result.pipeline("aws_imagebuilder_image_pipeline.app-web")
    assert (pipeline["status"], pipeline["account"]) == ("drifted", PROD), result.stderr
    (assumed,) = sts.calls("AssumeRole")
    assert assumed["params"]["RoleArn"] == PROD_ROLE
    sts.refuse(PROD_ROLE)
    result = run(str(tmp_path / "tf"))
    pipeline = result.pipeline("aws_imagebuilder_image_pipeline.app-web")
    assert result.exit_code == 2 and pipeline["status"] == "error" and "AccessDenied" in pipeline["error"]
    assert f"first: aws_imagebuilder_image_pipeline.app-web [{PROD}/us-east-1]: " in result.stderr
