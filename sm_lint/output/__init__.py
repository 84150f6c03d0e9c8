"""Formatters: turn models and findings into text, JSON and other report formats."""
