"""How a step ends when it does not succeed: refused by CUCM, or unable to do
what it says."""

from __future__ import annotations

from dataclasses import dataclass

from emulator import CucmError


@dataclass(frozen=True)
class Refusal:
    """CUCM refused the step: what every surface renders from one error."""

    code: str
    message: str
    hint: str
    injected: bool = False

    @classmethod
    def of(cls, error: CucmError) -> Refusal:
        return cls(error.code, error.message, error.hint, error.injected)


class StepFailure(Exception):
    """The step could not do what it says; ``hint`` is what would work."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint
