"""The model with each request a checkpointed step of the durable run it serves.

A finished model response is recorded, so a run resumed after a crash replays it instead of
asking (and paying) the model again; the request that was streaming when the process died runs
again. Streaming stays live: the step consumes the real stream and hands each event on as it
arrives, so the answer still grows in the thread token by token.

Why not pydantic-ai's own ``DBOSModel``: with an event handler it delivers events only inside
the step, so a resumed run would never see the text of the responses it replays, and the answer
it finishes would miss its beginning; without one it streams nothing live. Here live and
replayed responses reach the run's event stream the same way: live as they stream, replayed as
whole parts.

Outside a durable run (a unit test, a one-off drafter) it is the wrapped model, unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelResponse, ModelResponseStreamEvent, PartStartEvent
from pydantic_ai.models import CompletedStreamedResponse, ModelRequestParameters, StreamedResponse
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import RunContext

from bot.runs import in_workflow, step

_END = object()


class CheckpointedModel(WrapperModel):
    """``wrapped`` with its requests as steps of the current durable run."""

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        if not in_workflow():
            return await super().request(messages, model_settings, model_request_parameters)
        return await step(
            "model.request", super().request, messages, model_settings, model_request_parameters
        )

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncIterator[StreamedResponse]:
        if not in_workflow():
            async with super().request_stream(
                messages, model_settings, model_request_parameters, run_context
            ) as streamed:
                yield streamed
            return
        live: asyncio.Queue[Any] = asyncio.Queue()

        async def streamed_step() -> ModelResponse:
            async with self.wrapped.request_stream(
                messages, model_settings, model_request_parameters, run_context
            ) as streamed:
                async for event in streamed:
                    live.put_nowait(event)
            return streamed.get()

        # The step runs beside the consumer, so its events reach the run while it streams.
        recorded = asyncio.ensure_future(step("model.request_stream", streamed_step))
        recorded.add_done_callback(lambda _: live.put_nowait(_END))
        response = _LiveResponse(recorded, live, model_request_parameters)
        try:
            yield response
        finally:
            if not recorded.done():
                recorded.cancel()
                await asyncio.gather(recorded, return_exceptions=True)


class _LiveResponse(CompletedStreamedResponse):
    """The step's events while it streams; a replayed step's response as whole parts."""

    def __init__(
        self,
        recorded: asyncio.Future[ModelResponse],
        live: asyncio.Queue[Any],
        parameters: ModelRequestParameters,
    ) -> None:
        super().__init__(ModelResponse(parts=[]), model_request_parameters=parameters, replay_events=[])
        self._recorded = recorded
        self._live = live

    def __aiter__(self) -> AsyncIterator[ModelResponseStreamEvent]:
        if self._event_iterator is None:
            self._event_iterator = self._events()
        return self._event_iterator

    async def _events(self) -> AsyncIterator[ModelResponseStreamEvent]:
        streamed = False
        while (event := await self._live.get()) is not _END:
            streamed = True
            self._parts_manager.apply_event(event)
            yield event
        self.response = self._recorded.result()  # the step's own error, if it failed
        self.state = self.response.state
        if not streamed:  # replayed from the checkpoint: nothing streamed, show it whole
            self._replay_events = False
            for part in self.response.parts:
                start = self._parts_manager.handle_part(vendor_part_id=None, part=part)
                assert isinstance(start, PartStartEvent)
                yield start
        self._finished = True

    def get(self) -> ModelResponse:
        recorded = self._recorded
        if recorded.done() and not recorded.cancelled() and recorded.exception() is None:
            return recorded.result()  # the checkpoint is the response, live or replayed
        return super().get()
