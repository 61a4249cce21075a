"""panhuo's web service (FastAPI): a thin door over the same core the CLI uses."""
