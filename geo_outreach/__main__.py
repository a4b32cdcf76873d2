"""``python -m geo_outreach``: the ``geo-outreach`` command."""

import sys

from geo_outreach.cli import main

sys.exit(main())
