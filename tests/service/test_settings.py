import pytest

from service.settings import VARIABLES, Settings, SettingsError


def test_nothing_set_is_the_embedded_default():
    settings = Settings.from_env({})
    assert settings.embedded and settings.tasks_in_process
    assert settings.sqlalchemy_url.startswith("sqlite:///") and settings.sqlalchemy_url.endswith("var/kheti.sqlite3")
    assert (settings.sms_provider, settings.default_locale, settings.ussd_max_chars, settings.port) == \
        ("console", "hi", 182, 5000)


def test_real_backends_when_urls_are_set():
    settings = Settings.from_env({
        "DATABASE_URL": "postgresql://kheti:s3cret@db:5432/kheti", "REDIS_URL": "redis://redis:6379/0",
        "CELERY_BROKER_URL": "amqp://guest:guest@rabbit//",
    })
    assert not settings.embedded and not settings.tasks_in_process
    assert settings.sqlalchemy_url == "postgresql://kheti:s3cret@db:5432/kheti"


@pytest.mark.parametrize("variable, value, complaint", [
    ("DATABASE_URL", "nonsense", "not a database URL"),
    ("DATABASE_URL", "mysql://root@localhost/kheti", "unsupported database 'mysql'"),
    ("REDIS_URL", "localhost:6379", "not a Redis URL"),
    ("CELERY_BROKER_URL", "kafka://broker", "not a broker URL"),
    ("SMS_PROVIDER", "nexmo", "'nexmo' is not one of console, africastalking, twilio"),
    ("DEFAULT_LOCALE", "fr", "'fr' is not one of en, hi, mr"),
    ("DEFAULT_REGION", "XX", "not a phone region code"),
    ("USSD_MAX_CHARS", "500", "500 is outside 40..182"),
    ("USSD_MAX_CHARS", "lots", "'lots' is not a whole number"),
    ("PORT", "0", "0 is outside 1..65535"),
    ("LOG_LEVEL", "chatty", "is not one of DEBUG"),
    ("PUBLIC_BASE_URL", "sms.example.org", "not an http(s) URL"),
    ("AT_SENDER_ID", "FAR TOO LONG SENDER", "is not a sender id"),
    ("GRIEVANCE_CONTACT", "1800-180-1551, grievance@khetisahayak.in", "at most 20 fit in the consent notice"),
])
def test_a_bad_value_names_its_variable(variable, value, complaint):
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable}: ") and complaint in message
    assert "\n" not in message


@pytest.mark.parametrize("provider, missing", [
    ("africastalking", "AT_USERNAME"),
    ("twilio", "TWILIO_ACCOUNT_SID"),
])
def test_a_provider_needs_its_credentials(provider, missing):
    with pytest.raises(SettingsError, match=f"^{missing}: must be set when SMS_PROVIDER={provider}$"):
        Settings.from_env({"SMS_PROVIDER": provider})


def test_values_are_normalised_and_blank_means_unset():
    settings = Settings.from_env({"SMS_PROVIDER": "Console", "LOG_LEVEL": "debug", "DEFAULT_REGION": "ke",
                                  "REDIS_URL": "  ", "PUBLIC_BASE_URL": "https://sms.example.org/"})
    assert (settings.sms_provider, settings.log_level, settings.default_region) == ("console", "DEBUG", "KE")
    assert settings.redis_url is None
    assert settings.public_base_url == "https://sms.example.org"


def test_described_settings_hide_secrets_and_passwords():
    shown = dict(Settings.from_env({
        "DATABASE_URL": "postgresql://kheti:s3cret@db/kheti", "AT_USERNAME": "sandbox", "AT_API_KEY": "atsk_123",
        "SMS_PROVIDER": "africastalking", "AT_WEBHOOK_TOKEN": "tok",
    }).described())
    assert shown["DATABASE_URL"] == "postgresql://kheti:***@db/kheti"
    assert shown["AT_API_KEY"] == shown["AT_WEBHOOK_TOKEN"] == "(set, hidden)"
    assert shown["AT_USERNAME"] == "sandbox"
    assert "s3cret" not in str(shown) and "atsk_123" not in str(shown)


def test_the_readme_documents_every_variable():
    from pathlib import Path
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    missing = [v.name for v in VARIABLES if f"`{v.name}`" not in readme]
    assert missing == []
