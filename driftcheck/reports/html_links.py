"""How the HTML report names and links things: difference paths with quoted keys, ``file:line`` kept whole,
source links from ``--source-url TEMPLATE`` and AWS console links for ARNs.

Every URL built here is http(s) only, every substituted part is percent-encoded, and the caller still
escapes the result into an attribute (jinja autoescaping), so a hostile template, file name or ARN can
neither inject markup nor change the link's scheme or host.
"""

from __future__ import annotations

import functools
import json
import os
import re
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

from driftcheck.model import Location
from driftcheck.safe_text import one_line

__all__ = ["console_url", "display_path", "location_markup", "source_url", "template_problem"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}\Z")
_PIPELINE_ARN = re.compile(r"arn:(aws|aws-us-gov|aws-cn):imagebuilder:([a-z0-9-]+):\d{12}:image-pipeline/[A-Za-z0-9._/-]+\Z")
_CONSOLE_HOST = {"aws": "console.aws.amazon.com", "aws-us-gov": "console.amazonaws-us-gov.com", "aws-cn": "console.amazonaws.cn"}
_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f-\x9f\"'<>\\`]")


@functools.cache
def _model():  # botocore's pipeline shape, loaded once and only when a path is displayed
    from driftcheck.fields import pipeline_model

    return pipeline_model()


def _quoted(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def display_path(path: str) -> str:
    """``tags.a.b`` -> ``tags["a.b"]``: a map key or a set key's value that is not a plain identifier is quoted.

    The path's own string (model, JSON report) is untouched; this is how the HTML shows it. The field model
    says where a map begins, so everything after ``tags.`` is one key however many dots it holds.
    """
    try:
        spec = _model()
    except Exception:  # botocore data unreadable: show the path as it is
        return path
    out: list[str] = []
    i, n = 0, len(path)
    while i < n and spec is not None:
        if spec.type == "structure":
            if out:
                if path[i] != ".":
                    break
                i += 1
            match = _NAME.match(path, i)
            if not match or match.group() not in spec.children:
                if out:
                    i -= 1
                break
            out.append(("." if out else "") + match.group())
            spec = spec.children[match.group()]
            i = match.end()
        elif spec.type == "map":
            if path[i] != ".":
                break
            key = path[i + 1:]
            out.append(f".{key}" if _PLAIN_KEY.match(key) else f"[{_quoted(key)}]")
            i = n
        elif spec.type == "list" and path[i] == "[" and spec.item is not None:
            close = path.find("]", i)
            if close < 0:
                break
            inner = path[i + 1:close]
            set_key = spec.overlay.set_key
            if set_key and inner.startswith(set_key + "="):
                value = inner[len(set_key) + 1:]
                out.append(f"[{set_key}={value if _PLAIN_KEY.match(value) else _quoted(value)}]")
            else:
                out.append(f"[{inner}]")
            spec = spec.item
            i = close + 1
        else:
            break
    return "".join(out) + path[i:]


def location_markup(location: Location) -> Markup:
    """``dir/sub/main.tf:48`` as escaped markup that may wrap after a ``/`` (``<wbr>``); the last part is an
    inline block (``.tail``), so ``pinned-pipelines.yaml:8`` moves to the next line whole and breaks inside
    only when it is wider than its column."""
    parts = one_line(str(location)).split("/")
    head = Markup("").join(escape(part) + Markup("/<wbr>") for part in parts[:-1])
    return head + Markup('<span class="tail">') + escape(parts[-1]) + Markup("</span>")


def template_problem(template: str | None) -> str | None:
    """Why a ``--source-url`` template cannot be used (None when it can, or when there is none)."""
    if not template:
        return None
    try:
        parts = urlsplit(template.replace("{file}", "f").replace("{line}", "1"))
    except ValueError:
        return "it is not a URL"
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "only http:// and https:// URLs with a host are linked"
    if _UNSAFE_URL.search(template):
        return "it holds spaces, quotes, angle brackets or control characters"
    if "{file}" not in template:
        return "it has no {file} placeholder"
    return None


def _repository_path(file: str) -> str | None:
    """The file as the template expects it, relative: ``./a`` -> ``a``; an absolute path under the current
    directory (where the command ran) is made relative to it; any other absolute path gets no link."""
    if os.path.isabs(file):
        try:
            relative = os.path.relpath(file, os.getcwd())
        except ValueError:
            return None
        if relative == os.pardir or relative.startswith(os.pardir + os.sep):
            return None
        return relative.replace(os.sep, "/")
    return file[2:] if file.startswith("./") else file


def source_url(template: str | None, location: Location | None) -> str | None:
    """The link for ``location`` from a template with ``{file}`` and ``{line}``; None when none can be made.

    The file is made relative (:func:`_repository_path`) and percent-encoded (``/`` kept); the line is a
    number or empty."""
    if location is None or not template or template_problem(template) is not None:
        return None
    file = _repository_path(location.file)
    if file is None:
        return None
    line = str(int(location.line)) if location.line else ""
    url = template.replace("{file}", quote(file, safe="/", errors="backslashreplace")).replace("{line}", line)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or _UNSAFE_URL.search(url):
        return None
    return url


def console_url(arn: str | None, region: str | None = None) -> str | None:
    """The Image Builder console page of a pipeline ARN; None unless the ARN and region are well-formed."""
    if not arn:
        return None
    match = _PIPELINE_ARN.match(arn)
    if not match:
        return None
    partition, arn_region = match.group(1), match.group(2)
    region = arn_region or region or ""
    if not _REGION.match(region):
        return None
    return (
        f"https://{region}.{_CONSOLE_HOST[partition]}/imagebuilder/home?region={region}"
        f"#/pipelines/{quote(arn, safe=':/')}"
    )
