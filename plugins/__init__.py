"""Built-in plugins: national rules (:mod:`plugins.national`) and one module per region of the
seed municipalities (:mod:`plugins.etela_karjala`, :mod:`plugins.lappi`,
:mod:`plugins.pohjois_pohjanmaa`, :mod:`plugins.etela_savo`, :mod:`plugins.keski_pohjanmaa`).

May import: the plugin-facing API exported by ``engine`` (``from engine import ...``) and the
shared helpers in :mod:`plugins._common`; never ``web`` or engine internals.

``plugins/example_plugin/`` is not part of this package: it is a separate installable package
for plugin authors (a fictional municipality), discovered through its entry point.

Every service provider and every contact detail here is fictional (``example.org`` addresses,
``+358 00`` numbers, which no Finnish number uses).
"""
