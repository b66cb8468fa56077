""".ci/run runs exactly the README's install and test commands."""

import re

from conftest import ROOT


def _bash_blocks(text: str) -> list[list[str]]:
    return [[ln for ln in b.strip().splitlines() if ln and not ln.startswith("#")]
            for b in re.findall(r"```bash\n(.*?)```", text, flags=re.S)]


def test_ci_runs_the_readme_commands():
    readme = (ROOT / "README.md").read_text()
    install = next(b for b in _bash_blocks(readme) if any("pip install" in ln for ln in b))
    test = next(b for b in _bash_blocks(readme) if b == ["pytest"])
    ci = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines()
          if ln and not ln.startswith("#") and not ln.startswith(("set ", "cd "))]
    assert ci == install + test
