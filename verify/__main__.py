"""``python -m verify`` is the ``relverify`` command."""

import sys

from verify.cli import main

sys.exit(main())
