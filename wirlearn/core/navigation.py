"""The navigation each role sees. Features add their entries in ``register(app)``."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, request, url_for
from flask_login import current_user


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy_gettext string
    roles: frozenset[str]
    order: int = 100


def add_nav_item(app: Flask, endpoint: str, label, roles: tuple[str, ...], order: int = 100) -> None:
    app.extensions.setdefault("wirlearn_nav", []).append(NavItem(endpoint, label, frozenset(roles), order))


def _is_current(item_url: str) -> bool:
    """The item of the page itself and of the pages below it (/verwaltung/reihen/1 under "Reihen")."""
    path = request.path
    return path == item_url or (item_url != "/" and path.startswith(item_url.rstrip("/") + "/"))


def nav_for_current_user() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items = sorted(current_app.extensions.get("wirlearn_nav", []), key=lambda item: item.order)
    result = []
    for item in items:
        if not current_user.has_role(*item.roles):
            continue
        url = url_for(item.endpoint)
        result.append({"url": url, "label": str(item.label), "current": False, "_match": len(url) if _is_current(url) else -1})
    # Only the most specific matching item is marked as the current page.
    best = max(result, key=lambda entry: entry["_match"], default=None)
    if best is not None and best["_match"] >= 0:
        best["current"] = True
    for entry in result:
        del entry["_match"]
    return result


@dataclass(frozen=True)
class SeriesLink:
    endpoint: str
    label: object
    roles: frozenset[str]
    order: int = 100


def add_series_link(app: Flask, endpoint: str, label, roles: tuple[str, ...], order: int = 100) -> None:
    """A button on the series page (admin) that leads to a feature's page for that series;
    the endpoint takes ``series_id``."""
    app.extensions.setdefault("wirlearn_series_links", []).append(SeriesLink(endpoint, label, frozenset(roles), order))


def series_links(series) -> list[dict]:
    links = sorted(current_app.extensions.get("wirlearn_series_links", []), key=lambda link: link.order)
    return [
        {"url": url_for(link.endpoint, series_id=series.id), "label": str(link.label)}
        for link in links
        if current_user.is_authenticated and current_user.has_role(*link.roles)
    ]


def register(app: Flask) -> None:
    app.context_processor(lambda: {"nav_items": nav_for_current_user, "series_links": series_links})
