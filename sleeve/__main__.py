import sys

from sleeve.cli import main

sys.exit(main())
