"""``python -m bench.search_data``: create or reuse the 100k-sitter bench database."""

import sys

from bench.search_data.db import main

sys.exit(main())
