"""Dispatch: one prioritised, booked repair ticket per real problem."""
