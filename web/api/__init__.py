"""The JSON API (``/api``), OpenAPI documented. Shares engine calls with the HTML routes."""
