"""``python -m bench [advance|peers|caseload|scale|http|esf]``: every benchmark, or the ones
named."""

import sys

from bench import advance, caseload, esf, http, peers, scale

BENCHES = {
    "advance": advance.main,
    "peers": peers.main,
    "caseload": caseload.main,
    "scale": scale.main,
    "http": http.main,
    "esf": esf.main,
}

for name in sys.argv[1:] or list(BENCHES):
    BENCHES[name]()
