"""The model of a claim: a :class:`Theorem` with hypotheses, checks and instances.

A theorem module in ``theorems/`` builds one :class:`Theorem`, attaches checks with the
:meth:`Theorem.check` decorator, declares instances (each with the outcome its author expects)
and negative controls (planted false claims whose expected outcome is ``refuted`` or
``not-applicable``), and calls :func:`verify.register`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from verify.core.status import CheckKind, Status

if TYPE_CHECKING:
    from verify.core.context import Context
    from verify.core.result import Result

CheckFn = Callable[["Instance", "Context"], "Result"]


@dataclass(frozen=True)
class Source:
    """Where a claim comes from. ``theorem`` is the number when known, else ``None``."""

    paper: str
    arxiv: str | None = None
    theorem: str | None = None
    note: str = ""

    def __str__(self) -> str:
        parts = [self.paper]
        if self.arxiv:
            parts.append(f"arXiv {self.arxiv}")
        if self.theorem:
            parts.append(self.theorem)
        return ", ".join(parts)


@dataclass(frozen=True)
class Hypothesis:
    """A named assumption of the theorem (checked by the checks that name it)."""

    name: str
    statement: str


@dataclass(frozen=True)
class Check:
    """One way of testing the claim on an instance."""

    name: str
    kind: CheckKind
    fn: CheckFn
    description: str = ""
    #: names of the theorem's hypotheses this check tests (the others are shown as *assumed*)
    tests: tuple[str, ...] = ()
    #: reason codes this check can give on ``refuted`` / ``not-applicable``
    reasons: tuple[str, ...] = ()


@dataclass
class Instance:
    """A concrete setting of the theorem and the outcomes its author expects.

    ``expect`` maps check names to the expected status; exactly those checks run on the
    instance. ``control=True`` marks a negative control: a planted false claim whose checks must
    come out ``refuted`` or ``not-applicable``. ``profiles`` limits where the instance runs.
    """

    id: str
    params: dict[str, Any]
    expect: dict[str, Status]
    description: str = ""
    control: bool = False
    profiles: frozenset[str] = frozenset({"quick", "standard", "full"})
    #: for a negative control: check name -> the reason code its check must give
    reasons: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.expect = {k: Status.parse(v) for k, v in self.expect.items()}
        unknown = sorted(set(self.reasons) - set(self.expect))
        if unknown:
            raise ValueError(f"instance {self.id!r}: reasons for checks it does not expect: "
                             f"{unknown}")
        if self.control:
            bad = {
                k: v
                for k, v in self.expect.items()
                if v not in (Status.REFUTED, Status.NOT_APPLICABLE)
            }
            if bad:
                raise ValueError(
                    f"negative control {self.id!r} must expect refuted or not-applicable, "
                    f"got {', '.join(f'{k}={v}' for k, v in bad.items())}"
                )

    def __getitem__(self, key: str) -> Any:
        return self.params[key]


@dataclass
class Theorem:
    """A claim from a paper, with its hypotheses, checks and instances."""

    id: str
    title: str
    source: Source
    statement: str
    latex: str = ""
    hypotheses: tuple[Hypothesis, ...] = ()
    checks: dict[str, Check] = field(default_factory=dict)
    instances: list[Instance] = field(default_factory=list)
    module: str = ""  # where it was defined, for reports and pytest locations
    # instances built from ``--set KEY=VALUE`` options (e.g. a user's own bound); see
    # :meth:`with_options`
    option_instances: Callable[[Mapping[str, str]], list[Instance]] | None = None
    #: the ``--set KEY=VALUE`` keys this theorem reads (key -> description); the CLI refuses a
    #: key that no selected theorem declares
    options: dict[str, str] = field(default_factory=dict)

    def with_options(self, options: Mapping[str, str] | None) -> None:
        """Add the instances that ``options`` ask for (a user's claim, expected as stated)."""
        if not options or self.option_instances is None:
            return
        for inst in self.option_instances(options):
            self.instances = [i for i in self.instances if i.id != inst.id]
            self._add(inst)
        self.validate()

    def check(
        self,
        name: str,
        kind: CheckKind | str,
        description: str = "",
        *,
        tests: tuple[str, ...] = (),
        reasons: tuple[str, ...] = (),
    ) -> Callable[[CheckFn], CheckFn]:
        """Decorator: register ``fn(instance, ctx) -> Result`` as the check ``name``.

        ``tests`` names the hypotheses (of ``self.hypotheses``) the check tests; ``reasons``
        the reason codes it can give when it refutes or finds a hypothesis failing.
        """

        def decorate(fn: CheckFn) -> CheckFn:
            if name in self.checks:
                raise ValueError(f"theorem {self.id!r} already has a check named {name!r}")
            known = {h.name for h in self.hypotheses}
            unknown = sorted(set(tests) - known)
            if unknown:
                raise ValueError(f"theorem {self.id!r}, check {name!r} tests unknown "
                                 f"hypotheses {unknown}; known: {sorted(known)}")
            doc = description or (fn.__doc__ or "").strip().split("\n")[0]
            self.checks[name] = Check(name, CheckKind(kind), fn, doc, tuple(tests),
                                      tuple(reasons))
            return fn

        return decorate

    def instance(
        self,
        id: str,
        expect: Mapping[str, Status | str],
        description: str = "",
        profiles: tuple[str, ...] | None = None,
        **params: Any,
    ) -> Instance:
        """Declare an instance the claim is tested on."""
        inst = Instance(id, params, dict(expect), description, False, _profiles(profiles))
        return self._add(inst)

    def control(
        self,
        id: str,
        expect: Mapping[str, Status | str],
        description: str,
        profiles: tuple[str, ...] | None = None,
        reasons: Mapping[str, str] | None = None,
        **params: Any,
    ) -> Instance:
        """Declare a negative control: a planted false claim its checks must refute.

        ``reasons`` maps a check name to the reason code it must give (see
        :attr:`verify.core.result.Result.reason`).
        """
        return self._add(Instance(id, params, dict(expect), description, True,
                                  _profiles(profiles), dict(reasons or {})))

    def _add(self, inst: Instance) -> Instance:
        if any(i.id == inst.id for i in self.instances):
            raise ValueError(f"theorem {self.id!r} already has an instance named {inst.id!r}")
        self.instances.append(inst)
        return inst

    def hypothesis_coverage(self) -> dict[str, list[str]]:
        """Hypothesis name -> the checks that test it (an empty list: the hypothesis is
        *assumed*, not checked)."""
        return {h.name: [c.name for c in self.checks.values() if h.name in c.tests]
                for h in self.hypotheses}

    def validate(self) -> None:
        """Raise ValueError if an instance expects a check the theorem does not have."""
        for inst in self.instances:
            unknown = sorted(set(inst.expect) - set(self.checks))
            if unknown:
                raise ValueError(
                    f"theorem {self.id!r}, instance {inst.id!r}: unknown checks {unknown}; "
                    f"known: {sorted(self.checks)}"
                )

    def cases(self, profile: str | None = None) -> list[tuple[Instance, Check, Status]]:
        """Every (instance, check, expected status) that runs under ``profile``."""
        out = []
        for inst in self.instances:
            if profile is not None and profile not in inst.profiles:
                continue
            for name, expected in inst.expect.items():
                out.append((inst, self.checks[name], expected))
        return out

    def describe(self) -> dict[str, Any]:
        cover = self.hypothesis_coverage()
        return {
            "id": self.id,
            "title": self.title,
            "source": {
                "paper": self.source.paper,
                "arxiv": self.source.arxiv,
                "theorem": self.source.theorem,
                "note": self.source.note,
            },
            "statement": self.statement,
            "latex": self.latex,
            "hypotheses": [
                {"name": h.name, "statement": h.statement,
                 "checked_by": cover[h.name], "assumed": not cover[h.name]}
                for h in self.hypotheses
            ],
            "checks": [
                {"name": c.name, "kind": c.kind.value, "description": c.description,
                 "tests": list(c.tests), "reasons": list(c.reasons)}
                for c in self.checks.values()
            ],
            "module": self.module,
        }


def _profiles(profiles: tuple[str, ...] | None) -> frozenset[str]:
    if profiles is None:
        return frozenset({"quick", "standard", "full"})
    from verify.core.profiles import PROFILES

    unknown = set(profiles) - set(PROFILES)
    if unknown:
        raise ValueError(f"unknown profiles {sorted(unknown)}")
    return frozenset(profiles)
