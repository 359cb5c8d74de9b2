"""``python -m demo_rp``: the identity provider and the demo ministry sites, in one go.

What the README's first command (``python3 dev.py demo``) runs: it writes the AMF site's SAML
metadata where the provider's demo registrations read it, then starts four processes under
honcho — the provider (``idp demo start``: migrations, demo data, mail capture; it prints every
registered site's address), IQEA (``python -m demo_rp.iqea``, OpenID Connect, enterprises), the
AMF (``python -m demo_rp.amf``, SAML) and the pesticide certificate application
(``python -m demo_rp.pesticides``, OpenID Connect, citizens) — with their output interleaved and
prefixed. Ctrl-C stops them all.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from honcho.manager import Manager
from honcho.printer import Printer

from demo_rp.amf.sp import write_metadata

ROOT = Path(__file__).resolve().parents[1]
REGISTRATIONS = ROOT / "demo_rp" / "registrations"
DEMO_CONFIG = ROOT / "config" / "demo.toml"


def main() -> int:
    os.chdir(ROOT)
    write_metadata(REGISTRATIONS / "amf-metadata.xml")
    env = {**os.environ, "IDP_CONFIG_FILE": str(DEMO_CONFIG), "PYTHONUNBUFFERED": "1"}
    python = sys.executable
    idp = str(Path(python).with_name("idp"))
    manager = Manager(Printer(sys.stdout))
    manager.add_process("idp", f"{idp} demo start", env=env)
    manager.add_process("iqea", f"{python} -m demo_rp.iqea", env=env)
    manager.add_process("amf", f"{python} -m demo_rp.amf", env=env)
    manager.add_process("pesticides", f"{python} -m demo_rp.pesticides", env=env)
    manager.loop()
    return int(manager.returncode or 0)


if __name__ == "__main__":
    raise SystemExit(main())
