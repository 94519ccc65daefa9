"""The network app's pages: ``organisations`` (the active-organisation switch), ``patients``
(patient list and pages, care network, access log) and ``extractions`` (HIS extractions)."""
