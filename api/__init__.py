"""API: REST endpoints and the planner web app."""
