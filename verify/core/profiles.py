"""Run profiles: how hard each check tries.

``quick`` is for CI (seconds per theorem, derandomized hypothesis), ``standard`` is the default
(minutes), ``full`` is exhaustive (GPU welcome). Checks read sizes with :meth:`Profile.pick`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Profile:
    name: str
    max_examples: int  # hypothesis examples per property check
    derandomize: bool  # hypothesis derandomized; otherwise seeded from the run seed
    certify: bool  # epsilon claims need a certificate to be `confirmed`
    time_scale: float  # multiplies time budgets
    #: wall-clock limit of one check in seconds (0 = none); past it the check ends as ``error``.
    #: Generous: the slowest standard-profile check takes about a minute (reference report).
    check_timeout_s: float = 1800.0

    def pick(self, quick: T, standard: T, full: T | None = None) -> T:
        """Return the value for this profile (``full`` defaults to ``standard``)."""
        if self.name == "quick":
            return quick
        if self.name == "full" and full is not None:
            return full
        return standard

    def hypothesis_settings(self, seed: int):  # -> hypothesis.settings
        from hypothesis import HealthCheck, Phase, settings

        return settings(
            max_examples=self.max_examples,
            derandomize=self.derandomize,
            deadline=None,
            database=None,  # results depend on the seed, never on a local database
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
            print_blob=False,
        )


PROFILES: dict[str, Profile] = {
    "quick": Profile("quick", max_examples=30, derandomize=True, certify=False, time_scale=0.25,
                     check_timeout_s=600.0),
    "standard": Profile(
        "standard", max_examples=200, derandomize=False, certify=True, time_scale=1.0,
        check_timeout_s=1800.0,
    ),
    "full": Profile("full", max_examples=2000, derandomize=False, certify=True, time_scale=4.0,
                    check_timeout_s=7200.0),
}


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}; expected one of: {', '.join(PROFILES)}"
        ) from None
