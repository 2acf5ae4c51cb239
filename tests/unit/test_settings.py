from __future__ import annotations

import pytest

from newswire.settings import ENV_NAMES, Settings, SettingsError


def test_defaults_and_env() -> None:
    s = Settings.from_env(
        {"NEWSWIRE_KAFKA_BOOTSTRAP": "a:1, b:2", "NEWSWIRE_PARTITIONS": "6", "NEWSWIRE_ALLOW_PRIVATE_NETWORKS": "true"}
    )
    assert s.bootstrap_servers == ["a:1", "b:2"]
    assert s.partitions == 6 and s.allow_private_networks is True
    assert Settings.from_env(s.as_env()) == s


@pytest.mark.parametrize(
    "env",
    [
        {"NEWSWIRE_PARTITIONS": "many"},
        {"NEWSWIRE_PARTITIONS": "0"},
        {"NEWSWIRE_ALLOW_PRIVATE_NETWORKS": "maybe"},
        {"NEWSWIRE_LOG_FORMAT": "xml"},
        {"NEWSWIRE_KAFKA_BOOTSTRAP": " "},
    ],
)
def test_invalid_values_are_refused_with_the_name(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_env(env)
    assert "NEWSWIRE_" in str(info.value)


def test_env_names_are_prefixed() -> None:
    assert all(n.startswith("NEWSWIRE_") and n.isupper() for n in ENV_NAMES)
