"""The seed municipalities of DOMAIN.md carry their official codes (kuntanumero, Statistics
Finland's municipality classification). A wrong code would put a client in the wrong place's
rules, so they are pinned here, independently of the plugins that define them."""

from __future__ import annotations

from engine.plugins import BUILTIN_PLUGINS, build_plugin_manager

KUNTANUMEROT = {
    "Parikkala": "580", "Ruokolahti": "700", "Rautjärvi": "689",
    "Kemijärvi": "320", "Posio": "614", "Kittilä": "261",
    "Muhos": "494", "Pudasjärvi": "615", "Utajärvi": "889", "Raahe": "678", "Ylivieska": "977",
    "Mikkeli": "491", "Kangasniemi": "213", "Mäntyharju": "507", "Juva": "178", "Puumala": "623",
    "Kaustinen": "236", "Halsua": "074", "Lestijärvi": "421", "Toholampi": "849", "Veteli": "924",
    "Perho": "584",
}  # fmt: skip


def test_seed_municipality_codes() -> None:
    pm = build_plugin_manager(only=",".join(BUILTIN_PLUGINS))  # no installed plugin
    found = {
        m.name["fi"]: m.code
        for contributed in pm.hook.polku_municipalities()
        for m in contributed or ()
    }
    assert {name: found.get(name) for name in KUNTANUMEROT} == KUNTANUMEROT
