"""Settings: flag > environment > TOML file > default, and one clear line for every mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.serve import web_config
from node.settings import Settings, SettingsError, load, parse_resolve


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rukun.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refused(**sources: object) -> str:
    """The one-line message `load` raises for these sources."""
    with pytest.raises(SettingsError) as caught:
        load(**sources)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message and "\n" not in message, repr(message)
    return message


def test_defaults() -> None:
    settings = load({}, environ={})
    assert settings == Settings(
        domain="localhost:8080", insecure_http=True, allow_private_addresses=False
    )
    assert (settings.host, settings.port, settings.role) == ("127.0.0.1", 8080, "all")
    assert settings.resolve == {}
    assert settings.base_url == "http://localhost:8080"


def test_flag_beats_environment_beats_file_beats_default(tmp_path: Path) -> None:
    config = write_toml(tmp_path, 'port = 1001\nworkers = 11\ndomain = "file.example"\n')
    environ = {"RUKUN_PORT": "2002", "RUKUN_WORKERS": "22"}
    settings = load({"port": 3003}, environ=environ, config_file=config)
    assert settings.port == 3003  # flag
    assert settings.workers == 22  # environment over file
    assert settings.domain == "file.example"  # file over default
    assert settings.job_lease_seconds == 300.0  # default
    assert load({}, environ=environ, config_file=config).port == 2002
    assert load({}, environ={}, config_file=config).port == 1001


def test_unset_flags_do_not_hide_lower_sources() -> None:
    settings = load({"port": None, "domain": None}, environ={"RUKUN_PORT": "9001"})
    assert settings.port == 9001
    assert settings.domain == "localhost:9001"


def test_config_file_from_environment(tmp_path: Path) -> None:
    config = write_toml(tmp_path, 'domain = "env-file.example"\n')
    assert load({}, environ={"RUKUN_CONFIG": str(config)}).domain == "env-file.example"
    # An explicit file wins over RUKUN_CONFIG.
    other = tmp_path / "other.toml"
    other.write_text('domain = "flag-file.example"\n')
    settings = load({}, environ={"RUKUN_CONFIG": str(config)}, config_file=other)
    assert settings.domain == "flag-file.example"


def test_every_setting_reads_from_the_environment() -> None:
    environ = {
        "RUKUN_DOMAIN": "Social.Example.COM",
        "RUKUN_HOST": "0.0.0.0",
        "RUKUN_PORT": "8443",
        "RUKUN_DATABASE_URL": "postgresql://rukun@db/rukun",
        "RUKUN_DATA_DIR": "/var/lib/rukun",
        "RUKUN_INSECURE_HTTP": "yes",
        "RUKUN_RESOLVE": "a.test=127.0.0.1:8081",
        "RUKUN_ALLOW_PRIVATE_ADDRESSES": "on",
        "RUKUN_ROLE": "worker",
        "RUKUN_MAX_BODY_BYTES": "4096",
        "RUKUN_WORKERS": "8",
        "RUKUN_JOB_LEASE_SECONDS": "12.5",
        "RUKUN_LOG_LEVEL": "debug",
        "RUKUN_ADMIN_USERNAME": "root_admin",
    }
    assert load({}, environ=environ) == Settings(
        domain="social.example.com",
        host="0.0.0.0",
        port=8443,
        database_url="postgresql://rukun@db/rukun",
        data_dir=Path("/var/lib/rukun"),
        insecure_http=True,
        resolve={"a.test": ("127.0.0.1", 8081)},
        allow_private_addresses=True,
        role="worker",
        max_body_bytes=4096,
        workers=8,
        job_lease_seconds=12.5,
        log_level="DEBUG",
        admin_username="root_admin",
    )


def test_toml_file_with_dashes_and_a_resolve_table(tmp_path: Path) -> None:
    config = write_toml(
        tmp_path,
        'domain = "a.test"\ninsecure-http = true\nmax-body-bytes = 2048\n'
        '[resolve]\n"b.test" = "127.0.0.1:8082"\n"C.test" = "[::1]:8083"\n',
    )
    settings = load({}, environ={}, config_file=config)
    assert settings.insecure_http is True
    assert settings.max_body_bytes == 2048
    assert settings.resolve == {"b.test": ("127.0.0.1", 8082), "c.test": ("::1", 8083)}


def test_resolve_strings() -> None:
    assert parse_resolve("") == {}
    assert parse_resolve(" a.test=127.0.0.1:8081 , b.test:8443=10.0.0.2:443,") == {
        "a.test": ("127.0.0.1", 8081),
        "b.test:8443": ("10.0.0.2", 443),
    }
    assert parse_resolve("v6.test=[::1]:9000") == {"v6.test": ("::1", 9000)}
    assert parse_resolve({"a.test": "127.0.0.1:1"}) == {"a.test": ("127.0.0.1", 1)}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a.test", "resolve: expected domain=address:port, got 'a.test'"),
        ("a.test=127.0.0.1", "resolve: expected domain=address:port, got 'a.test=127.0.0.1'"),
        ("=127.0.0.1:80", "resolve: expected domain=address:port"),
        ("a.test=localhost:80", "resolve: 'localhost' in 'a.test=localhost:80' is not an IP"),
        ("a.test=127.0.0.1:http", "resolve: port in 'a.test=127.0.0.1:http' must be a number"),
        ("a.test=127.0.0.1:0", "resolve: port in 'a.test=127.0.0.1:0' must be a number"),
        ("a.test=127.0.0.1:70000", "resolve: port in 'a.test=127.0.0.1:70000' must be"),
        ("bad domain=127.0.0.1:80", "resolve: 'bad domain' is not a host name"),
        ({"a.test": 8081}, "resolve: expected domain=address:port, got 'a.test=8081'"),
        (["a.test=127.0.0.1:1"], "resolve: expected domain=address:port,... or a table"),
    ],
)
def test_bad_resolve_entries(value: object, expected: str) -> None:
    message = refused(flags={"resolve": value}, environ={})
    assert message.startswith(expected), message


@pytest.mark.parametrize(
    ("domain", "insecure"),
    [
        ("localhost:8080", True),
        ("localhost", True),
        ("a.localhost:9000", True),
        ("127.0.0.1:8080", True),
        ("127.0.0.2", True),
        ("social.example.com", False),
        ("localhost.example.com", False),
        ("10.0.0.1:8080", False),
    ],
)
def test_plain_http_by_default_only_on_loopback(domain: str, insecure: bool) -> None:
    settings = load({"domain": domain}, environ={})
    assert settings.insecure_http is insecure
    assert settings.scheme == ("http" if insecure else "https")
    # Whatever the domain, an explicit choice stands.
    assert load({"domain": domain, "insecure_http": not insecure}, environ={}).insecure_http is (
        not insecure
    )


def test_private_addresses_stay_off_unless_asked() -> None:
    assert load({"domain": "localhost:8080"}, environ={}).allow_private_addresses is False
    assert load({}, environ={"RUKUN_ALLOW_PRIVATE_ADDRESSES": "0"}).allow_private_addresses is False
    assert load({"allow_private_addresses": True}, environ={}).allow_private_addresses is True


@pytest.mark.parametrize(
    ("flags", "environ", "expected"),
    [
        ({"port": 0}, {}, "port: expected a number from 1 to 65535, got 0"),
        ({"port": 70000}, {}, "port: expected a number from 1 to 65535, got 70000"),
        (
            {},
            {"RUKUN_PORT": "http"},
            "port: expected a whole number, got 'http' (from RUKUN_PORT)",
        ),
        ({"domain": "bad domain"}, {}, "domain: 'bad domain' is not a host name"),
        ({"domain": "https://a.example"}, {}, "domain: 'https://a.example' is not a host name"),
        ({"domain": "a_b.example"}, {}, "domain: 'a_b.example' is not a host name"),
        ({"domain": "-a.example"}, {}, "domain: '-a.example' is not a host name"),
        ({"domain": "a.example/x"}, {}, "domain: 'a.example/x' is not a host name"),
        ({"domain": "x" * 64 + ".example"}, {}, "domain: 'xxxx"),
        ({"domain": "a.example:99999"}, {}, "domain: the port in 'a.example:99999' must be"),
        ({"role": "everything"}, {}, "role: expected one of all, web, worker, got 'everything'"),
        ({}, {"RUKUN_ROLE": "Web"}, "role: expected one of all, web, worker, got 'Web'"),
        ({}, {"RUKUN_INSECURE_HTTP": "maybe"}, "insecure_http: expected true or false, got"),
        ({}, {"RUKUN_WORKERS": "0"}, "workers: expected a number from 1 to 256, got 0"),
        ({}, {"RUKUN_MAX_BODY_BYTES": "10"}, "max_body_bytes: expected a number from 1024"),
        ({}, {"RUKUN_JOB_LEASE_SECONDS": "nan"}, "job_lease_seconds: expected a positive"),
        ({}, {"RUKUN_JOB_LEASE_SECONDS": "-1"}, "job_lease_seconds: expected a positive"),
        ({}, {"RUKUN_LOG_LEVEL": "loud"}, "log_level: expected DEBUG, INFO, WARNING or ERROR"),
        ({}, {"RUKUN_DATABASE_URL": "mysql://x"}, "database_url: expected a postgresql:// URL"),
        ({}, {"RUKUN_ADMIN_USERNAME": "Boss"}, "admin_username: use 1 to 30 lowercase"),
    ],
)
def test_each_bad_value_is_one_line_naming_the_setting(
    flags: dict[str, object], environ: dict[str, str], expected: str
) -> None:
    message = refused(flags=flags, environ=environ)
    assert message.startswith(expected), message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("port = true\n", "port: expected a whole number, got True (from config file "),
        ("port = 8080.5\n", "port: expected a whole number, got 8080.5 (from config file "),
        ('port = "8080"\nworkers = []\n', "workers: expected a whole number, got []"),
        ("job_lease_seconds = false\n", "job_lease_seconds: expected a number, got False"),
        ('resolve = "a.test"\n', "resolve: expected domain=address:port, got 'a.test' (from"),
    ],
)
def test_wrong_types_in_the_file(tmp_path: Path, text: str, expected: str) -> None:
    config = write_toml(tmp_path, text)
    message = refused(environ={}, config_file=config)
    assert message.startswith(expected), message
    assert str(config) in message


def test_unknown_key_in_the_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path, 'domain = "a.example"\nlisten_port = 80\n')
    assert refused(environ={}, config_file=config) == (
        f"config file {config}: unknown setting 'listen_port'"
    )
    nested = write_toml(tmp_path, "[server]\nport = 80\n")
    assert refused(environ={}, config_file=nested) == (
        f"config file {nested}: unknown setting 'server'"
    )


def test_malformed_file(tmp_path: Path) -> None:
    config = write_toml(tmp_path, 'domain = "a.example"\nport = \n')
    message = refused(environ={}, config_file=config)
    assert message.startswith(f"config file {config}: ")
    assert "line 2" in message


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    assert refused(environ={}, config_file=missing) == f"config file {missing} does not exist"
    assert refused(environ={"RUKUN_CONFIG": str(missing)}) == (
        f"config file {missing} does not exist"
    )


def test_a_directory_is_not_a_file(tmp_path: Path) -> None:
    assert refused(environ={}, config_file=tmp_path).startswith(f"config file {tmp_path}: ")


def test_unknown_environment_names_are_ignored() -> None:
    # RUKUN_TEST_DATABASE_URL and RUKUN_CONFIG are not settings; other programs' names neither.
    environ = {"RUKUN_TEST_DATABASE_URL": "postgresql://x/y", "RUKUN_SOMETHING": "1", "PORT": "1"}
    assert load({}, environ=environ) == load({}, environ={})


def test_delivery_give_up_days_reaches_the_delivery_policy() -> None:
    settings = load({}, environ={"RUKUN_DELIVERY_GIVE_UP_DAYS": "2.5"})
    assert web_config(settings).delivery.give_up_after_days == 2.5
    with pytest.raises(SettingsError, match="delivery_give_up_days"):
        load({}, environ={"RUKUN_DELIVERY_GIVE_UP_DAYS": "soon"})
