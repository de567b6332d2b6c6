"""Textual CSS of lucy-tui, shipped inside the wheel as lucy_tui.styles."""
