"""cucm-lab's model of a CUCM cluster: no HTTP, SOAP, SSH or HTML in here."""

from emulator.errors import CucmError
from emulator.lab import Lab, LabConfig

__all__ = ["CucmError", "Lab", "LabConfig"]
