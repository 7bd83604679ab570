"""The accounts journeys' throttles (sign-in, bill checks, password resets, resent activations)."""

from __future__ import annotations

import datetime as dt

from portal.web.throttle import Throttle

_15_MINUTES = dt.timedelta(minutes=15)
_HOUR = dt.timedelta(hours=1)

SIGN_IN_PER_ACCOUNT = Throttle("signin:user", 5, _15_MINUTES)
SIGN_IN_PER_IP = Throttle("signin:ip", 30, _15_MINUTES, per_address=True)
BILL_CHECK_PER_ACCOUNT = Throttle("billcheck:account", 5, _HOUR)
BILL_CHECK_PER_IP = Throttle("billcheck:ip", 20, _HOUR, per_address=True)
RESET_PER_IP = Throttle("reset:ip", 10, _HOUR, per_address=True)
RESET_PER_USER = Throttle("reset:user", 3, _HOUR)
RESEND_PER_USER = Throttle("resend:user", 3, _HOUR)
