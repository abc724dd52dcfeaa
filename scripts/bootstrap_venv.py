"""Create .venv with pip, even where the system Python has no ensurepip.

Debian's python3 ships without ensurepip (that is the python3-venv package), so a plain
`python3 -m venv` fails on a machine with only python3 and make. Then: create the
environment without pip and install pip from its wheel on PyPI (run from the wheel
itself, as pip supports), so python3 and make stay the only prerequisites.
"""

import hashlib
import json
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
import venv
from pathlib import Path

INDEX = "https://pypi.org/pypi/pip/json"


def main(target=".venv"):
    target = Path(target)
    try:
        venv.EnvBuilder(with_pip=True).create(target)
        return
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"venv with pip failed ({exc}); installing pip from PyPI instead.", flush=True)
    venv.EnvBuilder(with_pip=False, clear=True).create(target)
    install_pip_from_pypi(target)


def install_pip_from_pypi(target):
    with urllib.request.urlopen(INDEX, timeout=60) as response:
        release = json.load(response)
    wheel = next(f for f in release["urls"] if f["filename"].endswith("-py3-none-any.whl"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / wheel["filename"]
        # Mirrors may answer with a relative address.
        urllib.request.urlretrieve(urllib.parse.urljoin(INDEX, wheel["url"]), path)  # noqa: S310 - URL from PyPI's own index
        if hashlib.sha256(path.read_bytes()).hexdigest() != wheel["digests"]["sha256"]:
            sys.exit("the downloaded pip wheel does not match PyPI's checksum")
        python = target / "bin" / "python"
        subprocess.run([str(python), f"{path}/pip", "install", "--quiet", str(path)], check=True)  # noqa: S603


if __name__ == "__main__":
    main(*sys.argv[1:])
