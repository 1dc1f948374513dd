"""The Feishu app client against the local fake: the token fetched once and reused, a
revoked token replaced once, rate limits waited out as the server asks, refusals kept in
Feishu's own codes, and the secret never in what a person reads."""

import pytest

from sheetsync import feishu_api
from sheetsync.errors import ConfigError
from sheetsync.feishu_api import FeishuClient, FeishuCredentials, FeishuError, feishu_credentials
from tests.feishu_fake import FeishuFake


@pytest.fixture
def fake():
    server = FeishuFake().start()

    def echo(fake, path, query, body, app):
        return 200, {"code": 0, "msg": "success", "data": {"path": path, "app": app}}

    server.route("GET", "/open-apis/echo", echo)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    waits = []
    monkeypatch.setattr(feishu_api, "pause_for", waits.append)
    return waits


def _client(fake, secret="s3cret", clock=None):
    kwargs = {"clock": clock} if clock else {}
    return FeishuClient(FeishuCredentials("cli_test", secret), fake.url, **kwargs)


def test_the_token_is_fetched_once_for_many_calls(fake):
    client = _client(fake)
    for _ in range(5):
        assert client.call("GET", "/open-apis/echo")["app"] == "cli_test"
    assert fake.token_calls == 1
    assert client.calls == 6


def test_a_token_near_its_expiry_is_replaced(fake):
    now = [0.0]
    client = _client(fake, clock=lambda: now[0])
    client.call("GET", "/open-apis/echo")
    now[0] = 7200 - 60  # a minute left: replaced before it runs out mid-run
    client.call("GET", "/open-apis/echo")
    assert fake.token_calls == 2


def test_a_revoked_token_is_fetched_again_once(fake):
    client = _client(fake)
    client.call("GET", "/open-apis/echo")
    fake.tokens.clear()  # the app's secret was reset: every token is gone
    assert client.call("GET", "/open-apis/echo")["app"] == "cli_test"
    assert fake.token_calls == 2


def test_rate_limits_are_waited_out_as_the_server_asks(fake, no_waiting):
    fake.rate_limit(3, reset=7)
    assert _client(fake).call("GET", "/open-apis/echo")["path"] == "/open-apis/echo"
    assert no_waiting == [7.0, 7.0, 7.0]


def test_a_wrong_secret_is_feishus_code_and_never_shows_the_secret(fake):
    with pytest.raises(FeishuError) as caught:
        _client(fake, secret="wrong-secret-value").call("GET", "/open-apis/echo")
    assert caught.value.code == 10014
    assert "wrong-secret-value" not in str(caught.value)
    assert "wrong-secret-value" not in repr(FeishuCredentials("cli_test", "wrong-secret-value"))


def test_credentials_come_from_the_environment_or_a_file(tmp_path):
    env = {"SHEETSYNC_FEISHU_APP_ID": "cli_a", "SHEETSYNC_FEISHU_APP_SECRET": "x"}
    assert feishu_credentials("", env).app_id == "cli_a"
    key = tmp_path / "feishu.json"
    key.write_text('{"app_id": "cli_b", "app_secret": "y"}', encoding="utf-8")
    assert feishu_credentials(str(key), {}).app_id == "cli_b"
    with pytest.raises(ConfigError, match="SHEETSYNC_FEISHU_APP_ID"):
        feishu_credentials("", {})
