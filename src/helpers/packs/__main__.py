"""The unit pack passwords on the command line (``make rotate-passwords``):

    python -m helpers.packs rotate 00008 00070
    python -m helpers.packs rotate all

The package's own entry point, since running ``helpers.packs.protect`` itself would import it
twice (the package imports it first)."""

import sys

from helpers.packs.protect import main

sys.exit(main())
