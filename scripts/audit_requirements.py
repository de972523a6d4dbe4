"""pip-audit over the pinned requirements, for `make test` (scripts/security-scan.sh).

Fails (exit 1) when a pinned package has a known vulnerability not accepted in
requirements/audit-ignore.txt (one advisory id a line, with a reason). The advisory
services (PyPI's JSON API, or OSV) need the internet: when no package could be looked
up, it says so and exits 0, since a missing network is not a finding.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ignored = [
        line.split("#", 1)[0].strip()
        for line in (ROOT / "requirements" / "audit-ignore.txt").read_text().splitlines()
        if line.split("#", 1)[0].strip()
    ]
    command = [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--no-deps", "--disable-pip"]
    for name in ("base.txt", "dev.txt"):
        command += ["-r", str(ROOT / "requirements" / name)]
    command += ["-f", "json"]
    for advisory in ignored:
        command += ["--ignore-vuln", advisory]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        tail = "\n".join(result.stderr.strip().splitlines()[-3:])
        print(f"pip-audit: the advisory service could not be reached; NOT audited (not a failure).\n{tail}")
        return 0
    dependencies = report.get("dependencies", [])
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    if dependencies and not audited:
        print(f"pip-audit: none of {len(dependencies)} pins could be looked up (no access to the advisory service);")
        print("          requirements NOT audited (not a failure). Run `make security` where PyPI's API is reachable.")
        return 0
    found = [(dep["name"], dep["version"], vuln) for dep in audited for vuln in dep.get("vulns", [])]
    for name, version, vuln in found:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
        print(f"VULNERABLE {name}=={version}: {vuln['id']} (fixed in: {fixes})")
    skipped = len(dependencies) - len(audited)
    print(f"pip-audit: {len(audited)} pins audited, {skipped} skipped, {len(found)} known vulnerabilities.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
