"""``python -m tasks ...``: an alias of ``python -m cli`` (the tools live in ``cli/``)."""

import sys

from cli.main import main

sys.exit(main())
