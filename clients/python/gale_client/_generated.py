"""Finds the Thrift code generated from thrift/gale.thrift.

An installed package holds it as gale_client.gale_thrift (generated when the
package was built, see setup.py). Used from a source checkout without
installing (sys.path pointing at clients/python, as scripts/gale_py.py does),
it is the build tree's copy instead: $GALE_PY_GEN (the folder holding
gale_thrift/), else $GALE_BUILD_DIR/clients/python/gen, else
<repo>/build/clients/python/gen (CMake target gale_client_py).
"""

import importlib
import os
import sys
from types import ModuleType
from typing import Tuple

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))


def generated_dir() -> str:
    """Where a source checkout looks for the generated package gale_thrift."""
    if os.environ.get("GALE_PY_GEN"):
        return os.environ["GALE_PY_GEN"]
    build = os.environ.get("GALE_BUILD_DIR") or os.path.join(_REPO, "build")
    return os.path.join(build, "clients", "python", "gen")


def _check_thrift() -> None:
    try:
        importlib.import_module("thrift.Thrift")
    except ImportError as e:
        raise ImportError(
            "gale_client needs the Python `thrift` library (%s): pip install thrift, or on "
            "Debian apt-get install python3-thrift and make the venv with "
            "--system-site-packages" % e) from e


def load() -> Tuple[ModuleType, ModuleType]:
    """(the Nimbus service module, ttypes)."""
    _check_thrift()
    if os.path.isfile(os.path.join(_HERE, "gale_thrift", "Nimbus.py")):
        from .gale_thrift import Nimbus, ttypes  # installed: generated at build time
        return Nimbus, ttypes
    gen = generated_dir()
    if not os.path.isfile(os.path.join(gen, "gale_thrift", "Nimbus.py")):
        raise ImportError(
            "gale_client: no generated Thrift code, neither in the package (install it: pip "
            "install clients/python) nor in %s (build it: ninja -C build gale_client_py, or "
            "point GALE_PY_GEN at the folder holding gale_thrift/)" % gen)
    if gen not in sys.path:
        sys.path.insert(0, gen)
    nimbus = importlib.import_module("gale_thrift.Nimbus")
    ttypes = importlib.import_module("gale_thrift.ttypes")
    return nimbus, ttypes
