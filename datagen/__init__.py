"""SafeRec data toolkit: build personalized-safety conversational recommendation data.

Stages live in sub-packages (``taxonomy``, ``catalogue``, ``graph``, ``tags``, ``llm``,
``synth``, ``splits``, ``evaluate``); the ``datagen`` CLI composes them. Importing this
package has no side effects: no logging setup, no client construction, no environment reads.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("saferec-datagen")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
