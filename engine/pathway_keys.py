"""The names of the pathways the core itself moves (pathways/*.yaml ``key``): defined once, here.

- :data:`CLIENT_JOURNEY`: the client journey (asiakkaan polku); one per client, found by
  :func:`engine.clients.latest_client_journey`.
- :data:`REFERRAL`: a referral handoff (lähete jatkopolulle), moved by :mod:`engine.referrals`.
- :data:`GROUP_MEMBERSHIP`: a client's membership of a group, moved by :mod:`engine.groups`.
"""

from __future__ import annotations

CLIENT_JOURNEY = "client_journey"
REFERRAL = "referral"
GROUP_MEMBERSHIP = "group_membership"
