"""Textual CSS of lucy-tui, shipped inside the wheel (package data)."""
