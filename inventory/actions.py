"""What a change does to an asset at the rack: one vocabulary of actions, each with what it does to its asset.

Four places must agree about an action, and all four ask here instead of keeping a list of their own:
the blast radius (what the asset takes down while the step is done), the run-time interlock (whether the
asset is still cut once the step is signed, so the other half of a pair must wait), the switch's try-out
(whether the step's own port should go down, or nothing at all) and the runbook's words (the verb, and what
the techs should see afterwards).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db import models


class Action(models.TextChoices):
    UNPLUG = "unplug", "Unplug"
    POWER_OFF = "power_off", "Power off"
    REPLACE = "replace", "Replace"
    MOVE = "move", "Move"
    RECONNECT = "reconnect", "Reconnect"

    @property
    def does(self) -> Effect:
        return EFFECTS[self]


class Tryout(StrEnum):
    """What the switch's try-out, just after the step is signed done, expects to see."""

    TARGET_DOWN = "target_down"  # the step's own port (or a device's cabled ends) down, nothing else
    NOTHING_DOWN = "nothing_down"  # nothing down: the asset is back, and nothing else may have gone


@dataclass(frozen=True)
class Effect:
    """What an action does to its asset."""

    verb: str  # as people say it: "power off"
    on_port: bool  # a window may name a port for it
    on_device: bool  # ... or a device
    down_during: bool  # the asset is down while the step is done (the blast radius counts it)
    down_after: bool  # ... and still down once it is signed done, until something puts it back
    powers_off: bool = False  # a device loses power (rather than being taken out): the blast radius says so

    @property
    def tryout(self) -> Tryout:
        # The try-out watches just after the step: what is down then is what the step left down.
        return Tryout.TARGET_DOWN if self.down_after else Tryout.NOTHING_DOWN

    @property
    def afterwards(self) -> str:
        """What the techs should see once it is done, for the runbook's words."""
        if self.down_after:
            return "It stays down once this is done; nothing else may go down."
        return "It is down while you work and must be back up when you sign; nothing else may go down."


EFFECTS: dict[Action, Effect] = {
    Action.UNPLUG: Effect("unplug", on_port=True, on_device=False, down_during=True, down_after=True),
    Action.POWER_OFF: Effect(
        "power off", on_port=False, on_device=True, down_during=True, down_after=True, powers_off=True
    ),
    # A replacement is signed done when the new part is in, cabled and powered: the step is the whole swap.
    # So the asset is down while it is done and back after it. Counting it as still cut (until its window
    # closed) refused the other half of its pair for no reason, and a try-out that expected it down would
    # call its return a failure.
    Action.REPLACE: Effect("replace", on_port=False, on_device=True, down_during=True, down_after=False),
    # Moved somewhere else: gone from here until a later step reconnects it.
    Action.MOVE: Effect("move", on_port=True, on_device=True, down_during=True, down_after=True),
    # The link is down while the cable is seated, and up once it is.
    Action.RECONNECT: Effect("reconnect", on_port=True, on_device=False, down_during=True, down_after=False),
}


def effect_of(action: str) -> Effect:
    """The effect of an action as a step or a target stores it. A word outside the vocabulary (a checklist
    built outside a window binds its own, such as a label audit's "audit") is taken at its most cautious:
    down during the step and after it."""
    if action in Action.values:
        return Action(action).does
    return Effect(
        (action or "").replace("_", " "), on_port=True, on_device=True, down_during=True, down_after=True
    )


PORT_ACTIONS = frozenset(action for action in Action if action.does.on_port)
DEVICE_ACTIONS = frozenset(action for action in Action if action.does.on_device)
