"""relverify: check, by computer, approximation theorems for relation functions and attention.

Public API (everything a theorem module needs)::

    from verify import Theorem, Source, Hypothesis, Result, Status, CheckKind, register

The user's own claims (docs/api.md; loaded on first use)::

    from verify import relation, kernel, check, check_bound, certify_model, ClaimReport
"""

import os as _os

# OpenMP threads that busy-wait between torch ops slow a run 10-100x when other processes share
# the cores (measured on 2 cores: numbers unchanged, time not); passive waits cost nothing when
# the machine is quiet. Takes effect only if torch is imported after verify; a user's own
# setting wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from verify.core.context import Context  # noqa: E402
from verify.core.profiles import PROFILES, Profile, get_profile
from verify.core.properties import Counterexample, run_property
from verify.core.registry import ENTRY_POINT_GROUP, all_theorems, get_theorem, register
from verify.core.result import Figure, Result
from verify.core.status import CheckKind, Status, Strength
from verify.core.theorem import Check, Hypothesis, Instance, Source, Theorem

__version__ = "0.1.0"

#: names of :mod:`verify.api`, imported lazily (it pulls in torch and the trainers)
_API = ("ClaimReport", "certify_model", "check", "check_bound", "kernel", "relation")


def __getattr__(name: str):
    if name in _API:
        if name == "certify_model":  # its own module: it imports verify.api, not the reverse
            from verify.api_certify import certify_model

            return certify_model
        from verify import api

        return getattr(api, name)
    raise AttributeError(f"module 'verify' has no attribute {name!r}")


__all__ = [
    *_API,
    "ENTRY_POINT_GROUP",
    "PROFILES",
    "Check",
    "CheckKind",
    "Context",
    "Counterexample",
    "Figure",
    "Hypothesis",
    "Instance",
    "Profile",
    "Result",
    "Source",
    "Status",
    "Strength",
    "Theorem",
    "all_theorems",
    "get_profile",
    "get_theorem",
    "register",
    "run_property",
]
