"""The planner web app: server-rendered pages (Jinja2) with SVG charts drawn on the server."""
