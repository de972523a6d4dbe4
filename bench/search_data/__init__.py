"""The 100k-sitter data set of ``bench/search.py``: a fresh database, loaded with COPY.

Why a generator of its own rather than the factories: 100,000 sitters with
~50 availability spans each are ~5 million rows, which only COPY loads in
the time a benchmark run can spend (well under the 2-3 minutes we allow on
2 cores). The tables are the real ones, made by the real migrations
(GiST indexes, the holds' exclusion constraint), so the plans measured are
the plans production gets.

What is loaded (all deterministic for a given ``--seed`` and load day):

- 100,000 active sitter users sharing one password hash (nobody signs in as
  them) and their profiles, spread over ~35 metro areas worldwide: a dense
  gaussian core and a rural tail (uniform over a 150 km disc). The date line
  (Suva, Taveuni straddling 180°) and high latitudes (Reykjavik, Tromsø,
  Longyearbyen) are in on purpose: they are where geo predicates go wrong.
  The search point (``search_latitude``/``search_longitude``, all search
  reads) equals the location: the service would move it by up to 500 m, but
  the locations are random draws already, so the data is alike either way;
- rates around the metro's going rate, ratings (30% unrated), languages
  (+ ``sitters_sitterlanguage`` rows), age groups, ~70% verified, the metro's
  time zone, a photo for 70% (a ready avatar ``files_storedfile``);
- certifications (CPR, first aid, early years, driving) with documents:
  ~85% approved and ready, the rest pending review or missing; some expired;
- weekly windows from a handful of realistic patterns (weekday evenings,
  weekend days, school-hours, nights, mixes), and the spans they make for
  the next ``SITTER_AVAILABILITY_HORIZON_DAYS`` days in UTC, merged across
  midnight, with daylight saving resolved per zone and a few days off each;
- holds inside spans (so none overlap, as the exclusion constraint demands),
  some on tomorrow evening, where the typical searches look.

A marker table ``bench_search_meta`` records the data version, the seed and
the load day; ``ensure_loaded`` skips the load when it matches (spans are
relative to the load day, so data older than ``MAX_AGE_DAYS`` is reloaded).

    .venv/bin/python -m bench.search_data [--reload] [--sitters 100000] [--seed 6]
"""

from bench.search_data.db import (
    CACHE_KEY_PREFIX,
    DB_NAME,
    REDIS_URL,
    bench_env,
    connect,
    ensure_loaded,
)
from bench.search_data.world import METROS, Metro, search_day

__all__ = [
    "CACHE_KEY_PREFIX",
    "DB_NAME",
    "METROS",
    "REDIS_URL",
    "Metro",
    "bench_env",
    "connect",
    "ensure_loaded",
    "search_day",
]
