"""Who may call which route.

Every view declares its rule with one of the decorators below; ``enforce_access`` runs before
every request and refuses a route that declares none (fail closed). A test walks
``app.url_map`` and fails for any endpoint without a rule, so an unprotected route cannot slip
in unnoticed. Object-level checks (is this *your* certificate?) live in the features' services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, abort, current_app, g, request
from flask_login import current_user

# Endpoints Flask or extensions add themselves and that serve no data.
BUILTIN_PUBLIC_ENDPOINTS = frozenset({"static", "api-docs.openapi_json"})


@dataclass(frozen=True)
class AccessRule:
    public: bool = False
    roles: frozenset[str] = frozenset()  # empty: any signed-in user
    api: bool = False  # bearer token (and, for GET, the browser session)


def _declare(rule: AccessRule) -> Callable:
    def decorate(view: Callable) -> Callable:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return decorate


def public(view: Callable) -> Callable:
    """Anyone, without signing in."""
    return _declare(AccessRule(public=True))(view)


def signed_in(view: Callable) -> Callable:
    """Any signed-in user, whatever the role."""
    return _declare(AccessRule())(view)


def roles_required(*roles: str) -> Callable:
    """A signed-in user holding at least one of ``roles``."""
    return _declare(AccessRule(roles=frozenset(roles)))


def api_roles(*roles: str) -> Callable:
    """A JSON API call by a user holding one of ``roles`` (any user if none are given)."""
    return _declare(AccessRule(roles=frozenset(roles), api=True))


def rule_for(app: Flask, endpoint: str, method: str) -> AccessRule | None:
    """The rule a route declares, for function views and for class-based (MethodView) views."""
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    rule = getattr(view, "access_rule", None)
    view_class = getattr(view, "view_class", None)
    if rule is None and view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        rule = getattr(handler, "access_rule", None) or getattr(view_class, "access_rule", None)
    if rule is None and endpoint in BUILTIN_PUBLIC_ENDPOINTS:
        rule = AccessRule(public=True)
    return rule


def enforce_access():
    """before_request: refuse what the route's rule does not allow."""
    endpoint = request.endpoint
    if endpoint is None:  # 404 or 405: let Flask answer
        return None
    rule = rule_for(current_app, endpoint, request.method)
    if rule is None:
        current_app.logger.error("route %s declares no access rule; refused", endpoint)
        abort(403)
    g.access_rule = rule
    if rule.public:
        return None
    if rule.api:
        from wirlearn.api.auth import authenticate_api_request

        user = authenticate_api_request()
    else:
        user = current_user if current_user.is_authenticated else None
        if user is None:
            return current_app.login_manager.unauthorized()
    if rule.roles and not user.has_role(*rule.roles):
        from wirlearn.audit.services import record_refused_access

        record_refused_access(user, endpoint)
        abort(403)
    return None
