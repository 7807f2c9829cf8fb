"""open_chat_model: embedded vs remote, API keys, reachability, manifest metadata, and keys kept out of logs."""

from __future__ import annotations

import logging
import socket

import pytest

from salesgen.core.errors import InputError
from salesgen.llm.backends import BACKENDS, Backend, backend_name, open_chat_model
from salesgen.llm.backends.common import Options, open_remote
from salesgen.llm.backends.embedded import EMBEDDED
from salesgen.llm.backends.openai_api import REMOTE
from salesgen.llm.base import GRAMMAR, JSON_SCHEMA, PINNED_SLOTS
from salesgen.llm.models import DEFAULT_MODEL
from salesgen.llm.openai_chat import is_loopback_url

MSGS = [{"role": "user", "content": "Hello."}]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_loopback_detection() -> None:
    assert is_loopback_url("http://127.0.0.1:8080/v1")
    assert is_loopback_url("http://localhost:11434/v1")
    assert is_loopback_url("http://[::1]:8000/v1")
    assert not is_loopback_url("https://api.openai.com/v1")
    assert not is_loopback_url("http://10.0.0.5:8000/v1")


async def test_remote_without_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALESGEN_TEST_KEY", raising=False)
    with pytest.raises(InputError, match="SALESGEN_TEST_KEY"):
        async with open_chat_model(base_url="https://api.example.invalid/v1", api_key_env="SALESGEN_TEST_KEY"):
            pass


async def test_unreachable_server_is_an_input_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    with pytest.raises(InputError, match=f"The model server at {url} is not reachable"):
        async with open_chat_model(base_url=url):
            pass


async def test_bad_url_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not an http"):
        async with open_chat_model(base_url="ftp://127.0.0.1/v1"):
            pass


async def test_unknown_embedded_model_is_an_input_error() -> None:
    with pytest.raises(InputError, match="Unknown model"):
        async with open_chat_model(model="llama-99b"):
            pass


async def test_loopback_server_without_key_works_and_picks_the_listed_model(fault_server, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    srv = fault_server(model="served-model")
    async with open_chat_model(base_url=srv.url, max_concurrency=4) as chat:
        c = await chat.complete(MSGS, max_tokens=100)
        info = chat.info.to_manifest()
    assert c.text and chat.name == "served-model"
    assert srv.recent[-1]["model"] == "served-model"
    assert "id_slot" not in srv.recent[-1]  # not a llama.cpp server: no slot fields
    assert info["kind"] == REMOTE and info["base_url"] == srv.url and info["max_concurrency"] == 4


async def test_wrong_key_is_an_input_error_without_the_key(fault_server, monkeypatch) -> None:
    srv = fault_server(api_key="right-key")
    monkeypatch.setenv("SALESGEN_TEST_KEY", "sk-wrong-SENTINEL")
    with pytest.raises(InputError, match=r"rejected the API key in \$SALESGEN_TEST_KEY") as info:
        async with open_chat_model(base_url=srv.url, api_key_env="SALESGEN_TEST_KEY"):
            pass
    assert "SENTINEL" not in str(info.value)


async def test_key_never_reaches_logs_or_manifest(fault_server, monkeypatch, caplog) -> None:
    key = "sk-test-SENTINEL-1234567890"
    srv = fault_server(api_key=key, script=["429", "ok"], retry_after="0")
    monkeypatch.setenv("SALESGEN_TEST_KEY", key)
    caplog.set_level(logging.DEBUG)
    async with open_chat_model(base_url=srv.url, api_key_env="SALESGEN_TEST_KEY") as chat:
        await chat.complete(MSGS, max_tokens=100)
        manifest = chat.info.to_manifest()
    assert srv.stats["ok"] >= 1 and srv.stats["429"] == 1  # the key worked and a retry was logged
    assert "SENTINEL" not in caplog.text
    assert "SENTINEL" not in repr(manifest) and manifest["api_key_env"] == "SALESGEN_TEST_KEY"


async def test_embedded_tiny_backend_records_model_metadata(tiny_model) -> None:
    async with open_chat_model(model="tiny", n_parallel=2, ctx_per_slot=1024, threads=1) as chat:
        c = await chat.complete(MSGS, max_tokens=8, slot=3)  # slot ids wrap onto the 2 slots
        info = chat.info.to_manifest()
    assert c.usage.completion_tokens > 0
    assert PINNED_SLOTS in chat.abilities and chat.name == "tiny"
    assert info["kind"] == EMBEDDED and info["model_sha256"] == tiny_model.sha256
    assert info["model_path"] == str(tiny_model.path) and info["n_parallel"] == 2
    assert "base_url" not in info  # the port changes every run


async def test_backends_by_name_send_only_what_they_declare(fault_server, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    grammar = 'root ::= "ok"'
    srv = fault_server(model="served-model", slots=3)
    async with open_chat_model(f"llamacpp/{srv.url}") as chat:
        await chat.complete(MSGS, max_tokens=50, slot=4, grammar=grammar, no_copy=True)
        info = chat.info.to_manifest()
    sent = srv.recent[-1]
    assert sent["grammar"] == grammar and sent["id_slot"] == 1 and sent["cache_prompt"] and "dry_multiplier" in sent
    assert info["backend"] == f"llamacpp/{srv.url}" and GRAMMAR in info["abilities"]
    for name in ("vllm/served-model", "openai/served-model"):
        async with open_chat_model(name, base_url=srv.url) as chat:
            await chat.complete(MSGS, max_tokens=50, slot=4, grammar=grammar, no_copy=True)
            assert chat.info.to_manifest()["backend"] == name and GRAMMAR not in chat.abilities
        assert not {"grammar", "id_slot", "cache_prompt", "dry_multiplier"} & set(srv.recent[-1]), name


async def test_a_llamacpp_server_that_does_not_say_its_slots_is_not_pinned(fault_server, monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    srv = fault_server()  # no /props
    async with open_chat_model(f"llamacpp/{srv.url}") as chat:
        await chat.complete(MSGS, max_tokens=50, slot=4, grammar='root ::= "ok"')
    assert PINNED_SLOTS not in chat.abilities and GRAMMAR in chat.abilities
    assert "id_slot" not in srv.recent[-1] and "grammar" in srv.recent[-1]


async def test_a_new_backend_is_a_file_and_a_registry_line(fault_server, monkeypatch) -> None:
    # A throwaway backend: "echo/<model>" opens the fault server as an OpenAI-compatible endpoint of its own kind.
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    srv = fault_server(model="echo-model")

    def open_echo(model: str, opts: Options):
        return open_remote("echo", srv.url, model, opts, frozenset({JSON_SCHEMA}))

    monkeypatch.setitem(BACKENDS, "echo", Backend("echo", "a test backend", open_echo, frozenset({JSON_SCHEMA})))
    async with open_chat_model("echo/echo-model") as chat:
        c = await chat.complete(MSGS, max_tokens=50)
    assert c.text and chat.info.kind == "echo" and chat.info.backend == "echo/echo-model"
    with pytest.raises(InputError, match="Unknown backend 'nope/x'"):
        async with open_chat_model("nope/x"):
            pass


def test_the_older_flags_name_a_backend() -> None:
    assert backend_name() == f"embedded/{DEFAULT_MODEL}"
    assert backend_name(model="tiny") == "embedded/tiny"
    assert backend_name(base_url="http://127.0.0.1:8080/v1", model="m") == "openai/m"
    assert backend_name("vllm/m", base_url="http://127.0.0.1:8000/v1") == "vllm/m"
