"""Which model answers a turn, and what a model failure tells the user.

Without an API key (or with BRIDGE_OFFLINE) every turn goes to the offline model: the app's
own (`AgentResponder(offline_model=…)`), else `EchoModel`, which says that it is offline.
With a key, `BRIDGE_MODEL_API=responses` uses the Responses API and `chat_completions` an
OpenAI-compatible `/chat/completions` server (Ollama, vLLM…), always through an explicit model
object, because names with a '/' fail in the default provider (agents-facts.md).
"""

from __future__ import annotations

from agents import (
    MaxTurnsExceeded,
    ModelBehaviorError,
    ModelTimeoutError,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
)
from agents.models.interface import Model
from openai import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncOpenAI,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

from ..errors import TurnFailed
from ..settings import Settings
from .step_model import EchoModel


class ModelCatalog:
    """The models a user may pick in the composer, and the Model object for each."""

    def __init__(
        self,
        settings: Settings,
        *,
        client: AsyncOpenAI | None = None,
        offline: Model | None = None,
    ) -> None:
        self.settings = settings
        self._client = client
        self._offline = offline or EchoModel()

    @property
    def allowed(self) -> tuple[str, ...]:
        """settings.model first, then the BRIDGE_MODELS allow-list."""
        return tuple(dict.fromkeys((self.settings.model, *self.settings.models)))

    @property
    def offline(self) -> bool:
        """Whether turns go to the offline model."""
        return not self.settings.uses_openai

    def name_for(self, requested: str | None) -> str:
        """The model name to use for a composer choice, or TurnFailed if it is not allowed."""
        if requested is None or requested == "":
            return self.settings.model
        if requested not in self.allowed:
            choices = ", ".join(self.allowed)
            raise TurnFailed(
                f"The model “{requested}” is not available here. Pick one of: {choices}.",
                reason="model_not_allowed",
            )
        return requested

    def get(self, requested: str | None = None) -> Model:
        """The Model that answers: the offline one, or the chosen OpenAI model."""
        name = self.name_for(requested)
        if self.offline:
            return self._offline
        if self.settings.model_api == "chat_completions":
            return OpenAIChatCompletionsModel(name, self.client)
        return OpenAIResponsesModel(name, self.client)

    @property
    def client(self) -> AsyncOpenAI:
        """The OpenAI client, made on first use (OPENAI_API_KEY, OPENAI_BASE_URL)."""
        if self._client is None:
            self._client = AsyncOpenAI(
                api_key=self.settings.openai_api_key, base_url=self.settings.openai_base_url
            )
        return self._client


def model_failure(exc: BaseException) -> TurnFailed | None:
    """The TurnFailed a model or provider error stands for, or None if it is not one."""
    match exc:
        case AuthenticationError() | PermissionDeniedError():
            return TurnFailed(
                "The model provider refused the API key. Check OPENAI_API_KEY on the server.",
                reason="model_auth",
            )
        case RateLimitError():
            return TurnFailed(
                "The model provider is rate limiting this server. Wait a moment and try again.",
                allow_retry=True,
                reason="model_rate_limited",
            )
        case APITimeoutError() | ModelTimeoutError():
            return TurnFailed(
                "The model took too long to answer. Try again.",
                allow_retry=True,
                reason="model_timeout",
            )
        case APIConnectionError():
            return TurnFailed(
                "Could not reach the model provider. Check OPENAI_BASE_URL and the network, "
                "then try again.",
                allow_retry=True,
                reason="model_unreachable",
            )
        case NotFoundError():
            return TurnFailed(
                "The model provider does not know this model. Check BRIDGE_MODEL.",
                reason="model_not_found",
            )
        case BadRequestError():
            return TurnFailed(
                f"The model provider rejected the request: {_provider_message(exc)}",
                reason="model_bad_request",
            )
        case APIStatusError() if exc.status_code >= 500:
            return TurnFailed(
                "The model provider had an internal error. Try again in a moment.",
                allow_retry=True,
                reason="model_unavailable",
            )
        case APIStatusError():
            return TurnFailed(
                f"The model provider answered {exc.status_code}: {_provider_message(exc)}",
                reason="model_error",
            )
        case MaxTurnsExceeded():
            return TurnFailed(
                "The assistant took too many steps without finishing. Try a simpler request.",
                allow_retry=True,
                reason="max_turns",
            )
        case ModelBehaviorError():
            return TurnFailed(
                "The model gave an answer the assistant could not use. Try again.",
                allow_retry=True,
                reason="model_behavior",
            )
    return None


def _provider_message(exc: APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return exc.message
