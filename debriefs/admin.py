"""No debrief is registered in the admin: debriefs, their reports and actions change only on the debrief's page,
where each change is checked and audited (debriefs.models)."""
