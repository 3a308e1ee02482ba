"""detach: remove every hook from the target and stop its agent."""

from __future__ import annotations

from .descriptor import LOCAL, Command

COMMAND = Command(
    "detach",
    "remove every hook from the target and stop its agent",
    (),
    lambda ns: {},
    examples=("detach",),
    where=LOCAL,  # never attaches: no agent means nothing to detach
    ends_session=True,
    short_form=False,  # %flight detach is also the notebook verb that forgets the session
    record_kinds=("message",),
    changes=lambda request: "stops the agent and removes every hook in the target, other clients' too",
    run=lambda parsed, session: session.detach(),
)
