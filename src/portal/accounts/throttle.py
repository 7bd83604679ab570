"""The accounts journeys' throttles (sign-in, registration, password resets, resent activations)."""

from __future__ import annotations

import datetime as dt

from portal.web.throttle import Throttle

_15_MINUTES = dt.timedelta(minutes=15)
_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)  # the longest window: housekeeping keeps one day of attempts (purge_attempts)

# Failed sign-ins. Per account from one address (`from_address`) the limit is tight, and one guesser can
# lock out only their own address: the owner still signs in from theirs. Per account from every address
# it is looser, to stop guesses spread over many addresses: above the 20 an hour that one address can make
# at 5 every 15 minutes, so that no single address keeps the owner out by pacing itself.
SIGN_IN_PER_ACCOUNT_AND_IP = Throttle("signin:user-ip", 5, _15_MINUTES)
SIGN_IN_PER_ACCOUNT = Throttle("signin:user", 25, _HOUR)
SIGN_IN_PER_IP = Throttle("signin:ip", 30, _15_MINUTES, per_address=True)
# Failed bill checks (registration, "Add an account"): alike, per account number.
BILL_CHECK_PER_ACCOUNT_AND_IP = Throttle("billcheck:account-ip", 5, _HOUR)
BILL_CHECK_PER_ACCOUNT = Throttle("billcheck:account", 20, _HOUR)
BILL_CHECK_PER_IP = Throttle("billcheck:ip", 20, _HOUR, per_address=True)
RESET_PER_IP = Throttle("reset:ip", 10, _HOUR, per_address=True)
RESET_PER_USER = Throttle("reset:user", 3, _HOUR)
RESEND_PER_USER = Throttle("resend:user", 3, _HOUR)

# Registration, per client address: drafts started and registrations completed (each sends an email), and
# usernames answered "already taken" (each tells that a username exists).
REGISTRATION_START_PER_IP = Throttle("register:start:ip", 20, _HOUR, per_address=True)
REGISTRATION_PER_IP = Throttle("register:done:ip", 10, _HOUR, per_address=True)
USERNAME_TAKEN_PER_IP = Throttle("register:username:ip", 20, _HOUR, per_address=True)
# The emails that registration sends to one address (activation, "already registered", every resend),
# whichever draft, user or client asks: one registration and its three resends fit in an hour.
REGISTRATION_EMAILS_PER_HOUR = Throttle("register:emails:hour", 4, _HOUR)
REGISTRATION_EMAILS_PER_DAY = Throttle("register:emails:day", 10, _DAY)
