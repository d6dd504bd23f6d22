"""Listener-rule priorities: derived from each route, so no service's rule moves when others
come, go or are reordered; more specific routes are evaluated first."""

from __future__ import annotations

import pytest

from shipyard.config import ConfigError
from shipyard.config.schema import Service
from shipyard.review import engine
from shipyard.services.routing import (
    BAND_WIDTH,
    MAX_PRIORITY,
    MIN_PRIORITY,
    band,
    derived_priority,
    redirect_priorities,
    rule_priorities,
)
from tests.conftest import run_shipyard

RULE = "aws:lb/listenerRule:ListenerRule"
ECS = {"enabled": True}


def service(name: str, **route) -> Service:
    return Service(name=name, image="nginx:1.27", public=True, **route)


def test_adding_a_service_changes_no_other_priority():
    before = [service("api", host="api.example.com"), service("web", host="shop.example.com")]
    after = [service("admin", host="admin.example.com", path="/*"), *before]
    old, new = rule_priorities(before), rule_priorities(after)
    assert {name: new[name] for name in old} == old


def test_reordering_changes_nothing():
    services = [service("a", path="/a/*"), service("b", path="/b/*"), service("c")]
    assert rule_priorities(services) == rule_priorities(list(reversed(services)))


@pytest.mark.parametrize("specific, general", [
    ({"host": "api.example.com", "path": "/*"}, {"path": "/api/v2/users/*"}),
    ({"host": "api.example.com"}, {"host": "*.example.com"}),
    ({"host": "*.example.com"}, {}),
    ({"path": "/api/v2/*"}, {"path": "/api/*"}),
    ({"path": "/api/*"}, {"path": "/*"}),
    ({"path": "/api"}, {"path": "/api*"}),  # an exact path before a wildcard one of its prefix
    ({"host": "a.example.com", "path": "/admin/*"}, {"host": "a.example.com", "path": "/*"}),
])
def test_more_specific_routes_are_evaluated_first(specific, general):
    assert derived_priority(specific.get("host"), specific.get("path", "/*")) < \
        derived_priority(general.get("host"), general.get("path", "/*"))


def test_derived_priorities_are_in_elbs_range():
    routes = [(host, path) for host in (None, "a.example.com", "*.example.com")
              for path in ("/", "/*", "/" + "x" * 127)]
    assert all(MIN_PRIORITY <= derived_priority(h, p) <= MAX_PRIORITY for h, p in routes)


def test_an_explicit_priority_wins():
    assert rule_priorities([service("api", priority=7)]) == {"api": 7}


def test_routes_whose_hashes_meet_share_no_number_and_the_earlier_keeps_its_own():
    # /s002/* and /s007/* hash to one slot of their band (one chance in 260)
    first, second = service("a", path="/s002/*"), service("b", path="/s007/*")
    assert derived_priority(None, first.path) == derived_priority(None, second.path)
    both = rule_priorities([first, second])
    assert both["a"] == derived_priority(None, first.path) == rule_priorities([first])["a"]
    assert both["b"] != both["a"]
    assert (both["b"] - MIN_PRIORITY) // BAND_WIDTH == (both["a"] - MIN_PRIORITY) // BAND_WIDTH


def test_a_hundred_routes_in_two_bands_all_get_a_number():
    """ELB's quota is 100 rules per ALB; routes like /svc<i>/* share two bands."""
    services = [service(f"svc{i}", path=f"/svc{i}/*") for i in range(100)]
    assert len(set(rule_priorities(services).values())) == 100


def prod_with_admin() -> engine.Plan:
    config = engine.stack_config("prod")
    config["shipyard:services"] = [*config["shipyard:services"], {
        "name": "admin", "image": "nginx:1.27", "host": "admin.shop.example.com", "public": True,
        "runOn": ["ecs"]}]
    return engine.run("prod", config=config)


def test_adding_a_service_to_prod_changes_no_other_rule(stack_plan):
    before = {r.name: r.inputs for r in stack_plan("prod").of_type(RULE)}
    after = {r.name: r.inputs for r in prod_with_admin().of_type(RULE)}
    assert set(after) == set(before) | {"admin-route"}
    assert {name: after[name] for name in before} == before



@pytest.mark.parametrize("services, message", [
    ([{"name": "a", "image": "nginx:1.27", "public": True, "priority": 5},
      {"name": "b", "image": "nginx:1.27", "public": True, "path": "/b/*", "priority": 5}],
     "shipyard:services[1].priority: listener rule priority 5 is also services[0]'s: set priority "
     "(1-50000, lower numbers are evaluated first) to a free number"),
    ([{"name": "a", "image": "nginx:1.27", "public": True},
      {"name": "b", "image": "nginx:1.27", "public": True, "path": "/b/*",
       "priority": derived_priority(None, "/*")}],
     f"shipyard:services[1].priority: listener rule priority {derived_priority(None, '/*')} is "
     "also services[0]'s: set priority (1-50000, lower numbers are evaluated first) to a free number"),
    ([{"name": "a", "image": "nginx:1.27", "priority": 5}],
     "shipyard:services[0].priority: only used by public services on ECS"),
    ([{"name": "a", "image": "nginx:1.27", "public": True, "priority": 50001}],
     "shipyard:services[0].priority: input should be less than or equal to 50000"),
])
def test_priority_problems_are_config_errors(services, message):
    with pytest.raises(ConfigError) as error:
        run_shipyard({"ecs": ECS, "services": services})
    assert error.value.problems == [message]
    assert error.value.registered == ()


def test_a_domains_http_redirect_comes_after_its_hosts_routes_and_before_any_other_band():
    # One rule per domain on the HTTP listener (host only, any path): after every exact-host
    # route (paths start with '/'), before every wildcard-host or any-host one, and never a
    # number a service rule holds.
    services = [service("web", domain="www.example.com"), service("api", path="/api/*"),
                service("shop", domain="shop.example.com", path="/"),
                service("any", host="*.example.com")]
    redirects = redirect_priorities(services)
    assert set(redirects) == {"www.example.com", "shop.example.com"}
    services_priorities = rule_priorities(services).values()
    assert not set(redirects.values()) & set(services_priorities)
    exact_host_last = max(band(s.domain, s.path) for s in services if s.domain)
    for priority in redirects.values():
        assert exact_host_last * BAND_WIDTH < priority <= band("*.example.com", "/") * BAND_WIDTH
    assert redirect_priorities(list(reversed(services))) == redirects
