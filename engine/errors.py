"""Domain errors. The web layer maps them to HTTP: Unauthenticated 401, Forbidden 403,
NotFound 404, InvalidTransition and Conflict 409, GuardRejected and InputRequired 422, Throttled
429. Messages carry ids and state names, never client data."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from engine.pathway_keys import GROUP_MEMBERSHIP, REFERRAL

if TYPE_CHECKING:
    from engine.guards import Verdict


class PolkuError(Exception):
    code = "error"

    def as_dict(self) -> dict[str, Any]:
        return {"error": self.code, "message": str(self)}


class NotFound(PolkuError):
    code = "not_found"


class Unauthenticated(PolkuError):
    """No valid session or API token (missing, unknown, expired, logged out, user disabled)."""

    code = "unauthenticated"


class Forbidden(PolkuError):
    """The access policy (:mod:`engine.access`) does not allow this to this user."""

    code = "forbidden"


class CsrfRejected(Forbidden):
    """A state-changing request without this session's CSRF token or from a foreign origin."""

    code = "csrf"


class Throttled(PolkuError):
    """Too many failed logins for this username or from this address; try again later."""

    code = "throttled"


class InvalidTransition(PolkuError):
    """The trigger does not exist from the journey's current state."""

    code = "invalid_transition"

    def __init__(
        self, trigger: str, state: str, allowed: Sequence[str], blocked: Sequence[str] = ()
    ):
        self.trigger, self.state = trigger, state
        self.allowed, self.blocked = list(allowed), list(blocked)
        names = ", ".join(self.allowed) or "none"
        super().__init__(f"{trigger!r} is not possible from {state!r}; allowed now: {names}")

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {
            "trigger": self.trigger,
            "state": self.state,
            "allowed": self.allowed,
            "blocked": self.blocked,
        }


class MovedElsewhere(PolkuError):
    """A journey of a pathway with its own rules of who may move it (a referral, a group
    membership) asked to move through the generic journey route."""

    code = "moved_elsewhere"

    #: pathway (or a transition's ``moved_by``) -> where its journeys are moved
    ROUTES = {
        REFERRAL: "POST /api/referrals/{referral_id}/advance or /cancel",
        GROUP_MEMBERSHIP: "POST /groups/{group_id}/members/{membership_id}/advance",
    }
    #: a transition's ``moved_by`` -> the route that fires it (the referral loop)
    MOVED_BY = {
        "referral": (
            "a follow-on referral: send one with POST /api/clients/{client_id}/referrals "
            "(page /clients/{client_id}/referrals); the partner's and the coach's moves on it "
            "(POST /api/referrals/{referral_id}/advance or /cancel) move the journey"
        ),
    }

    def __init__(self, pathway: str, trigger: str | None = None, moved_by: str | None = None):
        self.pathway, self.trigger, self.moved_by = pathway, trigger, moved_by
        if moved_by is not None:
            where = self.MOVED_BY.get(moved_by, moved_by)
            super().__init__(f"{trigger!r} of a {pathway} journey happens only through {where}")
        else:
            where = self.ROUTES.get(pathway, "its own routes")
            super().__init__(f"a {pathway} journey is moved only through {where}")

    def as_dict(self) -> dict[str, Any]:
        extra: dict[str, Any] = {"pathway": self.pathway}
        if self.moved_by is not None:
            extra |= {"trigger": self.trigger, "moved_by": self.moved_by}
        return super().as_dict() | extra


class GuardRejected(PolkuError):
    """A guard or plugin rule denied the transition; ``verdicts`` holds every rule's answer."""

    code = "guard_rejected"

    def __init__(self, trigger: str, state: str, verdicts: Sequence[Verdict]):
        self.trigger, self.state, self.verdicts = trigger, state, list(verdicts)
        denied = [v for v in self.verdicts if v.allowed is False]
        why = "; ".join(
            f"{v.rule}: {v.text('en')}" + (f" ({v.legal_source})" if v.legal_source else "")
            for v in denied
        )
        super().__init__(f"{trigger!r} from {state!r} was blocked by {why}")

    @property
    def denied(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.allowed is False]

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {
            "trigger": self.trigger,
            "state": self.state,
            "verdicts": [v.as_dict() for v in self.verdicts],
        }


class Conflict(PolkuError):
    """Someone else changed the journey first (optimistic concurrency)."""

    code = "conflict"

    def __init__(self, journey_id: int, expected_version: int | None, actual_version: int | None):
        self.journey_id = journey_id
        self.expected_version, self.actual_version = expected_version, actual_version
        super().__init__(
            f"journey {journey_id} changed meanwhile (expected version {expected_version}, "
            f"now {actual_version}); reload and try again"
        )

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {
            "journey_id": self.journey_id,
            "expected_version": self.expected_version,
            "actual_version": self.actual_version,
        }


class InputRequired(PolkuError):
    """A value the pathway asks for is missing or not one of the allowed ones."""

    code = "input_required"

    def __init__(self, field: str, message: str, allowed: Sequence[str] = ()):
        self.field, self.allowed = field, list(allowed)
        super().__init__(message)

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {"field": self.field, "allowed": self.allowed}


class InvalidInput(InputRequired):
    """An input model failed its rules (:mod:`engine.inputs`); ``errors`` maps each field that
    is wrong to a short message (English, no client data: values are never repeated)."""

    code = "invalid_input"

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        first = next(iter(self.errors), "input")
        super().__init__(first, "; ".join(f"{k}: {v}" for k, v in self.errors.items()))

    def as_dict(self) -> dict[str, Any]:
        return super().as_dict() | {"errors": self.errors}


def log_failure(logger: logging.Logger, exc: BaseException, message: str, *args: object) -> None:
    """Log that a plugin or rule raised, failing closed, without client data.

    The exception's message and arguments may hold client data (``KeyError('Virtanen')``), so
    only its type and the stack frames (file, line, function, source line) are logged.
    """
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    logger.error(
        message + "; raised %s\nTraceback (frames only):\n%s", *args, type(exc).__name__, frames
    )
