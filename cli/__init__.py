"""The command-line tools: ``datasets-storage`` (or ``python -m cli``; ``python -m tasks``
is kept as an alias). Each reads the registry and the data dir; the few that build
(``demo``) or need the graph's rules (``status``, ``verify``) import ``tasks``, never the
other way round."""
