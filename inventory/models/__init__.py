from inventory.models.devices import *  # noqa: F403  (for this commit only: the next one splits devices.py by concern)
