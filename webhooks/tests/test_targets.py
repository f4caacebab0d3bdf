"""Which addresses a delivery may go to (SSRF)."""

from __future__ import annotations

import pytest

from webhooks.targets import TargetRefused, check_url, resolve


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/",
        "http://192.168.0.10/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fd00::1]/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://224.0.0.1/",
    ],
)
def test_private_and_reserved_targets_are_refused(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    with pytest.raises(TargetRefused, match="private or reserved"):
        resolve(url)


def test_private_targets_pass_when_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True

    target = resolve("http://127.0.0.1:8123/hook?x=1")

    assert target.url == "http://127.0.0.1:8123/hook?x=1"
    assert target.host_header == "127.0.0.1:8123"
    assert target.server_name is None


def test_a_public_address_is_sent_to_the_checked_address(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    target = resolve("https://93.184.215.14/hook")

    assert target.url == "https://93.184.215.14/hook"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "javascript:alert(1)",
        "http:///path",
        "http://u:p@example.com/",
    ],
)
def test_urls_that_are_not_http_with_a_host_are_refused(url):
    with pytest.raises(TargetRefused):
        check_url(url)


def test_a_name_that_does_not_resolve_is_refused(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False

    with pytest.raises(TargetRefused, match="cannot resolve"):
        resolve("http://no-such-host.invalid/hook")
