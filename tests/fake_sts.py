"""Loopback fake of AWS STS (query protocol), for the multi-account tests.

The REAL boto3 ``sts`` client talks HTTP to this server (``AWS_ENDPOINT_URL_STS=fake.url``, which botocore
honours). Two operations, as botocore's model (``sts/2011-06-15``) defines them: form-encoded POST bodies
``Action=AssumeRole&RoleArn=...&RoleSessionName=...&ExternalId=...`` and ``Action=GetCallerIdentity``,
answered with the XML documents the real service sends; errors are ``<ErrorResponse><Error><Code>``
documents with the HTTP status of the real service (AccessDenied 403, ...).

* ``add_role(arn, external_id=None)``: a role that may be assumed (with that external id, when given);
  each role hands out its own fixed access key id (``role_keys(arn)``: key id, secret, token), so a fake
  keyed by credentials (:mod:`tests.fake_accounts`) can tell the accounts apart.
* ``add_identity(access_key_id, account)``: what GetCallerIdentity answers for a base credential (a profile).
* ``refuse(arn, code, message)``: AssumeRole of that role fails with that error.

Who is calling is read from the SigV4 ``Authorization`` header's access key id. Signatures are not checked.
Standard library only.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from tests.loopback import LoopbackEndpoint

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
ERROR_STATUS = {"AccessDenied": 403, "InvalidClientTokenId": 403, "ExpiredToken": 400, "MalformedPolicyDocument": 400,
                "RegionDisabledException": 403, "InvalidParameterValue": 400}
ROLE_ARN = re.compile(r"\Aarn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):role/(?:[\w+=,.@/-]*/)?(?P<name>[\w+=,.@-]+)\Z")
CREDENTIAL = re.compile(r"Credential=(?P<key>[A-Z0-9]+)/")


def role_keys(arn: str) -> tuple[str, str, str]:
    """(access key id, secret access key, session token) the fake hands out for ``arn``: fixed, distinct per role."""
    digest = hashlib.sha256(arn.encode()).hexdigest().upper()
    return ("ASIA" + digest[:16], "fake-role-secret-" + digest[16:40].lower(), "fake-role-token-" + digest[40:64].lower())


class _StsError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class FakeSts(LoopbackEndpoint):
    """The fake endpoint; ``requests`` logs each call's action and parameters (never a secret)."""

    def __init__(self) -> None:
        super().__init__(1, _make_handler, "fake-sts")
        self._roles: dict[str, str | None] = {}        # role ARN -> required external id
        self._refusals: dict[str, tuple[str, str]] = {}
        self._identities: dict[str, tuple[str, str]] = {}   # access key id -> (account, arn)

    def add_role(self, arn: str, external_id: str | None = None) -> tuple[str, str, str]:
        if not ROLE_ARN.match(arn):
            raise ValueError(f"not a role ARN: {arn}")
        keys = role_keys(arn)
        account = ROLE_ARN.match(arn)["account"]
        with self._lock:
            self._roles[arn] = external_id
            self._identities[keys[0]] = (account, arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/session")
        return keys

    def add_identity(self, access_key_id: str, account: str, arn: str | None = None) -> None:
        with self._lock:
            self._identities[access_key_id] = (account, arn or f"arn:aws:iam::{account}:user/auditor")

    def refuse(self, arn: str, code: str = "AccessDenied", message: str | None = None) -> None:
        with self._lock:
            self._refusals[arn] = (code, message or f"User is not authorized to perform: sts:AssumeRole on resource: {arn}")

    def calls(self, action: str) -> list[dict]:
        with self._lock:
            return [r for r in self.requests if r["action"] == action]

    # ---------------------------------------------------------------- dispatch (handler threads)
    def _dispatch(self, params: dict[str, str], caller: str | None) -> str:
        action = params.get("Action")
        if action == "AssumeRole":
            return self._assume_role(params, caller)
        if action == "GetCallerIdentity":
            with self._lock:
                identity = self._identities.get(caller or "")
            if identity is None:
                raise _StsError("InvalidClientTokenId", "The security token included in the request is invalid.")
            account, arn = identity
            return (f"<GetCallerIdentityResult><Arn>{escape(arn)}</Arn><UserId>AIDAFAKE</UserId>"
                    f"<Account>{account}</Account></GetCallerIdentityResult>")
        raise _StsError("InvalidAction", f"Could not find operation {action}")

    def _assume_role(self, params: dict[str, str], caller: str | None) -> str:
        arn, session = params.get("RoleArn", ""), params.get("RoleSessionName", "")
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", session):
            raise _StsError("ValidationError", "RoleSessionName is invalid")
        with self._lock:
            refusal = self._refusals.get(arn)
            known = arn in self._roles
            wanted = self._roles.get(arn)
            base_known = (caller or "") in self._identities
        if refusal is not None:
            raise _StsError(*refusal)
        if not base_known:
            raise _StsError("InvalidClientTokenId", "The security token included in the request is invalid.")
        if not known or (wanted is not None and params.get("ExternalId") != wanted):
            raise _StsError("AccessDenied", f"User is not authorized to perform: sts:AssumeRole on resource: {arn}")
        key, secret, token = role_keys(arn)
        match = ROLE_ARN.match(arn)
        assumed = f"arn:aws:sts::{match['account']}:assumed-role/{match['name']}/{session}"
        return (
            "<AssumeRoleResult><Credentials>"
            f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
            f"</Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:{escape(session)}</AssumedRoleId>"
            f"<Arn>{escape(assumed)}</Arn></AssumedRoleUser></AssumeRoleResult>"
        )


def _make_handler(fake: FakeSts):
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeSts/1.0"
        timeout = 30

        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(self.rfile.read(length).decode("utf-8", "replace"), keep_blank_values=True))
            found = CREDENTIAL.search(self.headers.get("Authorization", ""))
            caller = found["key"] if found else None
            request_id = str(uuid.uuid4())
            with fake._lock:
                fake.requests.append({"action": params.get("Action"), "caller": caller,
                                      "params": {k: v for k, v in params.items() if k not in ("Action", "Version")}})
            action = params.get("Action", "Unknown")
            try:
                result = fake._dispatch(params, caller)
            except _StsError as err:
                body = (f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type><Code>{escape(err.code)}</Code>'
                        f"<Message>{escape(err.message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>")
                self._send(ERROR_STATUS.get(err.code, 400), body)
                return
            body = (f'<{action}Response xmlns="{NAMESPACE}">{result}'
                    f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>")
            self._send(200, body)

        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self._headers_buffer.append(b"\r\n")
                self._headers_buffer.append(data)
                self.flush_headers()
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler
