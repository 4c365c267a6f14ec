"""The web-download URL filter, without the network (names resolve through a fake table)."""

import pytest

from catalog.data.urlsafety import FetchPolicy, UnsafeURL, check_url

DNS = {
    "images.example.com": ["93.184.216.34"],
    "metadata.test": ["169.254.169.254"],
    "local.test": ["127.0.0.1"],
    "mixed.test": ["93.184.216.34", "10.1.2.3"],
    "private.test": ["10.1.2.3"],
    "v6.test": ["2606:2800:220:1:248:1893:25c8:1946"],
    "mapped.test": ["::ffff:127.0.0.1"],
}


def resolver(host, port):
    return DNS.get(host, [])


def check(url, **policy):
    return check_url(url, FetchPolicy(**policy), resolver)


def test_a_public_host_passes_with_its_resolved_addresses_pinned():
    checked = check("https://images.example.com/cirros.img?x=1")
    assert checked.addresses == ("93.184.216.34",)
    assert (checked.host, checked.port, checked.target) == (
        "images.example.com",
        443,
        "/cirros.img?x=1",
    )


def test_public_ipv4_and_ipv6_literals_pass():
    assert check("http://93.184.216.34/x").addresses == ("93.184.216.34",)
    assert check("http://[2606:2800:220:1:248:1893:25c8:1946]/x").port == 80
    assert check("http://v6.test/x").addresses == ("2606:2800:220:1:248:1893:25c8:1946",)


@pytest.mark.parametrize(
    "url,reason",
    [
        ("ftp://images.example.com/x", "scheme 'ftp' is not allowed"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("gopher://images.example.com/x", "scheme 'gopher'"),
        ("http://127.0.0.1/x", "loopback"),
        ("http://localhost/x", "does not resolve"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://metadata.test/latest", "link-local"),
        ("http://local.test/x", "loopback"),
        ("http://2130706433/x", "numeric host spellings"),
        ("http://0x7f000001/x", "numeric host spellings"),
        ("http://0177.0.0.1/x", "numeric host spellings"),
        ("http://127.1/x", "numeric host spellings"),
        ("http://0x7f.0.0.1/x", "numeric host spellings"),
        ("http://[::ffff:127.0.0.1]/x", "embedded in IPv6"),
        ("http://[::ffff:169.254.169.254]/x", "embedded in IPv6"),
        ("http://mapped.test/x", "loopback"),
        ("http://[::1]/x", "loopback"),
        ("http://[fe80::1]/x", "link-local"),
        ("http://0.0.0.0/x", "unspecified"),
        ("http://224.0.0.1/x", "multicast"),
        ("http://10.0.0.1/x", "private"),
        ("http://100.100.100.200/latest/meta-data", "non-public address"),
        ("http://198.18.0.1/x", "private address"),
        ("http://192.168.1.1/x", "private"),
        ("http://private.test/x", "private"),
        ("http://mixed.test/x", "10.1.2.3: private"),
        ("http://images.example.com:8080/x", "port 8080 is not allowed"),
        ("http://10.0.0.1:8080/x", "port 8080"),
        ("http://user:pw@images.example.com/x", "credentials"),
        ("http:///x", "no host"),
        ("http://exa mple.com/x", "well-formed"),
        ("http://bad_host!.com/x", "valid host name"),
        ("http://unknown.test/x", "does not resolve"),
        ("http://[::1/x", "well-formed"),
    ],
)
def test_refusals_name_the_reason(url, reason):
    with pytest.raises(UnsafeURL) as caught:
        check(url)
    assert caught.value.status_code == 400
    assert caught.value.message.startswith("URI for web-download does not pass filtering: ")
    assert reason in caught.value.message


def test_private_networks_can_be_opened_by_configuration():
    assert check("http://10.0.0.1/x", allow_private=True).addresses == ("10.0.0.1",)
    with pytest.raises(UnsafeURL, match="loopback"):
        check("http://127.0.0.1/x", allow_private=True)


def test_an_allowed_host_skips_the_address_checks_and_empty_ports_allow_all():
    checked = check("http://127.0.0.1:8123/x", allowed_hosts=("127.0.0.1",), allowed_ports=None)
    assert checked.addresses == ("127.0.0.1",) and checked.port == 8123


def test_allow_lists_replace_deny_lists():
    with pytest.raises(UnsafeURL, match="host images.example.com is not allowed"):
        check("http://images.example.com/x", allowed_hosts=("mirror.example.org",))
    with pytest.raises(UnsafeURL, match="host images.example.com is not allowed"):
        check("http://images.example.com/x", disallowed_hosts=("images.example.com",))
    with pytest.raises(UnsafeURL, match="scheme 'https' is not allowed"):
        check("https://images.example.com/x", allowed_schemes=("http",))
    with pytest.raises(UnsafeURL, match="port 80 is not allowed"):
        check("http://images.example.com/x", disallowed_ports=(80,))
