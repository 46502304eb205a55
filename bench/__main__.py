"""``python -m bench [advance|peers|caseload|http]``: every benchmark, or the ones named."""

import sys

from bench import advance, caseload, http, peers

BENCHES = {
    "advance": advance.main,
    "peers": peers.main,
    "caseload": caseload.main,
    "http": http.main,
}

for name in sys.argv[1:] or list(BENCHES):
    BENCHES[name]()
