"""Which values count as literal secrets (the located errors are in cases/invalid/literal-secrets.yaml)."""

import pytest

from orc_olive.secrecy import KNOWN_TOKENS, is_credential_key, redact, secret_problem

SAMPLES = {
    "a Hugging Face token": "hf_" + "a1B2" * 9,
    "a GitHub token": "ghp_" + "x" * 36,
    "an OpenAI API key": "sk-proj-" + "Ab3" * 10,
    "an AWS access key id": "AKIA" + "ABCDEFGHIJ234567",
    "an Azure storage account key": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=" + "Q" * 40 + "==",
    "a shared access signature": "https://a.blob.core.windows.net/c?sv=2022&sig=" + "abcDEF123%2B" * 3,
    "a JSON web token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghij",
    "a private key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...",
}


def test_every_known_token_format_has_a_sample():
    assert {what for what, _, _ in KNOWN_TOKENS} == set(SAMPLES)


@pytest.mark.parametrize("what", sorted(SAMPLES))
def test_known_token_formats_are_found_under_any_key(what):
    assert secret_problem("description", SAMPLES[what])[0] == what
    assert secret_problem("description", "${env:" + what.upper().replace(" ", "_") + "}") is None


@pytest.mark.parametrize(
    "key, value, secret",
    [
        ("token", "0123456789abcdef", True),
        ("WANDB_API_KEY", "0f3e9c2b7a1d4e5f", True),
        ("clientSecret", "q~8Q~abcdefgh.ijk", True),
        ("password", "hunter2hunter2", True),
        ("token", "${env:HF_TOKEN}", False),
        ("pad_token", "<|endoftext|>", False),
        ("eos_token", "</s>", False),
        ("max_new_tokens", "12345678", False),
        ("password_file", "/run/secrets/db-password", False),
        ("secret_name", "my-keyvault-secret", False),
        ("token", "short", False),
        ("api_key", "use the key from the vault", False),
    ],
)
def test_credential_fields_need_a_token_like_literal(key, value, secret):
    assert (secret_problem(key, value) is not None) is secret


def test_credential_key_words_and_redaction():
    assert is_credential_key("AZURE_CLIENT_SECRET") and is_credential_key("accessKey") and not is_credential_key("tokenizer")
    assert redact("hf_abcdefghijklmnop") == "hf_...(19 characters)" and redact("abc") == "***"
