"""The parts of the live benchmarks: ``bench_live.py`` (machine, servers, seed, clients, senders,
runs) and the standard-library websocket client and browser of ``live_redis_down.py`` and
``live_two_daphnes.py`` (``browser``). Importable because the scripts run from ``bench/``."""
