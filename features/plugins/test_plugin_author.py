"""Plugin author's scenarios (plugin_author.feature): a plugin on a fresh manager, and a plugin
that raises."""

from __future__ import annotations

from collections.abc import Callable

import polku_esimerkkila
import pytest
from pytest_bdd import given, parsers, scenarios, then

from engine import ReferralOption, ReferralTarget, hookimpl
from engine.models import Client
from engine.referral_options import UNAVAILABLE
from engine.runtime import Runtime

scenarios("plugin_author.feature")


class BrokenPlugin:
    @hookimpl
    def polku_referral_targets(self, client: Client) -> list[ReferralTarget]:
        raise LookupError(f"no services for {client.last_name}")


@given("the Esimerkkilä plugin registered on a fresh plugin manager", target_fixture="runtime")
def esimerkkila(runtime_with: Callable[..., Runtime]) -> Runtime:
    return runtime_with(polku_esimerkkila)


@given("a plugin whose referral targets raise an error", target_fixture="runtime")
def broken(runtime_with: Callable[..., Runtime]) -> Runtime:
    return runtime_with(BrokenPlugin())


@then(parsers.parse('municipality {code} is "{name}" in "{county}" and "{area}"'))
def municipality(runtime: Runtime, code: str, name: str, county: str, area: str) -> None:
    described = runtime.municipalities[code]
    assert (described.name["fi"], described.wellbeing_county) == (name, county)
    assert described.employment_area == area


def _broken_name(runtime: Runtime) -> str:
    [plugin] = [p for p in runtime.pm.get_plugins() if isinstance(p, BrokenPlugin)]
    return runtime.pm.get_name(plugin) or ""


@then("the broken plugin's services are shown as unavailable and blocked")
def unavailable(runtime: Runtime, options: dict[str, ReferralOption]) -> None:
    [option] = [o for o in options.values() if o.target.key == UNAVAILABLE]
    assert option.plugin == _broken_name(runtime)
    assert not option.eligible
    assert option.eligibility.denied[0].text("fi").startswith("Sääntöä ei voitu tarkistaa")


@then("the failure is logged without the client's name")
def logged(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    assert f"plugin {_broken_name(runtime)} failed in polku_referral_targets" in caplog.text
    assert "raised LookupError" in caplog.text
    assert "Virtaperä" not in caplog.text
