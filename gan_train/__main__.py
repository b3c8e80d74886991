"""Entry point for ``python -m gan_train`` and ``accelerate launch gan_train`` (a folder path).

``accelerate launch gan_train`` runs this file as a plain script, so imports are absolute and
the project root is put on the path when the package is not installed.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gan_train.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
