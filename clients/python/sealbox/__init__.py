"""Sealbox for Python: ``sealbox.client`` (handlers) and ``sealbox.pytest_plugin`` (test suites).

``from sealbox import SealboxClient`` is ``from sealbox.client import SealboxClient``; importing the
package never imports pytest.
"""

from .client import *  # noqa: F401,F403
from .client import __all__ as _client_all

__version__ = "0.1.0"
__all__ = list(_client_all) + ["__version__"]
