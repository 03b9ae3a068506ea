"""Loopback fake of EC2's query-protocol endpoint, for tests: only ``DescribeRegions`` (what ``--all-regions`` reads
to learn the account's opted-in regions). The REAL boto3 ``ec2`` client talks to it (``AWS_ENDPOINT_URL_EC2``).

Success: ``<DescribeRegionsResponse xmlns=...><requestId/><regionInfo><item><regionName/><regionEndpoint/>
<optInStatus/></item>...</regionInfo></DescribeRegionsResponse>``. Errors as EC2 sends them: ``<Response><Errors>
<Error><Code/><Message/></Error></Errors><RequestID/></Response>``, e.g. ``UnauthorizedOperation`` (403).
``AllRegions=false`` (the default) lists the enabled regions only, ``true`` every region with its status.
"""

from __future__ import annotations

import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from tests.loopback import LoopbackEndpoint

XML_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/"
ENABLED = ("opt-in-not-required", "opted-in")


class FakeEc2(LoopbackEndpoint):
    """``regions``: region name -> opt-in status (``opt-in-not-required``, ``opted-in``, ``not-opted-in``)."""

    def __init__(self, regions: dict[str, str]):
        super().__init__(1, _make_handler, "fake-ec2")
        self.regions = dict(regions)
        self.error: tuple[str, int] | None = None   # (code, HTTP status) every request is answered with

    def deny(self, code: str = "UnauthorizedOperation", status: int = 403) -> None:
        self.error = (code, status)

    def answer(self, params: dict[str, str]) -> tuple[int, str]:
        request_id = str(uuid.uuid4())
        if self.error is not None:
            code, status = self.error
            return status, (f"<Response><Errors><Error><Code>{code}</Code><Message>You are not authorized to perform "
                            f"this operation.</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>")
        if params.get("Action") != "DescribeRegions":
            return 400, (f"<Response><Errors><Error><Code>InvalidAction</Code><Message>unsupported</Message></Error>"
                         f"</Errors><RequestID>{request_id}</RequestID></Response>")
        every = params.get("AllRegions", "false").lower() == "true"
        items = "".join(
            f"<item><regionName>{escape(name)}</regionName><regionEndpoint>ec2.{escape(name)}.amazonaws.com"
            f"</regionEndpoint><optInStatus>{escape(status)}</optInStatus></item>"
            for name, status in self.regions.items() if every or status in ENABLED)
        return 200, (f'<DescribeRegionsResponse xmlns="{XML_NAMESPACE}"><requestId>{request_id}</requestId>'
                     f"<regionInfo>{items}</regionInfo></DescribeRegionsResponse>")


def _make_handler(fake: FakeEc2):
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeEc2/1.0"
        timeout = 30

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            params = dict(parse_qsl(self.rfile.read(min(length, 1 << 16)).decode("utf-8", "replace")))
            with fake._lock:
                fake.requests.append({"operation": params.get("Action"), "params": params,
                                      "headers": dict(self.headers.items())})
            status, body = fake.answer(params)
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
