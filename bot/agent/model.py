"""Build the pydantic-ai model for the configured LLM endpoint.

``openai`` means the chat-completions protocol at any base URL (OpenAI itself, Azure-style
proxies, Ollama, vLLM, llama.cpp, OpenRouter, the simulator); ``anthropic`` means the Messages API.
"""

from __future__ import annotations

from typing import Literal

import httpx2
from pydantic_ai.models import Model
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.profiles import ModelProfile, merge_profile
from pydantic_ai.profiles.openai import OpenAIJsonSchemaTransformer, OpenAIModelProfile, openai_model_profile
from pydantic_ai.providers.openai import OpenAIProvider

Provider = Literal["openai", "anthropic"]

_OPENAI_HOST = "api.openai.com"
# Local servers often need no key, but the SDKs insist on one; this never matches a real key.
_NO_KEY = "api-key-not-set"


def build_model(
    *,
    provider: Provider,
    base_url: str,
    api_key: str | None,
    model: str,
    http_client: httpx2.AsyncClient,
) -> Model:
    """A pydantic-ai model talking to `base_url` through `http_client` (which carries the timeouts)."""
    if provider == "anthropic":
        # Imported here: the Anthropic SDK adds over a second to every start-up that does not use it.
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        return AnthropicModel(
            model,
            provider=AnthropicProvider(
                api_key=api_key or _NO_KEY, base_url=base_url, http_client=http_client
            ),
        )
    if _OPENAI_HOST in base_url:
        return OpenAIChatModel(
            model, provider=OpenAIProvider(base_url=base_url, api_key=api_key, http_client=http_client)
        )
    # Other servers only share the common subset of the protocol (no strict tools, no OpenAI-only fields).
    compatible = _CompatibleProvider(base_url=base_url, api_key=api_key or _NO_KEY, http_client=http_client)
    return OpenAIChatModel(model, provider=compatible)


class _CompatibleProvider(OpenAIProvider):
    """The chat-completions protocol at a server that is not OpenAI's: the model family's profile
    (by name), with the plain JSON-schema transformer and none of OpenAI's own request fields.
    (pydantic-ai-slim 2.62, pinned with pydantic-evals, has no ``OpenAICompatibleProvider`` yet.)"""

    @property
    def name(self) -> str:
        return "openai-compatible"

    @staticmethod
    def model_profile(model_name: str) -> ModelProfile | None:
        plain = OpenAIModelProfile(json_schema_transformer=OpenAIJsonSchemaTransformer)
        return merge_profile(openai_model_profile(model_name), plain)
