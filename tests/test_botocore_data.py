"""One botocore data loader per process: the field model and every AWS session read botocore's service list and
models once (a new loader lists some 400 service directories before loading one model)."""

from __future__ import annotations

import botocore.loaders

from driftcheck import botocore_data
from driftcheck.fields import pipeline_model
from driftcheck.live.session import AwsSettings, boto_session, imagebuilder_client


def test_every_session_and_the_field_model_share_one_loader(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    shared = botocore_data._loader()
    assert botocore_data.botocore_session().get_component("data_loader") is shared
    assert pipeline_model() is not None
    settings = AwsSettings(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    first = boto_session(settings)
    assert first._session.get_component("data_loader") is shared
    imagebuilder_client(settings, "us-east-1", first)
    listed: list[str] = []
    real_listdir = botocore.loaders.os.listdir
    monkeypatch.setattr(botocore.loaders.os, "listdir", lambda path: listed.append(path) or real_listdir(path))
    second = boto_session(AwsSettings(region="eu-west-1", endpoint_url="http://127.0.0.1:9"))  # another account's session
    client = imagebuilder_client(settings, "eu-west-1", second)
    assert client.meta.service_model.service_name == "imagebuilder"
    assert listed == []  # nothing of botocore's data listed again
