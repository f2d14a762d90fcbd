"""ApplicationSet generators, templating and progressive sync."""
