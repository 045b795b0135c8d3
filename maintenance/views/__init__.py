"""Maintenance's pages: the windows (windows), the approver's queue and board and the tech's day (board), and
the runbook prints (prints); shared holds what they all ask of a window."""
