"""Thread titles written by the model: one short, separate call per new thread.

The turn pipeline starts the call alongside the first answer (so it never delays it) and sends
the title as `thread.updated` after the answer; the offline model writes none, and the first
words of the message are used instead (bridge/thread_titles.py).
"""

from __future__ import annotations

from agents import Agent, RunConfig, Runner

from ..responder import Turn
from .models import ModelCatalog

TITLE_INSTRUCTIONS = """\
Write a title for the conversation that starts with the user's message below: at most six
words, in the language of the message, no quotes, no final period. Answer with the title only."""


async def write_title(catalog: ModelCatalog, turn: Turn, *, tracing_disabled: bool) -> str | None:
    """The model's title for the thread `turn` starts, or None with the offline model."""
    if catalog.offline or turn.input is None:
        return None
    text = "\n".join(part.text for part in turn.input.content if part.text.strip())
    if turn.input.quoted_text:
        text = f"> {turn.input.quoted_text}\n{text}"
    if not text.strip():
        return None
    titler = Agent[None](
        name="Title",
        instructions=TITLE_INSTRUCTIONS,
        model=catalog.get(turn.inference_options.model),
    )
    result = await Runner.run(
        titler,
        text,
        max_turns=1,
        run_config=RunConfig(tracing_disabled=tracing_disabled, workflow_name="ChatKit title"),
    )
    output = result.final_output
    return output if isinstance(output, str) else None
