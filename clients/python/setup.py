"""Builds the gale-client package (metadata: pyproject.toml).

The one thing pyproject.toml cannot say: the package's Thrift code,
gale_client/gale_thrift, is generated from the repository's
thrift/gale.thrift while the package is built, by the `thrift` compiler
(`thrift --gen py`), and goes into the built package, never into the source
tree. So the wheel (and what pip installs) is complete on its own and works
with any Python 3 that has the `thrift` library.

    THRIFT          the compiler (default: `thrift` on PATH; Debian: thrift-compiler)
    GALE_THRIFT_IDL the IDL (default: ../../thrift/gale.thrift from this file)
"""

import os
import shutil
import subprocess
import tempfile

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def generate(target_dir: str) -> None:
    """Writes gale_thrift/ (Nimbus.py, ttypes.py, constants.py) into target_dir."""
    idl = os.environ.get("GALE_THRIFT_IDL") or os.path.join(HERE, "..", "..", "thrift",
                                                            "gale.thrift")
    if not os.path.isfile(idl):
        raise SystemExit("gale-client: no Thrift IDL at %s; build the package from a checkout "
                         "of the Gale repository or set GALE_THRIFT_IDL" % idl)
    compiler = os.environ.get("THRIFT") or shutil.which("thrift")
    if not compiler:
        raise SystemExit("gale-client: the Thrift compiler `thrift` is not on PATH (Debian: "
                         "apt-get install thrift-compiler) and $THRIFT names none")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.check_call([compiler, "--gen", "py", "-out", tmp, idl])
        out = os.path.join(target_dir, "gale_thrift")
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        for name in ("__init__.py", "Nimbus.py", "ttypes.py", "constants.py"):
            shutil.copyfile(os.path.join(tmp, "gale_thrift", name), os.path.join(out, name))


class BuildPyWithThrift(build_py):
    def run(self) -> None:
        super().run()
        generate(os.path.join(self.build_lib, "gale_client"))

    def get_outputs(self, include_bytecode: bool = True):  # type: ignore[override]
        outputs = list(super().get_outputs(include_bytecode))
        gen = os.path.join(self.build_lib, "gale_client", "gale_thrift")
        outputs += [os.path.join(gen, n) for n in
                    ("__init__.py", "Nimbus.py", "ttypes.py", "constants.py")]
        return outputs


setup(cmdclass={"build_py": BuildPyWithThrift})
