"""``python -m bench [advance|caseload|esf]``: every benchmark, or the ones named."""

import sys

from bench import advance, caseload, esf

BENCHES = {"advance": advance.main, "caseload": caseload.main, "esf": esf.main}

for name in sys.argv[1:] or list(BENCHES):
    BENCHES[name]()
