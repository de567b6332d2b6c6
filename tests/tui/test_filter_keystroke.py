"""One keystroke of the client list's filter is one screen update (issue 14): the list is
filtered within the keystroke, and the status line is repainted, never laid out."""

from __future__ import annotations

from textual.widgets import Input, Static

from .conftest import SIZE, settle, wait_loaded


async def test_the_list_is_filtered_within_the_keystroke(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        bar = screen.query_one("#filter", Input)
        bar.value = "bakkerij"
        # no message round trip: filtered as the value changed, before any repaint
        assert screen.view.filter.text == "bakkerij"
        assert 0 < len(screen.view) < len(screen.view.rows)
        bar.value = ""
        assert screen.view.filter.text == "" and len(screen.view) == len(screen.view.rows)


async def test_typing_in_the_filter_never_lays_out_the_status_line(make_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        status = screen.query_one("#status-line", Static)
        layouts: list[bool] = []
        refresh = status.refresh

        def watched(*regions, **kwargs):  # type: ignore[no-untyped-def]
            layouts.append(bool(kwargs.get("layout")))
            return refresh(*regions, **kwargs)

        monkeypatch.setattr(status, "refresh", watched)
        await pilot.press("slash")
        await pilot.press(*"bak")
        await settle(pilot)
        assert "filter: bak" in str(status.render())
        assert layouts and not any(layouts)
        count = len(layouts)
        screen._update_status()  # the same text again: not even a repaint
        assert len(layouts) == count


async def test_the_kept_ansi_theme_follows_the_theme(make_app) -> None:  # type: ignore[no-untyped-def]
    """LucyApp keeps Textual's ansi_theme (read for every line drawn) per theme."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.ansi_theme is app.ansi_theme_dark
        app.theme = "textual-light"
        await pilot.pause()
        assert app.ansi_theme is app.ansi_theme_light
        app.theme = "nord"
        await pilot.pause()
        assert app.ansi_theme is app.ansi_theme_dark


async def test_typing_in_the_filter_lays_out_the_screen_only_when_the_list_size_changes(  # type: ignore[no-untyped-def]
    make_app, monkeypatch
) -> None:
    """The bar's own size never changes as one types: no layout for it (a layout repaints
    the whole screen and the list's scrollbar); the list's height in rows still does."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await wait_loaded(pilot)
        bar = screen.query_one("#filter", Input)
        laid_out: list[bool] = []
        refresh = bar.refresh

        def watched(*regions, **kwargs):  # type: ignore[no-untyped-def]
            laid_out.append(bool(kwargs.get("layout")))
            return refresh(*regions, **kwargs)

        monkeypatch.setattr(bar, "refresh", watched)
        await pilot.press("slash", *"bakkerij", "backspace")
        await settle(pilot)
        assert bar.value == "bakkeri" and laid_out and not any(laid_out)
        long = "x" * 300  # longer than the bar: it still scrolls to the cursor
        bar.value = long
        bar.cursor_position = len(long)
        await settle(pilot)
        assert bar.virtual_size.width > bar.size.width
        assert bar.scroll_offset.x > 0
