"""The AWS accounts of a run: who to be in each (a profile, a role to assume), and the settings that reach it.

An :class:`AccountTarget` comes from ``--profile``, ``--assume-role``, an accounts file entry or a Terraform
provider's ``profile`` / ``assume_role``. :func:`connect` turns it into a :class:`Connection`: AwsSettings
carrying that account's credentials (kept in :class:`~driftcheck.live.session.Credentials`, whose repr
masks them: nothing here prints, logs or returns a secret), the account id, or the reason it failed.

Only ``sts:AssumeRole`` and ``sts:GetCallerIdentity`` are called. STS's endpoint is botocore's: set
``AWS_ENDPOINT_URL_STS`` to override it (the tests point it at a loopback fake).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import botocore.exceptions

from driftcheck.errors import UsageError
from driftcheck.live.session import AwsCallError, AwsSettings, Credentials, call, client_config
from driftcheck.model import ProviderAccount

ROLE_SESSION_NAME = "driftcheck-audit"   # what CloudTrail shows for every call driftcheck makes in a role
ROLE_ARN = re.compile(r"\Aarn:aws(?:-[a-z]+)*:iam::(?P<account>[0-9]{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}\Z")
ROLE_NAME = re.compile(r"\A(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}\Z")
ACCOUNT_ID = re.compile(r"\A[0-9]{12}\Z")
SESSION_NAME = re.compile(r"\A[\w+=,.@-]{2,64}\Z")
STS_FALLBACK_REGION = "us-east-1"   # STS needs a region to sign with when neither --region nor the chain names one


def role_account(arn: str) -> str | None:
    """The account id of a role ARN (None when it is not one)."""
    match = ROLE_ARN.match(arn)
    return match["account"] if match else None


def arn_account(arn: str | None) -> str | None:
    """The account field of an ARN (``arn:aws:imagebuilder:REGION:ACCOUNT:...``), when it is 12 digits."""
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[4] if len(parts) > 5 and ACCOUNT_ID.match(parts[4]) else None


def role_arn(value: str, account_id: str | None = None) -> str:
    """A role ARN as given, or a role name made into ``arn:aws:iam::ACCOUNT:role/NAME``; ValueError when neither."""
    if value.startswith("arn:"):
        if not ROLE_ARN.match(value):
            raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        if account_id is not None and role_account(value) != account_id:
            raise ValueError(f"role {value} is in account {role_account(value)}, not {account_id}")
        return value
    if account_id is None:
        raise ValueError(f"{value!r} is a role name: give the full ARN (arn:aws:iam::ACCOUNT:role/NAME)")
    if not ROLE_NAME.match(value):
        raise ValueError(f"{value!r} is not a valid role name")
    return f"arn:aws:iam::{account_id}:role/{value}"


@dataclass(frozen=True)
class AccountTarget:
    """One account to read, and how to become it. ``origin`` says who asked (``--profile dev``, ``accounts.yaml:4``)."""

    origin: str
    account_id: str | None = None
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = field(default=None, repr=False)
    session_name: str = ROLE_SESSION_NAME
    regions: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()   # the accounts file's ``paths``: declarations under these belong to this account
    default: bool = False         # the AWS chain's own credentials (no --profile, --assume-role or accounts file)

    def __post_init__(self) -> None:
        if self.role_arn and self.account_id is None:
            object.__setattr__(self, "account_id", role_account(self.role_arn))

    @property
    def identity(self) -> tuple[object, ...]:
        """Two targets with the same identity are one account read once (the external id is part of it)."""
        return (self.account_id, self.profile, self.role_arn, self.external_id, self.session_name if self.role_arn else None)

    @property
    def label(self) -> str:
        """How reports and messages name it: the account id, else the profile; never a secret."""
        if self.account_id:
            return self.account_id
        if self.profile:
            return f"profile {self.profile}"
        return "the default AWS credentials"

    def describe(self) -> str:
        """``111122223333 (role arn:aws:iam::111122223333:role/audit, from accounts.yaml:4)``."""
        how = [f"role {self.role_arn}"] if self.role_arn else []
        if self.profile and self.account_id:
            how.append(f"profile {self.profile}")
        how.append(f"from {self.origin}")
        return f"{self.label} ({', '.join(how)})"


def from_provider(provider: ProviderAccount) -> AccountTarget:
    """The target a Terraform provider configuration reads its pipelines with."""
    return AccountTarget(origin=provider.origin, profile=provider.profile, role_arn=provider.role_arn,
                         external_id=provider.external_id, session_name=provider.session_name or ROLE_SESSION_NAME)


def command_line_targets(profiles: tuple[str, ...], roles: tuple[str, ...], external_id: str | None) -> list[AccountTarget]:
    """``--profile`` (each an account) and ``--assume-role`` (each assumed from the AWS chain, with ``--external-id``)."""
    targets = [AccountTarget(origin=f"--profile {name}", profile=name) for name in profiles]
    for value in roles:
        if not ROLE_ARN.match(value):
            raise UsageError(f"--assume-role {value!r}: expected a role ARN (arn:aws:iam::ACCOUNT:role/NAME)")
        targets.append(AccountTarget(origin="--assume-role", role_arn=value, external_id=external_id))
    if external_id is not None and not roles:
        raise UsageError("--external-id (or DRIFTCHECK_EXTERNAL_ID) is used with --assume-role (per-account external ids go in the accounts file)")
    return targets


@dataclass(frozen=True)
class Connection:
    """A target, ready to read (``settings``) or not (``error``); ``account_id`` when known."""

    target: AccountTarget
    settings: AwsSettings | None
    account_id: str | None
    error: str | None = None

    @property
    def label(self) -> str:
        return self.account_id or self.target.label


def connect(target: AccountTarget, base: AwsSettings, *, identify: bool) -> Connection:
    """Assume the target's role (or take its profile); with ``identify``, find the account id with
    sts:GetCallerIdentity when nothing names it. Never raises for an AWS fault: the Connection says it."""
    settings = replace(base, profile=target.profile, credentials=None, account=target.account_id)
    if not target.role_arn and not identify:   # the run's only account: no STS call, the ARNs name the account
        return Connection(target, settings, target.account_id)
    try:
        import boto3

        from driftcheck.botocore_data import botocore_session

        session = boto3.session.Session(profile_name=target.profile, botocore_session=botocore_session())
        region = base.region or session.region_name or STS_FALLBACK_REGION
        sts = session.client("sts", region_name=region, config=client_config(base))
    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
        return Connection(target, None, target.account_id, _failure(target, f"{type(exc).__name__}: {exc}"))
    try:
        if target.role_arn:
            kwargs = {"RoleArn": target.role_arn, "RoleSessionName": target.session_name}
            if target.external_id is not None:
                kwargs["ExternalId"] = target.external_id
            response = call(settings, "AssumeRole", sts.assume_role, **kwargs)
            granted = response.get("Credentials") or {}
            if not all(isinstance(granted.get(k), str) for k in ("AccessKeyId", "SecretAccessKey")):
                return Connection(target, None, target.account_id, _failure(target, "AssumeRole: the response has no credentials"))
            credentials = Credentials(granted["AccessKeyId"], granted["SecretAccessKey"], granted.get("SessionToken"))
            return Connection(target, replace(settings, profile=None, credentials=credentials, region=base.region or session.region_name),
                              target.account_id)
        if identify:
            account = call(settings, "GetCallerIdentity", sts.get_caller_identity).get("Account")
            if not isinstance(account, str) or not ACCOUNT_ID.match(account):
                return Connection(target, None, target.account_id, _failure(target, "GetCallerIdentity: no account id in the response"))
            if target.account_id is not None and account != target.account_id:
                return Connection(target, None, target.account_id, _failure(
                    target, f"its credentials are for account {account}, not {target.account_id}"))
            return Connection(target, replace(settings, account=account), account)
    except AwsCallError as exc:
        return Connection(target, None, target.account_id, _failure(target, str(exc)))
    return Connection(target, settings, target.account_id)


def _failure(target: AccountTarget, reason: str) -> str:
    what = f"cannot assume role {target.role_arn}" if target.role_arn else f"cannot use {target.label}"
    return f"account {target.describe()}: {what}: {reason}"
