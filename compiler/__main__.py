import sys

from orc_olive.cli.main import main

sys.exit(main())
