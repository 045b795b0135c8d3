"""Checklists' models (being split by concern; for now all in steps.py)."""

from checklists.models.steps import *  # noqa: F403
