"""``python -m bench [advance|caseload]``: every benchmark, or the ones named."""

import sys

from bench import advance, caseload

BENCHES = {"advance": advance.main, "caseload": caseload.main}

for name in sys.argv[1:] or list(BENCHES):
    BENCHES[name]()
