"""``python -m bench [advance|caseload|http]``: every benchmark, or the ones named."""

import sys

from bench import advance, caseload, http

BENCHES = {"advance": advance.main, "caseload": caseload.main, "http": http.main}

for name in sys.argv[1:] or list(BENCHES):
    BENCHES[name]()
